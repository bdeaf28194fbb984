# Inputs. Everything account- or team-specific is a variable; see
# trackers.tfvars.example for a filled-in set.

# ---------------------------------------------------------------- where

variable "region" {
  description = "AWS region for every resource. SES sends from here, and the SMTP password is derived for this region."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1 or eu-west-1."
  }
}

variable "account_id" {
  description = "The 12-digit id of the AWS account to deploy into. Required for AWS; with localstack_endpoint it defaults to LocalStack's 000000000000."
  type        = string
  default     = null

  validation {
    condition = (var.account_id == null ? var.localstack_endpoint != null
    : can(regex("^[0-9]{12}$", var.account_id)))
    error_message = "account_id must be the 12-digit AWS account id; it may be left unset only together with localstack_endpoint."
  }
}

variable "localstack_endpoint" {
  description = "URL of a LocalStack instance, e.g. http://localhost:4566. When set, every service is called there with dummy credentials. Leave null for AWS."
  type        = string
  default     = null

  validation {
    condition     = var.localstack_endpoint == null || can(regex("^https?://[^/\\s]+/?$", var.localstack_endpoint))
    error_message = "localstack_endpoint must be an http:// or https:// URL with no path, e.g. http://localhost:4566."
  }
}

# ---------------------------------------------------------------- names

variable "name_prefix" {
  description = "Prefix of every resource name (functions, table, topics, queue, roles, the SMTP user)."
  type        = string
  default     = "mailtrack"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2 to 20 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen (it becomes part of an S3 bucket name)."
  }
}

variable "table_name" {
  description = "DynamoDB table name. Default: <name_prefix>-events."
  type        = string
  default     = null

  validation {
    condition     = var.table_name == null || can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3 to 255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "reports_bucket_name" {
  description = "S3 bucket for the weekly reports. Default: <name_prefix>-reports-<account_id>-<region>, which is unique across AWS."
  type        = string
  default     = null

  validation {
    condition     = var.reports_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.reports_bucket_name))
    error_message = "reports_bucket_name must be a valid S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-'."
  }
}

variable "tags" {
  description = "Tags put on every resource that takes them."
  type        = map(string)
  default     = { Project = "mailtrack" }
}

# ---------------------------------------------------------------- SES and SMTP

variable "sender_identity" {
  description = "The SES identity mail is sent from: an email address (verified by clicking the link SES mails to it) or a domain (verified by publishing the DKIM records in the dkim_records output)."
  type        = string

  validation {
    condition = (can(regex(local.email_pattern, var.sender_identity))
    || can(regex(local.domain_pattern, var.sender_identity)))
    error_message = "sender_identity must be an email address such as noreply@example.com or a domain such as example.com."
  }
}

variable "configuration_set_name" {
  description = "Name of the SES configuration set that publishes the events. Default: <name_prefix>."
  type        = string
  default     = null

  validation {
    condition     = var.configuration_set_name == null || can(regex("^[A-Za-z0-9_-]{1,64}$", var.configuration_set_name))
    error_message = "configuration_set_name must be 1 to 64 letters, digits, '_' or '-'."
  }
}

variable "smtp_allowed_from_addresses" {
  description = "If not empty, the SMTP user may send only with these From addresses (IAM condition ses:FromAddress; '*' wildcards allowed). Empty: any address of the identity."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.smtp_allowed_from_addresses : can(regex("^[^@\\s]+@[^@\\s]+$", a))])
    error_message = "each of smtp_allowed_from_addresses must look like local@domain."
  }
}

variable "ssm_parameter_prefix" {
  description = "SSM Parameter Store path under which the SMTP credentials are stored. Default: /<name_prefix>/smtp."
  type        = string
  default     = null

  validation {
    condition     = var.ssm_parameter_prefix == null || can(regex("^(/[A-Za-z0-9_.-]+)+$", var.ssm_parameter_prefix))
    error_message = "ssm_parameter_prefix must be a path such as /mailtrack/smtp: it starts with '/' and does not end with one."
  }
}

# ---------------------------------------------------------------- data

variable "retention_days" {
  description = "How long an event is kept in DynamoDB: the functions set the TTL attribute expires_at to the event time plus this many days."
  type        = number
  default     = 400

  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days from 1 to 3650."
  }
}

