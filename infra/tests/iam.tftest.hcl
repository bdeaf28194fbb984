# Least privilege: the rendered policy documents of the two function roles
# and the SMTP user, decoded and compared with exactly what each may do.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  account_id      = "123456789012"
  region          = "eu-west-1"
  sender_identity = "noreply@example.com"
  lambda_zip_path = "tests/fixtures/lambda-stub.zip"
}

run "no_identity_policy_allows_wildcard_actions_or_resources" {
  command = apply

  assert {
    condition = alltrue([
      for s in flatten([
        for doc in concat([for p in aws_iam_role_policy.lambda : p.policy], [aws_iam_user_policy.smtp.policy]) :
        jsondecode(doc).Statement
      ]) :
      s.Effect == "Allow" && alltrue([for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")])
    ])
    error_message = "an IAM statement allows every action, or every action of a service"
  }

  assert {
    condition = alltrue([
      for s in flatten([
        for doc in concat([for p in aws_iam_role_policy.lambda : p.policy], [aws_iam_user_policy.smtp.policy]) :
        jsondecode(doc).Statement
      ]) :
      alltrue([for r in flatten([s.Resource]) : r != "*" && startswith(r, "arn:aws:")])
    ])
    error_message = "an IAM statement applies to every resource instead of named ARNs"
  }

  assert {
    condition = alltrue([for r in aws_iam_role.lambda :
      jsondecode(r.assume_role_policy).Statement == [{
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
    }]])
    error_message = "the function roles may be assumed by Lambda only"
  }

  assert {
    condition     = alltrue([for k, p in aws_iam_role_policy.lambda : p.role == aws_iam_role.lambda[k].id])
    error_message = "each policy must be attached to its own function's role"
  }
}

run "the_tracker_may_only_store_events_log_and_park_failures" {
  command = apply

  assert {
    condition = {
      for s in jsondecode(aws_iam_role_policy.lambda["tracker"].policy).Statement :
      s.Sid => { actions = toset(s.Action), resources = toset(s.Resource) }
      } == {
      WriteOwnLogs = {
        actions   = toset(["logs:CreateLogStream", "logs:PutLogEvents"])
        resources = toset(["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mailtrack-tracker:*"])
      }
      StoreEvents = {
        actions   = toset(["dynamodb:BatchWriteItem", "dynamodb:PutItem"])
        resources = toset([aws_dynamodb_table.events.arn])
      }
      SendFailedEvents = {
        actions   = toset(["sqs:SendMessage"])
        resources = toset([aws_sqs_queue.tracker_failures.arn])
      }
      EncryptFailedEvents = {
        actions   = toset(["kms:GenerateDataKey", "kms:Decrypt"])
        resources = toset([aws_kms_key.main.arn])
      }
    }
    error_message = "the tracker's policy must grant exactly: its own log group, PutItem/BatchWriteItem on the table, SendMessage to its queue, the queue's key"
  }
}

run "the_report_may_only_query_the_table_and_write_under_the_prefix" {
  command = apply

  assert {
    condition = {
      for s in jsondecode(aws_iam_role_policy.lambda["report"].policy).Statement :
      s.Sid => { actions = toset(s.Action), resources = toset(s.Resource) }
      } == {
      WriteOwnLogs = {
        actions   = toset(["logs:CreateLogStream", "logs:PutLogEvents"])
        resources = toset(["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mailtrack-report:*"])
      }
      QueryEvents = {
        actions = toset(["dynamodb:Query"])
        resources = toset([
          "arn:aws:dynamodb:eu-west-1:123456789012:table/mailtrack-events",
          "arn:aws:dynamodb:eu-west-1:123456789012:table/mailtrack-events/index/by_message_id",
        ])
      }
      WriteReports = {
        actions   = toset(["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"])
        resources = toset(["arn:aws:s3:::mailtrack-reports-123456789012-eu-west-1/reports/*"])
      }
      EncryptReports = {
        actions   = toset(["kms:GenerateDataKey", "kms:Decrypt"])
        resources = toset([aws_kms_key.main.arn])
      }
    }
    error_message = "the report's policy must grant exactly: its own log group, Query on the table and index, uploads under reports/, the bucket key"
  }
}

run "without_index_or_kms_the_report_loses_those_grants" {
  command = apply

  variables {
    message_id_index      = false
    reports_sse_algorithm = "AES256"
    report_prefix         = "csv/"
  }

  assert {
    condition = {
      for s in jsondecode(aws_iam_role_policy.lambda["report"].policy).Statement :
      s.Sid => toset(s.Resource)
      } == {
      WriteOwnLogs = toset(["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mailtrack-report:*"])
      QueryEvents  = toset(["arn:aws:dynamodb:eu-west-1:123456789012:table/mailtrack-events"])
      WriteReports = toset(["arn:aws:s3:::mailtrack-reports-123456789012-eu-west-1/csv/*"])
    }
    error_message = "without the index and with AES256 the report needs no index or key grant, and writes only under its prefix"
  }
}

run "the_smtp_user_may_only_send_raw_mail_from_the_identity" {
  command = apply

  assert {
    condition = jsondecode(aws_iam_user_policy.smtp.policy).Statement == [{
      Sid      = "SendRawEmailFromIdentity"
      Effect   = "Allow"
      Action   = ["ses:SendRawEmail"]
      Resource = [aws_sesv2_email_identity.sender.arn, aws_sesv2_configuration_set.main.arn]
    }]
    error_message = "the SMTP user must be allowed ses:SendRawEmail on the identity and its configuration set, nothing else"
  }

  assert {
    condition     = aws_iam_user_policy.smtp.user == aws_iam_user.smtp.name && aws_iam_access_key.smtp.user == aws_iam_user.smtp.name
    error_message = "the policy and the access key must belong to the SMTP user"
  }
}

run "the_smtp_user_can_be_limited_to_from_addresses" {
  command = apply

  variables {
    smtp_allowed_from_addresses = ["noreply@example.com", "alerts+*@example.com"]
  }

  assert {
    condition = jsondecode(aws_iam_user_policy.smtp.policy).Statement[0].Condition == {
      StringLike = { "ses:FromAddress" = ["noreply@example.com", "alerts+*@example.com"] }
    }
    error_message = "smtp_allowed_from_addresses must become a ses:FromAddress condition"
  }
}
