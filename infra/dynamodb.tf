# The event table. Key names and formats are a contract with the C code:
#   pk  "<UTC day>#<2-digit shard>"                 e.g. "2026-11-23#07"
#   sk  "<event time, ISO-8601 with ms>#<row key>"
# The weekly report is one Query per day and shard; no Scan.
#
# Only key attributes are declared: DynamoDB is schemaless for the rest, and
# declaring a non-key attribute makes the plan fail.

resource "aws_dynamodb_table" "events" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  dynamic "attribute" {
    for_each = var.message_id_index ? ["message_id"] : []
    content {
      name = attribute.value
      type = "S"
    }
  }

  # Every event of one message, in time order.
  dynamic "global_secondary_index" {
    for_each = var.message_id_index ? [local.message_id_index_name] : []
    content {
      name            = global_secondary_index.value
      hash_key        = "message_id"
      range_key       = "sk"
      projection_type = "ALL"
    }
  }

  # Epoch seconds, written by the functions as event time + RETENTION_DAYS.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }

  deletion_protection_enabled = var.table_deletion_protection
}
