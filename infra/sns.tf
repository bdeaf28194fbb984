# SNS: the topic SES publishes events to, and its delivery to the tracker.

resource "aws_sns_topic" "events" {
  # SES event destinations accept only standard topics.
  name              = "${var.name_prefix}-ses-events"
  fifo_topic        = false
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_policy" "events" {
  arn = aws_sns_topic.events.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Only SES, only for this account's configuration set. The account's
        # own principals need no statement here: their IAM policies suffice.
        Sid       = "SesPublishesConfigurationSetEvents"
        Effect    = "Allow"
        Principal = { Service = "ses.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.events.arn
        Condition = {
          StringEquals = {
            "AWS:SourceAccount" = local.account_id
            "AWS:SourceArn"     = aws_sesv2_configuration_set.main.arn
          }
        }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "tracker" {
  topic_arn = aws_sns_topic.events.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.main["tracker"].arn
}

# Without this resource-based permission SNS cannot invoke the function and
# every delivery fails silently on the SNS side.
resource "aws_lambda_permission" "sns_invokes_tracker" {
  statement_id  = "AllowInvokeFromSesEventTopic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.main["tracker"].function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.events.arn
}
