# The weekly report: an EventBridge rule on the default bus invokes the
# report function (asynchronously) every Monday at 07:00 UTC.

resource "aws_cloudwatch_event_rule" "weekly_report" {
  name                = "${var.name_prefix}-weekly-report"
  description         = "Runs the weekly SES event report."
  schedule_expression = var.report_schedule
  state               = "ENABLED"
}

resource "aws_cloudwatch_event_target" "weekly_report" {
  rule = aws_cloudwatch_event_rule.weekly_report.name
  arn  = aws_lambda_function.main["report"].arn

  # A report regenerated late is still right (it reports a fixed week), so
  # EventBridge may keep trying for a day.
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 10
  }
}

resource "aws_lambda_permission" "events_invoke_report" {
  statement_id  = "AllowInvokeFromWeeklySchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.main["report"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.weekly_report.arn
}
