# The state bucket is versioned, encrypted with its own key, private and
# reachable only over TLS, and prints the backend settings that use it.

mock_provider "aws" {
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/0b6f2c1e-8a4d-4f3b-9e21-7c5d3a9f8e10"
      key_id = "0b6f2c1e-8a4d-4f3b-9e21-7c5d3a9f8e10"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::mailtrack-tfstate-123456789012-eu-west-1"
    }
  }
}

variables {
  account_id = "123456789012"
  region     = "eu-west-1"
}

run "the_state_bucket_is_versioned_encrypted_private_and_tls_only" {
  command = apply

  assert {
    condition     = aws_s3_bucket.state.bucket == "mailtrack-tfstate-123456789012-eu-west-1"
    error_message = "the default bucket name must carry the account and region"
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "the state bucket must be versioned"
  }

  assert {
    condition = [for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : {
      algorithm = one(r.apply_server_side_encryption_by_default).sse_algorithm
      key       = one(r.apply_server_side_encryption_by_default).kms_master_key_id
      bucket    = r.bucket_key_enabled
      }] == [{
      algorithm = "aws:kms", key = aws_kms_key.state.arn, bucket = true
    }]
    error_message = "the state must be encrypted with its own KMS key"
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation
    error_message = "the state key must rotate"
  }

  assert {
    condition = (aws_s3_bucket_public_access_block.state.block_public_acls
      && aws_s3_bucket_public_access_block.state.block_public_policy
      && aws_s3_bucket_public_access_block.state.ignore_public_acls
    && aws_s3_bucket_public_access_block.state.restrict_public_buckets)
    error_message = "all four public access blocks must be on"
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled"
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.state.policy).Statement == [{
      Sid       = "DenyPlainHttp"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "the bucket policy must deny every request made without TLS"
  }

  assert {
    condition = [for r in aws_s3_bucket_lifecycle_configuration.state.rule :
    one(r.noncurrent_version_expiration).noncurrent_days] == [90]
    error_message = "earlier state versions must be kept for noncurrent_version_days"
  }
}

run "backend_config_points_at_the_bucket_and_key" {
  command = apply

  assert {
    condition = output.backend_config == join("", [
      "bucket     = \"mailtrack-tfstate-123456789012-eu-west-1\"\n",
      "key        = \"mailtrack/terraform.tfstate\"\n",
      "region     = \"eu-west-1\"\n",
      "kms_key_id = \"arn:aws:kms:eu-west-1:123456789012:key/0b6f2c1e-8a4d-4f3b-9e21-7c5d3a9f8e10\"\n",
    ])
    error_message = "backend_config must be a ready backend.hcl for this bucket and key"
  }
}

run "account_id_is_required_for_aws" {
  command = plan

  variables {
    account_id = null
  }

  expect_failures = [var.account_id]
}

run "backend_config_for_localstack_carries_its_endpoint" {
  command = apply

  variables {
    account_id          = null
    localstack_endpoint = "http://127.0.0.1:4566"
  }

  assert {
    condition     = aws_s3_bucket.state.bucket == "mailtrack-tfstate-000000000000-eu-west-1"
    error_message = "with LocalStack the bucket name must use its account id"
  }

  assert {
    condition = endswith(output.backend_config, join("", [
      "endpoints  = { s3 = \"http://127.0.0.1:4566\", sts = \"http://127.0.0.1:4566\" }\n",
      "use_path_style              = true\n",
      "skip_credentials_validation = true\n",
      "skip_requesting_account_id  = true\n",
      "skip_metadata_api_check     = true\n",
      "access_key = \"test\"\n",
      "secret_key = \"test\"\n",
    ]))
    error_message = "backend_config must point the backend at LocalStack too"
  }
}
