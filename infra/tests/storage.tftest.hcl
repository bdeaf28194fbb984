# Where data lives: the event table (keys are a contract with the C code),
# the reports bucket, and the SMTP credentials in Parameter Store.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  account_id      = "123456789012"
  region          = "eu-west-1"
  sender_identity = "noreply@example.com"
  lambda_zip_path = "tests/fixtures/lambda-stub.zip"
}

run "the_table_has_the_keys_the_c_code_expects" {
  command = apply

  assert {
    condition = (aws_dynamodb_table.events.name == "mailtrack-events"
      && aws_dynamodb_table.events.billing_mode == "PAY_PER_REQUEST"
    && aws_dynamodb_table.events.hash_key == "pk" && aws_dynamodb_table.events.range_key == "sk")
    error_message = "the table must be on-demand with hash key pk and range key sk"
  }

  assert {
    condition = (toset([for a in aws_dynamodb_table.events.attribute : "${a.name}:${a.type}"])
    == toset(["pk:S", "sk:S", "message_id:S"]))
    error_message = "only the key attributes pk, sk and message_id may be declared, all strings"
  }

  assert {
    condition = [for i in aws_dynamodb_table.events.global_secondary_index : {
      name = i.name, hash = i.hash_key, range = i.range_key, projection = i.projection_type
      }] == [{
      name = "by_message_id", hash = "message_id", range = "sk", projection = "ALL"
    }]
    error_message = "the by_message_id index must be keyed message_id/sk and project everything"
  }

  assert {
    condition     = aws_dynamodb_table.events.ttl[0].attribute_name == "expires_at" && aws_dynamodb_table.events.ttl[0].enabled
    error_message = "TTL must be on expires_at"
  }

  assert {
    condition     = aws_dynamodb_table.events.point_in_time_recovery[0].enabled
    error_message = "point-in-time recovery must be on"
  }

  assert {
    condition = (aws_dynamodb_table.events.server_side_encryption[0].enabled
    && aws_dynamodb_table.events.server_side_encryption[0].kms_key_arn == aws_kms_key.main.arn)
    error_message = "the table must be encrypted with the customer-managed key"
  }

  assert {
    condition     = aws_dynamodb_table.events.deletion_protection_enabled
    error_message = "deletion protection must be on by default"
  }
}

run "the_index_and_deletion_protection_are_optional" {
  command = apply

  variables {
    message_id_index          = false
    table_deletion_protection = false
    table_name                = "team-mail-events"
  }

  assert {
    condition     = length(aws_dynamodb_table.events.global_secondary_index) == 0
    error_message = "message_id_index = false must drop the index"
  }

  assert {
    condition     = toset([for a in aws_dynamodb_table.events.attribute : a.name]) == toset(["pk", "sk"])
    error_message = "without the index message_id must not be declared (non-key attributes fail the plan)"
  }

  assert {
    condition     = aws_dynamodb_table.events.deletion_protection_enabled == false
    error_message = "table_deletion_protection = false must reach the table"
  }

  assert {
    condition     = aws_dynamodb_table.events.name == "team-mail-events"
    error_message = "table_name must name the table"
  }
}

run "the_reports_bucket_is_private_encrypted_and_tls_only" {
  command = apply

  assert {
    condition = (aws_s3_bucket_public_access_block.reports.block_public_acls
      && aws_s3_bucket_public_access_block.reports.block_public_policy
      && aws_s3_bucket_public_access_block.reports.ignore_public_acls
    && aws_s3_bucket_public_access_block.reports.restrict_public_buckets)
    error_message = "all four public access blocks must be on"
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.reports.bucket == aws_s3_bucket.reports.id
    error_message = "the public access block must be on the reports bucket"
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.reports.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)"
  }

  assert {
    condition = [for r in aws_s3_bucket_server_side_encryption_configuration.reports.rule : {
      algorithm = one(r.apply_server_side_encryption_by_default).sse_algorithm
      key       = one(r.apply_server_side_encryption_by_default).kms_master_key_id
      bucket    = r.bucket_key_enabled
      }] == [{
      algorithm = "aws:kms", key = aws_kms_key.main.arn, bucket = true
    }]
    error_message = "the bucket must default to SSE-KMS with the customer-managed key and a bucket key"
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.reports.policy).Statement == [{
      Sid       = "DenyPlainHttp"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.reports.arn, "${aws_s3_bucket.reports.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "the bucket policy must deny every request made without TLS, and nothing else"
  }

  assert {
    condition     = length(aws_s3_bucket_versioning.reports) == 0
    error_message = "versioning must be off by default"
  }

  assert {
    condition     = aws_s3_bucket.reports.force_destroy == false
    error_message = "destroy must not delete reports unless asked to"
  }
}

