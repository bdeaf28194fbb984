output "state_bucket_name" {
  description = "The state bucket."
  value       = aws_s3_bucket.state.bucket
}

output "state_kms_key_arn" {
  description = "The key that encrypts the state."
  value       = aws_kms_key.state.arn
}

output "backend_config" {
  description = "Contents for ../backend.hcl: terraform -chdir=bootstrap output -raw backend_config > backend.hcl"
  value = join("", [
    "bucket     = \"${aws_s3_bucket.state.bucket}\"\n",
    "key        = \"${var.state_key}\"\n",
    "region     = \"${var.region}\"\n",
    "kms_key_id = \"${aws_kms_key.state.arn}\"\n",
    # The backend has its own endpoint and credential settings; against
    # LocalStack they mirror the provider's.
    local.localstack ? join("", [
      "endpoints  = { s3 = \"${var.localstack_endpoint}\", sts = \"${var.localstack_endpoint}\" }\n",
      "use_path_style              = true\n",
      "skip_credentials_validation = true\n",
      "skip_requesting_account_id  = true\n",
      "skip_metadata_api_check     = true\n",
      "access_key = \"test\"\n",
      "secret_key = \"test\"\n",
    ]) : "",
  ])
}
