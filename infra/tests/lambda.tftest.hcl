# The two functions: the package contract with the C build, runtime settings,
# environment, logging, and where the tracker's failures go.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  account_id      = "123456789012"
  region          = "eu-west-1"
  sender_identity = "noreply@example.com"
  lambda_zip_path = "tests/fixtures/lambda-stub.zip"
}

run "both_functions_run_the_one_package_on_provided_al2023" {
  command = apply

  assert {
    condition     = toset(keys(aws_lambda_function.main)) == toset(["tracker", "report"])
    error_message = "there must be exactly the tracker and report functions"
  }

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.main : f.handler == k])
    error_message = "each function's handler must name its entry point (tracker, report)"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.main : f.runtime == "provided.al2023"])
    error_message = "both functions must use the provided.al2023 custom runtime"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.main : f.filename == "tests/fixtures/lambda-stub.zip"])
    error_message = "both functions must deploy the zip given in lambda_zip_path"
  }

  assert {
    condition = alltrue([for f in aws_lambda_function.main :
    f.source_code_hash == filebase64sha256("tests/fixtures/lambda-stub.zip")])
    error_message = "the code hash must follow the zip, so a rebuilt zip is redeployed"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.main : f.architectures == tolist(["x86_64"])])
    error_message = "the default architecture must be x86_64"
  }

  assert {
    condition     = aws_lambda_function.main["tracker"].role == aws_iam_role.lambda["tracker"].arn
    error_message = "the tracker must run with its own role"
  }

  assert {
    condition     = aws_lambda_function.main["report"].role == aws_iam_role.lambda["report"].arn
    error_message = "the report function must run with its own role"
  }
}

run "memory_and_timeouts_are_explicit" {
  command = apply

  assert {
    condition     = aws_lambda_function.main["tracker"].memory_size == 128 && aws_lambda_function.main["tracker"].timeout == 15
    error_message = "the tracker must have 128 MB and 15 s"
  }

  assert {
    condition     = aws_lambda_function.main["report"].memory_size == 512 && aws_lambda_function.main["report"].timeout == 600
    error_message = "the report function must have 512 MB and minutes, not the 3 s default"
  }
}

run "environment_carries_the_table_bucket_and_retention" {
  command = apply

  assert {
    condition = aws_lambda_function.main["tracker"].environment[0].variables == tomap({
      TABLE_NAME     = "mailtrack-events"
      S3_BUCKET_NAME = "mailtrack-reports-123456789012-eu-west-1"
      RETENTION_DAYS = "400"
    })
    error_message = "the tracker's environment must be exactly TABLE_NAME, S3_BUCKET_NAME, RETENTION_DAYS"
  }

  assert {
    condition = aws_lambda_function.main["report"].environment[0].variables == tomap({
      TABLE_NAME        = "mailtrack-events"
      S3_BUCKET_NAME    = "mailtrack-reports-123456789012-eu-west-1"
      RETENTION_DAYS    = "400"
      REPORT_PREFIX     = "reports/"
      S3_SSE_KMS_KEY_ID = aws_kms_key.main.arn
    })
    error_message = "the report function must also get REPORT_PREFIX and, with a KMS bucket, S3_SSE_KMS_KEY_ID"
  }

  assert {
    condition     = aws_lambda_function.main["report"].environment[0].variables.S3_BUCKET_NAME == aws_s3_bucket.reports.bucket
    error_message = "S3_BUCKET_NAME must be the reports bucket"
  }

  assert {
    condition     = aws_lambda_function.main["tracker"].environment[0].variables.TABLE_NAME == aws_dynamodb_table.events.name
    error_message = "TABLE_NAME must be the events table"
  }
}

run "logs_are_json_into_precreated_groups" {
  command = apply

  assert {
    condition = alltrue([for f in aws_lambda_function.main :
      f.logging_config[0].log_format == "JSON" && f.logging_config[0].application_log_level == "INFO"
    && f.logging_config[0].system_log_level == "WARN"])
    error_message = "logs must be JSON with application level INFO and system level WARN"
  }

  assert {
    condition = alltrue([for k, f in aws_lambda_function.main :
    f.logging_config[0].log_group == aws_cloudwatch_log_group.lambda[k].name])
    error_message = "each function must log to its own precreated group"
  }

  assert {
    condition = (aws_cloudwatch_log_group.lambda["tracker"].name == "/aws/lambda/mailtrack-tracker"
    && aws_cloudwatch_log_group.lambda["report"].name == "/aws/lambda/mailtrack-report")
    error_message = "log groups must be named /aws/lambda/<function>"
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.lambda : g.retention_in_days == 30])
    error_message = "log groups must have the configured retention"
  }
}

run "tracker_failures_go_to_an_encrypted_queue" {
  command = apply

  assert {
    condition     = aws_lambda_function_event_invoke_config.tracker.function_name == aws_lambda_function.main["tracker"].function_name
    error_message = "the invoke config must be the tracker's"
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.tracker.maximum_retry_attempts == 2
    error_message = "the tracker must be retried twice"
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.tracker.destination_config[0].on_failure[0].destination == aws_sqs_queue.tracker_failures.arn
    error_message = "failed events must go to the failure queue"
  }

  assert {
    condition     = aws_sqs_queue.tracker_failures.kms_master_key_id == aws_kms_key.main.arn
    error_message = "the failure queue must be encrypted with the customer-managed key"
  }

  assert {
    condition     = aws_sqs_queue.tracker_failures.message_retention_seconds == 1209600
    error_message = "failed events must be kept for the SQS maximum of 14 days"
  }
}

run "arm64_and_other_settings_are_passed_through" {
  command = apply

  variables {
    lambda_architecture   = "arm64"
    log_level             = "DEBUG"
    log_retention_days    = 90
    retention_days        = 30
    report_prefix         = "weekly/csv/"
    reports_sse_algorithm = "AES256"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.main : f.architectures == tolist(["arm64"])])
    error_message = "lambda_architecture must reach both functions"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.main : f.logging_config[0].application_log_level == "DEBUG"])
    error_message = "log_level must reach both functions"
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.lambda : g.retention_in_days == 90])
    error_message = "log_retention_days must reach both log groups"
  }

  assert {
    condition = aws_lambda_function.main["report"].environment[0].variables == tomap({
      TABLE_NAME     = "mailtrack-events"
      S3_BUCKET_NAME = "mailtrack-reports-123456789012-eu-west-1"
      RETENTION_DAYS = "30"
      REPORT_PREFIX  = "weekly/csv/"
    })
    error_message = "with AES256 the report function must not be given a KMS key id"
  }
}
