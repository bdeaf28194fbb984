# What a user needs after apply. The SMTP credentials are sensitive: read
# them with `terraform output -raw smtp_password` or from Parameter Store.

output "sender_identity_arn" {
  description = "ARN of the SES identity. It must be verified before SES sends from it."
  value       = aws_sesv2_email_identity.sender.arn
}

output "dkim_records" {
  description = "For a domain identity: the CNAME records to publish for DKIM verification. Empty for an address identity."
  value = [
    for token in try(aws_sesv2_email_identity.sender.dkim_signing_attributes[0].tokens, []) :
    "${token}._domainkey.${var.sender_identity} CNAME ${token}.dkim.amazonses.com"
    if !strcontains(var.sender_identity, "@")
  ]
}

output "configuration_set_name" {
  description = "The SES configuration set; the identity uses it by default."
  value       = aws_sesv2_configuration_set.main.configuration_set_name
}

output "events_topic_arn" {
  description = "SNS topic SES publishes events to."
  value       = aws_sns_topic.events.arn
}

output "events_table_name" {
  description = "DynamoDB table holding the events."
  value       = aws_dynamodb_table.events.name
}

output "reports_bucket_name" {
  description = "S3 bucket of the weekly reports."
  value       = aws_s3_bucket.reports.bucket
}

output "reports_s3_uri" {
  description = "Where the reports are written."
  value       = "s3://${aws_s3_bucket.reports.bucket}/${var.report_prefix}"
}

output "function_names" {
  description = "The Lambda functions, by handler."
  value       = { for k, f in aws_lambda_function.main : k => f.function_name }
}

output "log_group_names" {
  description = "CloudWatch log groups of the functions, by handler."
  value       = { for k, g in aws_cloudwatch_log_group.lambda : k => g.name }
}

output "tracker_failure_queue_url" {
  description = "SQS queue of the SES events the tracker could not store."
  value       = aws_sqs_queue.tracker_failures.url
}

output "alarm_topic_arn" {
  description = "SNS topic of the operator alarms."
  value       = aws_sns_topic.alarms.arn
}

output "kms_key_arn" {
  description = "The customer-managed key encrypting mailtrack's data."
  value       = aws_kms_key.main.arn
}

output "smtp_endpoint" {
  description = "SES SMTP host for this region (STARTTLS on 587, TLS on 465)."
  value       = "email-smtp.${var.region}.amazonaws.com"
}

output "smtp_username_parameter" {
  description = "SSM SecureString parameter holding the SMTP user name."
  value       = aws_ssm_parameter.smtp_username.name
}

output "smtp_password_parameter" {
  description = "SSM SecureString parameter holding the SMTP password."
  value       = aws_ssm_parameter.smtp_password.name
}

output "smtp_username" {
  description = "SMTP user name (the IAM access key id)."
  value       = aws_iam_access_key.smtp.id
  sensitive   = true
}

output "smtp_password" {
  description = "SMTP password for smtp_endpoint."
  value       = aws_iam_access_key.smtp.ses_smtp_password_v4
  sensitive   = true
}
