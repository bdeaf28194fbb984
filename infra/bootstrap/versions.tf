# The state bucket configuration keeps its own (local) state: it must exist
# before any remote state can. Same versions as the main configuration.
terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100.0"
    }
  }
}
