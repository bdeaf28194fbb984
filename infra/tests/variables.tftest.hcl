# Bad input is refused at plan time with a message naming the variable.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  account_id      = "123456789012"
  region          = "eu-west-1"
  sender_identity = "noreply@example.com"
  lambda_zip_path = "tests/fixtures/lambda-stub.zip"
}

run "good_values_plan" {
  command = plan

  variables {
    sender_identity             = "mail.example.com"
    alarm_email                 = "first.last+ops@example.co.uk"
    lambda_architecture         = "arm64"
    log_retention_days          = 3653
    smtp_allowed_from_addresses = ["noreply@mail.example.com"]
  }
}

run "architecture_must_be_x86_64_or_arm64" {
  command = plan

  variables {
    lambda_architecture = "amd64"
  }

  expect_failures = [var.lambda_architecture]
}

run "sender_must_be_an_address_or_a_domain" {
  command = plan

  variables {
    sender_identity = "noreply@"
  }

  expect_failures = [var.sender_identity]
}

run "sender_may_not_contain_spaces" {
  command = plan

  variables {
    sender_identity = "no reply@example.com"
  }

  expect_failures = [var.sender_identity]
}

run "alarm_email_must_be_an_address" {
  command = plan

  variables {
    alarm_email = "ops.example.com"
  }

  expect_failures = [var.alarm_email]
}

run "log_retention_must_be_a_cloudwatch_value" {
  command = plan

  variables {
    log_retention_days = 31
  }

  expect_failures = [var.log_retention_days]
}

run "account_id_is_required_for_aws" {
  command = plan

  variables {
    account_id = null
  }

  expect_failures = [var.account_id]
}

run "account_id_must_have_twelve_digits" {
  command = plan

  variables {
    account_id = "12345678901"
  }

  expect_failures = [var.account_id]
}

run "log_level_must_be_a_lambda_level" {
  command = plan

  variables {
    log_level = "VERBOSE"
  }

  expect_failures = [var.log_level]
}

run "report_prefix_must_end_with_a_slash" {
  command = plan

  variables {
    report_prefix = "/reports"
  }

  expect_failures = [var.report_prefix]
}

run "report_timeout_must_allow_minutes" {
  command = plan

  variables {
    report_timeout_s = 3
  }

  expect_failures = [var.report_timeout_s]
}

run "retention_days_must_be_whole_days" {
  command = plan

  variables {
    retention_days = 0.5
  }

  expect_failures = [var.retention_days]
}

run "localstack_endpoint_must_be_a_url" {
  command = plan

  variables {
    localstack_endpoint = "localhost:4566"
  }

  expect_failures = [var.localstack_endpoint]
}

run "reports_encryption_is_kms_or_aes256" {
  command = plan

  variables {
    reports_sse_algorithm = "aws:kms:dsse"
  }

  expect_failures = [var.reports_sse_algorithm]
}

run "a_missing_zip_says_how_to_build_it" {
  command = plan

  variables {
    lambda_zip_path = "tests/fixtures/no-such-package.zip"
  }

  expect_failures = [aws_lambda_function.main["tracker"], aws_lambda_function.main["report"]]
}
