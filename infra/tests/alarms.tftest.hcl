# Operator alarms: each function's errors and the failure queue's backlog.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  account_id      = "123456789012"
  region          = "eu-west-1"
  sender_identity = "noreply@example.com"
  lambda_zip_path = "tests/fixtures/lambda-stub.zip"
}

run "errors_and_parked_events_raise_alarms" {
  command = apply

  assert {
    condition = alltrue([for k, a in aws_cloudwatch_metric_alarm.function_errors :
      a.namespace == "AWS/Lambda" && a.metric_name == "Errors" && a.statistic == "Sum"
      && a.dimensions == tomap({ FunctionName = aws_lambda_function.main[k].function_name })
    && a.comparison_operator == "GreaterThanThreshold" && a.threshold == 0])
    error_message = "each function needs an alarm on any error"
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.function_errors)) == toset(["tracker", "report"])
    error_message = "both functions need an error alarm"
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.tracker_failures_queued.namespace == "AWS/SQS"
      && aws_cloudwatch_metric_alarm.tracker_failures_queued.metric_name == "ApproximateNumberOfMessagesVisible"
      && aws_cloudwatch_metric_alarm.tracker_failures_queued.dimensions == tomap({ QueueName = aws_sqs_queue.tracker_failures.name })
    && aws_cloudwatch_metric_alarm.tracker_failures_queued.threshold == 0)
    error_message = "any message in the failure queue must raise an alarm"
  }

  assert {
    condition = alltrue([
      for a in concat(values(aws_cloudwatch_metric_alarm.function_errors),
      [aws_cloudwatch_metric_alarm.tracker_failures_queued]) :
      a.alarm_actions == toset([aws_sns_topic.alarms.arn]) && startswith(a.alarm_name, "mailtrack-")
    ])
    error_message = "every alarm must notify the alarm topic and be named so that the key policy lets CloudWatch use the key"
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.main.arn
    error_message = "the alarm topic must be encrypted with the customer-managed key"
  }

  assert {
    condition     = length(aws_sns_topic_subscription.alarm_email) == 0
    error_message = "without alarm_email there must be no email subscription"
  }
}

run "alarm_email_subscribes_to_the_alarm_topic" {
  command = apply

  variables {
    alarm_email = "ops@example.com"
  }

  assert {
    condition = (aws_sns_topic_subscription.alarm_email[0].protocol == "email"
      && aws_sns_topic_subscription.alarm_email[0].endpoint == "ops@example.com"
    && aws_sns_topic_subscription.alarm_email[0].topic_arn == aws_sns_topic.alarms.arn)
    error_message = "alarm_email must be subscribed by email to the alarm topic"
  }
}