run "old_reports_and_abandoned_uploads_expire" {
  command = apply

  assert {
    condition = [for r in aws_s3_bucket_lifecycle_configuration.reports.rule : {
      status = r.status, prefix = one(r.filter).prefix, days = one(r.expiration).days
      } if r.id == "expire-old-reports"] == [{
      status = "Enabled", prefix = "reports/", days = 730
    }]
    error_message = "reports under the prefix must expire after reports_expiration_days"
  }

  assert {
    condition = [for r in aws_s3_bucket_lifecycle_configuration.reports.rule : {
      status  = r.status, days = one(r.abort_incomplete_multipart_upload).days_after_initiation
      expires = length(r.expiration)
      } if r.id == "abort-incomplete-uploads"] == [{
      status = "Enabled", days = 1, expires = 0
    }]
    error_message = "incomplete multipart uploads must be aborted after a day, and that rule must delete nothing else"
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.reports.rule) == 2
    error_message = "the bucket must have exactly the two lifecycle rules"
  }
}

run "aes256_and_versioning_by_variable" {
  command = apply

  variables {
    reports_sse_algorithm   = "AES256"
    reports_versioning      = true
    reports_expiration_days = 90
  }

  assert {
    condition = [for r in aws_s3_bucket_server_side_encryption_configuration.reports.rule : {
      algorithm = one(r.apply_server_side_encryption_by_default).sse_algorithm
      key       = one(r.apply_server_side_encryption_by_default).kms_master_key_id
    }] == [{ algorithm = "AES256", key = tostring(null) }]
    error_message = "reports_sse_algorithm = AES256 must use S3-managed keys"
  }

  assert {
    condition     = aws_s3_bucket_versioning.reports[0].versioning_configuration[0].status == "Enabled"
    error_message = "reports_versioning = true must enable versioning"
  }

  assert {
    condition = [for r in aws_s3_bucket_lifecycle_configuration.reports.rule :
    try(one(r.noncurrent_version_expiration).noncurrent_days, null) if r.id == "expire-old-reports"] == [90]
    error_message = "with versioning, earlier versions must expire too"
  }
}

run "smtp_credentials_are_kms_encrypted_parameters" {
  command = apply

  assert {
    condition = alltrue([for p in [aws_ssm_parameter.smtp_username, aws_ssm_parameter.smtp_password] :
    p.type == "SecureString" && p.key_id == aws_kms_key.main.arn])
    error_message = "the SMTP credentials must be SecureString parameters under the customer-managed key"
  }

  assert {
    condition = (aws_ssm_parameter.smtp_username.name == "/mailtrack/smtp/username"
    && aws_ssm_parameter.smtp_password.name == "/mailtrack/smtp/password")
    error_message = "the parameters must live under /<name_prefix>/smtp"
  }

  assert {
    condition = (nonsensitive(aws_ssm_parameter.smtp_password.value == aws_iam_access_key.smtp.ses_smtp_password_v4)
    && nonsensitive(aws_ssm_parameter.smtp_username.value == aws_iam_access_key.smtp.id))
    error_message = "the parameters must hold the access key id and the SES SMTP password derived from it"
  }

  assert {
    condition     = output.smtp_username_parameter == "/mailtrack/smtp/username" && output.smtp_password_parameter == "/mailtrack/smtp/password"
    error_message = "the outputs must name the parameters"
  }

  assert {
    condition     = issensitive(output.smtp_password) && issensitive(output.smtp_username)
    error_message = "the SMTP credential outputs must be sensitive"
  }
}
