# The LocalStack setting: no account id is needed, LocalStack's own is used
# in every name and policy. (The provider endpoints themselves are checked by
# the offline plan in test.sh, which runs against the real provider schema.)

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  localstack_endpoint = "http://localhost:4566"
  sender_identity     = "noreply@example.com"
  lambda_zip_path     = "tests/fixtures/lambda-stub.zip"
}

run "localstack_uses_its_default_account" {
  command = apply

  assert {
    condition     = aws_s3_bucket.reports.bucket == "mailtrack-reports-000000000000-us-east-1"
    error_message = "the bucket name must use LocalStack's account id"
  }

  assert {
    condition = (jsondecode(aws_sns_topic_policy.events.policy).Statement[0].Condition.StringEquals["AWS:SourceAccount"]
    == "000000000000")
    error_message = "the topic policy must name LocalStack's account"
  }

  assert {
    condition     = contains([for s in jsondecode(aws_kms_key.main.policy).Statement : s.Principal], { AWS = "arn:aws:iam::000000000000:root" })
    error_message = "the key must be administered by LocalStack's account"
  }
}