variable "message_id_index" {
  description = "Create the by_message_id global secondary index, for looking one message up. It doubles the write cost of each event."
  type        = bool
  default     = true
}

variable "table_deletion_protection" {
  description = "Turn on DynamoDB deletion protection. Set to false (and apply) before a destroy."
  type        = bool
  default     = true
}

variable "reports_sse_algorithm" {
  description = "Server-side encryption of the reports bucket: aws:kms (the customer-managed key) or AES256 (S3-managed keys)."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.reports_sse_algorithm)
    error_message = "reports_sse_algorithm must be aws:kms or AES256."
  }
}

variable "reports_versioning" {
  description = "Keep earlier versions of a report when it is regenerated."
  type        = bool
  default     = false
}

variable "reports_expiration_days" {
  description = "Delete reports (and earlier versions) this many days after they are written."
  type        = number
  default     = 730

  validation {
    condition     = var.reports_expiration_days >= 1 && floor(var.reports_expiration_days) == var.reports_expiration_days
    error_message = "reports_expiration_days must be a whole number of days, at least 1."
  }
}

variable "report_prefix" {
  description = "Key prefix of the reports in the bucket. The report function may write only under it."
  type        = string
  default     = "reports/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.report_prefix))
    error_message = "report_prefix must be a relative key prefix ending in '/', such as reports/ (no leading '/', no empty segments)."
  }
}

variable "reports_force_destroy" {
  description = "Let terraform destroy delete the reports bucket with the reports in it."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Days a deleted KMS key waits before it is gone (and with it everything it encrypted)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be from 7 to 30."
  }
}

# ---------------------------------------------------------------- Lambda

variable "lambda_zip_path" {
  description = "The Lambda package built by `cmake --build build --target lambda-zip`. Default: build/lambda/mailtrack-lambda.zip at the repository root."
  type        = string
  default     = null
}

variable "lambda_architecture" {
  description = "Instruction set of both functions; the zip must be built for it."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "tracker_memory_mb" {
  description = "Memory of the tracker function (one SNS message per invocation)."
  type        = number
  default     = 128

  validation {
    condition     = var.tracker_memory_mb >= 128 && var.tracker_memory_mb <= 10240
    error_message = "tracker_memory_mb must be from 128 to 10240."
  }
}

variable "tracker_timeout_s" {
  description = "Timeout of the tracker function, in seconds. It covers DynamoDB retries with backoff."
  type        = number
  default     = 15

  validation {
    condition     = var.tracker_timeout_s >= 1 && var.tracker_timeout_s <= 900
    error_message = "tracker_timeout_s must be from 1 to 900."
  }
}

variable "report_memory_mb" {
  description = "Memory of the weekly report function."
  type        = number
  default     = 512

  validation {
    condition     = var.report_memory_mb >= 128 && var.report_memory_mb <= 10240
    error_message = "report_memory_mb must be from 128 to 10240."
  }
}

variable "report_timeout_s" {
  description = "Timeout of the weekly report function, in seconds: a week of events is read and written in one run."
  type        = number
  default     = 600

  validation {
    condition     = var.report_timeout_s >= 60 && var.report_timeout_s <= 900
    error_message = "report_timeout_s must be from 60 to 900."
  }
}

variable "log_level" {
  description = "Application log level Lambda passes to the functions (AWS_LAMBDA_LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "system_log_level" {
  description = "Level of Lambda's own log lines. WARN drops the START/END/REPORT lines of every invocation, the largest part of the log bill."
  type        = string
  default     = "WARN"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be DEBUG, INFO or WARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days (0 keeps them forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains(local.log_retention_values, var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's values: ${join(", ", local.log_retention_values)}."
  }
}

variable "report_schedule" {
  description = "When the weekly report runs (EventBridge, always UTC). The default is Mondays 07:00 UTC, reporting the ISO week that just ended."
  type        = string
  default     = "cron(0 7 ? * MON *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.report_schedule))
    error_message = "report_schedule must be an EventBridge cron(...) or rate(...) expression."
  }
}

# ---------------------------------------------------------------- alarms

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (it must confirm the subscription). Null: no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex(local.email_pattern, var.alarm_email))
    error_message = "alarm_email must be an email address such as ops@example.com, or null."
  }
}
