# Terraform and provider versions this configuration is written and tested against.
#
# 1.10 is the first Terraform with native S3 state locking (use_lockfile); the
# offline test suite also needs mock providers (1.7) and cross-variable
# validation (1.9). The provider is pinned to the 5.100 series: resource
# arguments were checked against its schema, and 6.x changes several of them.
terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100.0"
    }
  }
}
