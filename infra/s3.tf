# The reports bucket: private, encrypted, TLS only, old reports expire.

resource "aws_s3_bucket" "reports" {
  bucket        = local.reports_bucket_name
  force_destroy = var.reports_force_destroy
}

resource "aws_s3_bucket_ownership_controls" "reports" {
  bucket = aws_s3_bucket.reports.id

  # No ACLs at all: the bucket owner owns every object.
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "reports" {
  bucket = aws_s3_bucket.reports.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "reports" {
  bucket = aws_s3_bucket.reports.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.reports_sse_algorithm
      kms_master_key_id = local.reports_use_kms ? aws_kms_key.main.arn : null
    }
    # One data key per bucket instead of one KMS call per object.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "reports" {
  count  = var.reports_versioning ? 1 : 0
  bucket = aws_s3_bucket.reports.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "reports" {
  bucket = aws_s3_bucket.reports.id

  rule {
    id     = "expire-old-reports"
    status = "Enabled"

    filter {
      prefix = var.report_prefix
    }

    expiration {
      days = var.reports_expiration_days
    }

    dynamic "noncurrent_version_expiration" {
      for_each = var.reports_versioning ? [1] : []
      content {
        noncurrent_days = var.reports_expiration_days
      }
    }
  }

  # Parts of an upload that never completed are billed until removed.
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # The noncurrent-version rule needs versioning set first.
  depends_on = [aws_s3_bucket_versioning.reports]
}

resource "aws_s3_bucket_policy" "reports" {
  bucket = aws_s3_bucket.reports.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyPlainHttp"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.reports.arn, "${aws_s3_bucket.reports.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  # Set one after the other: S3 can answer OperationAborted to a bucket policy
  # put while the public access block of the same bucket is being changed.
  depends_on = [aws_s3_bucket_public_access_block.reports]
}
