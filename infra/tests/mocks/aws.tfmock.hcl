# Computed values the mock AWS provider returns, shaped like real ones: the
# provider validates ARNs it receives as arguments, and the tests compare
# policies against exact ARNs. Resources of one type that must be told apart
# get their own values by address.

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/6f1c2a8e-4b7d-4e0a-9c3b-2d5e8f7a1b90"
    key_id = "6f1c2a8e-4b7d-4e0a-9c3b-2d5e8f7a1b90"
  }
}

mock_resource "aws_sesv2_configuration_set" {
  defaults = {
    arn = "arn:aws:ses:eu-west-1:123456789012:configuration-set/mailtrack"
  }
}

mock_resource "aws_sesv2_email_identity" {
  defaults = {
    arn = "arn:aws:ses:eu-west-1:123456789012:identity/noreply@example.com"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-1:123456789012:mailtrack-ses-events"
  }
}

override_resource {
  target = aws_sns_topic.alarms
  values = {
    arn = "arn:aws:sns:eu-west-1:123456789012:mailtrack-alarms"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:mailtrack-tracker-failures"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/mailtrack-tracker-failures"
  }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/mailtrack-events"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mailtrack-reports-123456789012-eu-west-1"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:eu-west-1:123456789012:rule/mailtrack-weekly-report"
  }
}

mock_resource "aws_iam_user" {
  defaults = {
    arn = "arn:aws:iam::123456789012:user/mailtrack/mailtrack-smtp"
  }
}

override_resource {
  target = aws_iam_role.lambda["tracker"]
  values = {
    arn = "arn:aws:iam::123456789012:role/mailtrack-tracker"
  }
}

override_resource {
  target = aws_iam_role.lambda["report"]
  values = {
    arn = "arn:aws:iam::123456789012:role/mailtrack-report"
  }
}

override_resource {
  target = aws_lambda_function.main["tracker"]
  values = {
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:mailtrack-tracker"
  }
}

override_resource {
  target = aws_lambda_function.main["report"]
  values = {
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:mailtrack-report"
  }
}

override_resource {
  target = aws_cloudwatch_log_group.lambda["tracker"]
  values = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mailtrack-tracker"
  }
}

override_resource {
  target = aws_cloudwatch_log_group.lambda["report"]
  values = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mailtrack-report"
  }
}
