# The AWS provider, aimed either at AWS or, when localstack_endpoint is set,
# at a LocalStack instance for every service this configuration uses.
#
# Against LocalStack the provider must not look for real credentials, ask STS
# for the account id or probe the instance metadata service, and S3 must use
# path-style addresses (LocalStack serves every bucket from one host).
# Against AWS all of that is left at the provider's defaults, and
# allowed_account_ids stops an apply with credentials for another account.
provider "aws" {
  region = var.region

  access_key = local.localstack ? "test" : null
  secret_key = local.localstack ? "test" : null

  skip_credentials_validation = local.localstack
  skip_requesting_account_id  = local.localstack
  skip_metadata_api_check     = local.localstack ? "true" : null
  s3_use_path_style           = local.localstack

  allowed_account_ids = local.localstack ? null : [local.account_id]

  # A null endpoint means the service's usual AWS endpoint.
  endpoints {
    cloudwatch = var.localstack_endpoint
    dynamodb   = var.localstack_endpoint
    events     = var.localstack_endpoint
    iam        = var.localstack_endpoint
    kms        = var.localstack_endpoint
    lambda     = var.localstack_endpoint
    logs       = var.localstack_endpoint
    s3         = var.localstack_endpoint
    sesv2      = var.localstack_endpoint
    sns        = var.localstack_endpoint
    sqs        = var.localstack_endpoint
    ssm        = var.localstack_endpoint
    sts        = var.localstack_endpoint
  }

  default_tags {
    tags = var.tags
  }
}
