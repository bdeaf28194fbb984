variable "region" {
  description = "Region of the state bucket (and of the main deployment, usually)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1 or eu-west-1."
  }
}

variable "account_id" {
  description = "The 12-digit id of the AWS account. Required for AWS; with localstack_endpoint it defaults to LocalStack's 000000000000."
  type        = string
  default     = null

  validation {
    condition = (var.account_id == null ? var.localstack_endpoint != null
    : can(regex("^[0-9]{12}$", var.account_id)))
    error_message = "account_id must be the 12-digit AWS account id; it may be left unset only together with localstack_endpoint."
  }
}

variable "localstack_endpoint" {
  description = "URL of a LocalStack instance, e.g. http://localhost:4566. Leave null for AWS."
  type        = string
  default     = null

  validation {
    condition     = var.localstack_endpoint == null || can(regex("^https?://[^/\\s]+/?$", var.localstack_endpoint))
    error_message = "localstack_endpoint must be an http:// or https:// URL with no path, e.g. http://localhost:4566."
  }
}

variable "name_prefix" {
  description = "Prefix of the bucket name and the key alias."
  type        = string
  default     = "mailtrack"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2 to 20 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "state_bucket_name" {
  description = "Name of the state bucket. Default: <name_prefix>-tfstate-<account_id>-<region>."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-'."
  }
}

variable "state_key" {
  description = "Object key of the main configuration's state, printed into backend_config."
  type        = string
  default     = "mailtrack/terraform.tfstate"
}

variable "noncurrent_version_days" {
  description = "Days earlier versions of the state are kept (they are the way back from a bad apply)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1 && floor(var.noncurrent_version_days) == var.noncurrent_version_days
    error_message = "noncurrent_version_days must be a whole number of days, at least 1."
  }
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = { Project = "mailtrack" }
}
