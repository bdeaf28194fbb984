# SES: the sending identity, its default configuration set, and the event
# destination that publishes every event of that set to the SNS topic.
#
# Mail sent over SMTP carries no configuration set unless it has the
# X-SES-CONFIGURATION-SET header, and such mail publishes no events. Making
# the set the identity's default closes that gap.
#
# The identity needs one manual step: SES mails a verification link to an
# address identity (a domain identity needs the DKIM records in the
# dkim_records output instead). Until then SES refuses to send from it.

resource "aws_sesv2_configuration_set" "main" {
  configuration_set_name = local.configuration_set_name

  reputation_options {
    reputation_metrics_enabled = true
  }

  sending_options {
    sending_enabled = true
  }
}

resource "aws_sesv2_email_identity" "sender" {
  email_identity         = var.sender_identity
  configuration_set_name = aws_sesv2_configuration_set.main.configuration_set_name
}

resource "aws_sesv2_configuration_set_event_destination" "sns" {
  configuration_set_name = aws_sesv2_configuration_set.main.configuration_set_name
  event_destination_name = "${var.name_prefix}-sns"

  event_destination {
    enabled              = true
    matching_event_types = local.ses_event_types

    sns_destination {
      topic_arn = aws_sns_topic.events.arn
    }
  }

  # SES checks that it may publish (and encrypt) when the destination is
  # created, so the topic policy and the key policy must already be in place.
  depends_on = [aws_sns_topic_policy.events, aws_kms_key.main]
}
