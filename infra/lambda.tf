# The two functions (tracker, report), their log groups, and where the
# tracker's failed events go.

# Created before the functions: a log group that Lambda creates on the first
# invocation has no retention, and Terraform would then fail to create its own.
resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "main" {
  for_each = local.functions

  function_name = each.value.name
  description   = each.value.description
  role          = aws_iam_role.lambda[each.key].arn

  filename         = local.lambda_zip_path
  source_code_hash = filebase64sha256(local.lambda_zip_path)
  runtime          = "provided.al2023"
  handler          = each.key
  architectures    = [var.lambda_architecture]

  memory_size = each.value.memory_mb
  timeout     = each.value.timeout_s

  environment {
    variables = each.value.environment
  }

  # JSON format is what makes Lambda honour the levels: it passes them to the
  # runtime as AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL and filters lines.
  logging_config {
    log_format            = "JSON"
    application_log_level = var.log_level
    system_log_level      = var.system_log_level
    log_group             = aws_cloudwatch_log_group.lambda[each.key].name
  }

  lifecycle {
    precondition {
      condition     = fileexists(local.lambda_zip_path)
      error_message = "The Lambda package ${local.lambda_zip_path} does not exist. Build it first with `cmake --build build --target lambda-zip`, or set lambda_zip_path."
    }
  }

  # The role must be able to write its logs before the first invocation.
  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.lambda]
}

# Events the tracker could not store after Lambda's retries, with the error,
# kept for 14 days so they can be replayed.
resource "aws_sqs_queue" "tracker_failures" {
  name                              = "${var.name_prefix}-tracker-failures"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.main.arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue_policy" "tracker_failures" {
  queue_url = aws_sqs_queue.tracker_failures.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyPlainHttp"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.tracker_failures.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_lambda_function_event_invoke_config" "tracker" {
  function_name                = aws_lambda_function.main["tracker"].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.tracker_failures.arn
    }
  }

  # Lambda checks that the role may send to the queue when this is set.
  depends_on = [aws_iam_role_policy.lambda]
}
