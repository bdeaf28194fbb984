# Remote state in S3, encrypted with a KMS key and locked with a lock object
# written next to the state (no DynamoDB lock table).
#
# Only the settings that are the same for every deployment live here. The
# bucket, key, region and kms_key_id come from a partial configuration file:
#
#   terraform init -backend-config=backend.hcl
#
# (copy backend.hcl.example; infra/bootstrap creates the bucket and the key
# and prints the values).
terraform {
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
