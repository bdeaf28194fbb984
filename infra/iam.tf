# One execution role per function, each allowed only the calls that function
# makes, on only the resources it makes them on.

resource "aws_iam_role" "lambda" {
  for_each = local.functions

  name        = each.value.name
  description = "Execution role of the ${each.value.name} function."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.functions

  name = "least-privilege"
  role = aws_iam_role.lambda[each.key].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.lambda_policy_statements[each.key]
  })
}

locals {
  message_id_index_arns = (var.message_id_index
  ? ["${aws_dynamodb_table.events.arn}/index/${local.message_id_index_name}"] : [])

  # The log group exists already (lambda.tf), so no logs:CreateLogGroup.
  lambda_log_statement = {
    for k, group in aws_cloudwatch_log_group.lambda : k => {
      Sid      = "WriteOwnLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${group.arn}:*"]
    }
  }

  lambda_policy_statements = {
    tracker = [
      local.lambda_log_statement["tracker"],
      {
        # Conditional puts (one event, idempotent) and batches of them; the
        # quarantine items go to the same table.
        Sid      = "StoreEvents"
        Effect   = "Allow"
        Action   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem"]
        Resource = [aws_dynamodb_table.events.arn]
      },
      {
        # Lambda sends the failure records with the function's own role.
        Sid      = "SendFailedEvents"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [aws_sqs_queue.tracker_failures.arn]
      },
      {
        # The failure queue is encrypted with the customer-managed key.
        Sid      = "EncryptFailedEvents"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource = [aws_kms_key.main.arn]
      },
    ]

    report = concat([
      local.lambda_log_statement["report"],
      {
        # One Query per day and shard on the table; the index serves lookups.
        Sid      = "QueryEvents"
        Effect   = "Allow"
        Action   = ["dynamodb:Query"]
        Resource = concat([aws_dynamodb_table.events.arn], local.message_id_index_arns)
      },
      {
        # Large reports go up in parts; a failed upload is aborted.
        Sid      = "WriteReports"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = ["${aws_s3_bucket.reports.arn}/${var.report_prefix}*"]
      },
      ], local.reports_use_kms ? [
      {
        # SSE-KMS uploads need a data key; multipart uploads also decrypt it.
        Sid      = "EncryptReports"
        Effect   = "Allow"
        Action   = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource = [aws_kms_key.main.arn]
      },
    ] : [])
  }
}
