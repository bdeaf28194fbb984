# Names, ARNs and settings derived from the variables, shared by several files.
locals {
  localstack = var.localstack_endpoint != null

  # No data source asks AWS who we are: plans must work offline and against
  # LocalStack without STS. LocalStack's default account is twelve zeros.
  account_id = coalesce(var.account_id, "000000000000")
  partition = (startswith(var.region, "cn-") ? "aws-cn"
  : startswith(var.region, "us-gov-") ? "aws-us-gov" : "aws")
  account_root_arn = "arn:${local.partition}:iam::${local.account_id}:root"

  table_name = coalesce(var.table_name, "${var.name_prefix}-events")
  reports_bucket_name = coalesce(var.reports_bucket_name,
  "${var.name_prefix}-reports-${local.account_id}-${var.region}")
  configuration_set_name = coalesce(var.configuration_set_name, var.name_prefix)
  ssm_parameter_prefix   = coalesce(var.ssm_parameter_prefix, "/${var.name_prefix}/smtp")
  message_id_index_name  = "by_message_id"
  reports_use_kms        = var.reports_sse_algorithm == "aws:kms"

  # Contract with the C build: one zip, an executable `bootstrap` at its root.
  # Kept relative, so that the path stored in state is the same on every clone.
  lambda_zip_path = coalesce(var.lambda_zip_path,
  "${path.module}/../build/lambda/mailtrack-lambda.zip")

  # The two functions share the zip; the handler setting (_HANDLER) picks the
  # entry point inside `bootstrap`.
  common_environment = {
    TABLE_NAME     = local.table_name
    S3_BUCKET_NAME = local.reports_bucket_name
    RETENTION_DAYS = tostring(var.retention_days)
  }
  functions = {
    tracker = {
      name        = "${var.name_prefix}-tracker"
      description = "Stores the SES events that SNS delivers in DynamoDB."
      memory_mb   = var.tracker_memory_mb
      timeout_s   = var.tracker_timeout_s
      environment = local.common_environment
    }
    report = {
      name        = "${var.name_prefix}-report"
      description = "Writes the weekly CSV report of the stored events to S3."
      memory_mb   = var.report_memory_mb
      timeout_s   = var.report_timeout_s
      environment = merge(local.common_environment,
        { REPORT_PREFIX = var.report_prefix },
      local.reports_use_kms ? { S3_SSE_KMS_KEY_ID = aws_kms_key.main.arn } : {})
    }
  }

  # Every SES v2 event type; DELIVERY_DELAY and SUBSCRIPTION exist only in v2.
  ses_event_types = [
    "SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK",
    "RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION",
  ]

  # Patterns and lists the variable validations share.
  email_pattern  = "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\.)+[A-Za-z]{2,}$"
  domain_pattern = "^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\.)+[A-Za-z]{2,}$"
  log_retention_values = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
  1096, 1827, 2192, 2557, 2922, 3288, 3653]
}
