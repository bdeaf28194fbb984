# The customer-managed key that encrypts mailtrack's data at rest: the SES
# event topic, the alarm topic, the DynamoDB table, the failure queue, the
# reports bucket (unless AES256 is chosen) and the SMTP credentials in SSM.
#
# A customer-managed key is required, not only preferred: SES can publish to
# an encrypted topic only if the key policy lets ses.amazonaws.com use the
# key, and the policy of the AWS-managed alias/aws/sns key cannot be changed.
resource "aws_kms_key" "main" {
  description             = "${var.name_prefix}: SES events, event table, reports and SMTP credentials"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = jsonencode(local.kms_key_policy)
}

resource "aws_kms_alias" "main" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.main.key_id
}

locals {
  alarm_arn_prefix = "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:"

  # In a key policy "Resource": "*" means "this key".
  kms_key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # The account's own IAM policies decide who else may use the key
        # (the function roles get exactly the calls they need in iam.tf).
        # Without this statement nobody could manage the key afterwards.
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = local.account_root_arn }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # SES encrypts each event it publishes to the topic. Only on behalf of
        # this account's configuration set, so no other SES customer can use
        # the key through the service (confused deputy).
        Sid       = "SesPublishesEventsToEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = "ses.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = {
          StringEquals = {
            "aws:SourceAccount" = local.account_id
            "aws:SourceArn"     = aws_sesv2_configuration_set.main.arn
          }
        }
      },
      {
        # SNS decrypts the messages of this account's topics to deliver them
        # to the tracker function and to the alarm subscribers.
        Sid       = "SnsReadsTopicMessages"
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      {
        # CloudWatch encrypts the notifications of mailtrack's own alarms.
        Sid       = "CloudWatchPublishesAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "${local.alarm_arn_prefix}${var.name_prefix}-*" }
        }
      },
    ]
  }
}
