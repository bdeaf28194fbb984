# SMTP sending: an IAM user that may only send raw mail from the identity,
# its access key, and the SES SMTP credentials derived from that key.
#
# The SMTP password is derived from the secret key for the provider's region,
# so it works only with that region's SMTP endpoint. It is stored in the
# state (as is the secret key), and published only as SecureString
# parameters and sensitive outputs.

resource "aws_iam_user" "smtp" {
  name = "${var.name_prefix}-smtp"
  path = "/${var.name_prefix}/"
}

resource "aws_iam_user_policy" "smtp" {
  name = "send-from-sender-identity"
  user = aws_iam_user.smtp.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      merge(
        {
          # SES authorises a send against the identity and, because every
          # message from the identity uses its default configuration set,
          # against that set as well.
          Sid    = "SendRawEmailFromIdentity"
          Effect = "Allow"
          Action = ["ses:SendRawEmail"]
          Resource = [
            aws_sesv2_email_identity.sender.arn,
            aws_sesv2_configuration_set.main.arn,
          ]
        },
        length(var.smtp_allowed_from_addresses) == 0 ? {} : {
          Condition = {
            StringLike = { "ses:FromAddress" = var.smtp_allowed_from_addresses }
          }
        },
      ),
    ]
  })
}

resource "aws_iam_access_key" "smtp" {
  user = aws_iam_user.smtp.name
}

resource "aws_ssm_parameter" "smtp_username" {
  name        = "${local.ssm_parameter_prefix}/username"
  description = "SES SMTP user name (the access key id) of ${aws_iam_user.smtp.name}."
  type        = "SecureString"
  key_id      = aws_kms_key.main.arn
  value       = aws_iam_access_key.smtp.id
}

resource "aws_ssm_parameter" "smtp_password" {
  name        = "${local.ssm_parameter_prefix}/password"
  description = "SES SMTP password of ${aws_iam_user.smtp.name}, valid for email-smtp.${var.region}.amazonaws.com."
  type        = "SecureString"
  key_id      = aws_kms_key.main.arn
  value       = aws_iam_access_key.smtp.ses_smtp_password_v4
}
