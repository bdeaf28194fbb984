# SES -> SNS -> tracker, and the weekly schedule -> report: the wiring that
# makes events flow. Runs against a mock provider, so computed ARNs are
# generated values; the assertions compare them with the resources they must
# point at.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  account_id      = "123456789012"
  region          = "eu-west-1"
  sender_identity = "noreply@example.com"
  lambda_zip_path = "tests/fixtures/lambda-stub.zip"
}

run "ses_publishes_every_event_type_to_the_topic" {
  command = apply

  assert {
    condition     = aws_sesv2_email_identity.sender.email_identity == "noreply@example.com"
    error_message = "the identity must be the configured sender"
  }

  assert {
    condition     = aws_sesv2_email_identity.sender.configuration_set_name == aws_sesv2_configuration_set.main.configuration_set_name
    error_message = "the configuration set must be the identity's default, or SMTP mail without the header publishes nothing"
  }

  assert {
    condition     = aws_sesv2_configuration_set_event_destination.sns.event_destination[0].enabled == true
    error_message = "the event destination must be enabled (the provider's default is false)"
  }

  assert {
    condition = (sort(tolist(aws_sesv2_configuration_set_event_destination.sns.event_destination[0].matching_event_types))
      == sort(["SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK",
    "RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION"]))
    error_message = "the destination must match all ten SES v2 event types, and nothing else"
  }

  assert {
    condition     = aws_sesv2_configuration_set_event_destination.sns.event_destination[0].sns_destination[0].topic_arn == aws_sns_topic.events.arn
    error_message = "events must go to the events topic"
  }

  assert {
    condition     = aws_sesv2_configuration_set_event_destination.sns.configuration_set_name == aws_sesv2_configuration_set.main.configuration_set_name
    error_message = "the destination must belong to the identity's configuration set"
  }
}

run "the_topic_is_standard_encrypted_and_open_only_to_ses" {
  command = apply

  assert {
    condition     = aws_sns_topic.events.fifo_topic == false
    error_message = "SES publishes only to standard topics"
  }

  assert {
    condition     = aws_sns_topic.events.kms_master_key_id == aws_kms_key.main.arn
    error_message = "the events topic must be encrypted with the customer-managed key"
  }

  assert {
    condition     = aws_sns_topic_policy.events.arn == aws_sns_topic.events.arn
    error_message = "the policy must be attached to the events topic"
  }

  assert {
    condition     = length(jsondecode(aws_sns_topic_policy.events.policy).Statement) == 1
    error_message = "the topic policy must hold the SES statement only"
  }

  assert {
    condition = (jsondecode(aws_sns_topic_policy.events.policy).Statement[0] == {
      Sid       = "SesPublishesConfigurationSetEvents"
      Effect    = "Allow"
      Principal = { Service = "ses.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.events.arn
      Condition = {
        StringEquals = {
          "AWS:SourceAccount" = "123456789012"
          "AWS:SourceArn"     = aws_sesv2_configuration_set.main.arn
        }
      }
    })
    error_message = "SES may publish only for this account's configuration set"
  }
}

run "the_key_lets_ses_encrypt_only_for_the_configuration_set" {
  command = apply

  assert {
    condition = contains(jsondecode(aws_kms_key.main.policy).Statement, {
      Sid       = "SesPublishesEventsToEncryptedTopic"
      Effect    = "Allow"
      Principal = { Service = "ses.amazonaws.com" }
      Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
      Resource  = "*"
      Condition = {
        StringEquals = {
          "aws:SourceAccount" = "123456789012"
          "aws:SourceArn"     = aws_sesv2_configuration_set.main.arn
        }
      }
    })
    error_message = "the key policy must let SES generate data keys and decrypt, scoped to the configuration set"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.main.policy).Statement :
      s.Principal != { AWS = "*" } && s.Principal != "*"
    ])
    error_message = "no key policy statement may name every principal"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.main.policy).Statement :
      try(s.Principal.Service, null) == null || try(s.Condition.StringEquals["aws:SourceAccount"], "") == "123456789012"
    ])
    error_message = "every service statement in the key policy must be scoped to this account"
  }

  assert {
    condition     = aws_kms_key.main.enable_key_rotation == true
    error_message = "the key must rotate"
  }
}

run "sns_invokes_the_tracker" {
  command = apply

  assert {
    condition     = aws_sns_topic_subscription.tracker.protocol == "lambda"
    error_message = "the tracker must be subscribed with protocol lambda"
  }

  assert {
    condition     = aws_sns_topic_subscription.tracker.topic_arn == aws_sns_topic.events.arn
    error_message = "the subscription must be on the events topic"
  }

  assert {
    condition     = aws_sns_topic_subscription.tracker.endpoint == aws_lambda_function.main["tracker"].arn
    error_message = "the subscription must deliver to the tracker function"
  }

  assert {
    condition     = aws_lambda_permission.sns_invokes_tracker.principal == "sns.amazonaws.com"
    error_message = "the tracker's permission must be for SNS"
  }

  assert {
    condition     = aws_lambda_permission.sns_invokes_tracker.source_arn == aws_sns_topic.events.arn
    error_message = "the tracker's permission must be limited to the events topic"
  }

  assert {
    condition     = aws_lambda_permission.sns_invokes_tracker.function_name == aws_lambda_function.main["tracker"].function_name
    error_message = "the SNS permission must be on the tracker"
  }

  assert {
    condition     = aws_lambda_permission.sns_invokes_tracker.action == "lambda:InvokeFunction"
    error_message = "the SNS permission must allow invocation only"
  }
}

run "eventbridge_runs_the_report_on_monday_mornings" {
  command = apply

  assert {
    condition     = aws_cloudwatch_event_rule.weekly_report.schedule_expression == "cron(0 7 ? * MON *)"
    error_message = "the report must run Mondays 07:00 UTC"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.weekly_report.state == "ENABLED"
    error_message = "the schedule must be enabled"
  }

  assert {
    condition     = aws_cloudwatch_event_target.weekly_report.arn == aws_lambda_function.main["report"].arn
    error_message = "the schedule must invoke the report function"
  }

  assert {
    condition     = aws_cloudwatch_event_target.weekly_report.rule == aws_cloudwatch_event_rule.weekly_report.name
    error_message = "the target must belong to the weekly rule"
  }

  assert {
    condition     = aws_lambda_permission.events_invoke_report.principal == "events.amazonaws.com"
    error_message = "the report's permission must be for EventBridge"
  }

  assert {
    condition     = aws_lambda_permission.events_invoke_report.source_arn == aws_cloudwatch_event_rule.weekly_report.arn
    error_message = "the report's permission must be limited to the weekly rule"
  }

  assert {
    condition     = aws_lambda_permission.events_invoke_report.function_name == aws_lambda_function.main["report"].function_name
    error_message = "the EventBridge permission must be on the report function"
  }
}
