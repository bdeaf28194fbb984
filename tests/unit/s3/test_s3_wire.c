/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 addressing (path-style against a configured endpoint, virtual-hosted
 * against AWS, path-style for dotted buckets), s3:// targets, and the XML
 * bodies of multipart uploads and errors.
 */
#include "harness.h"

#include "mt/s3.h"

#include <string.h>

static void test_s3_target_parse(void **state)
{
    (void)state;
    struct mt_s3_target t;
    struct mt_err err = {0};

    assert_int_equal(mt_s3_target_parse("s3://reports/weekly", &t, NULL), MT_OK);
    assert_string_equal(t.bucket, "reports");
    assert_string_equal(t.prefix, "weekly/");
    assert_int_equal(mt_s3_target_parse("s3://my.bucket-1/", &t, NULL), MT_OK);
    assert_string_equal(t.bucket, "my.bucket-1");
    assert_string_equal(t.prefix, "");
    assert_int_equal(mt_s3_target_parse("s3://ab", &t, &err), MT_ERR_INVALID);
    assert_non_null(strstr(err.detail, "'ab' is not a valid bucket name"));
    assert_int_equal(mt_s3_target_parse("s3://Upper/x", &t, NULL), MT_ERR_INVALID);
    assert_int_equal(mt_s3_target_parse("https://bucket/x", &t, NULL), MT_ERR_INVALID);
}

static void assert_address(const char *endpoint, bool custom, const char *bucket,
                           const char *key, const char *url, const char *host, const char *path)
{
    struct mt_aws_endpoint ep;
    struct mt_s3_address a;
    mt_aws_endpoint_init(&ep);
    mt_s3_address_init(&a);
    assert_int_equal(mt_aws_endpoint_parse(endpoint, &ep, NULL), MT_OK);
    ep.custom = custom;
    assert_int_equal(mt_s3_address_for(&ep, bucket, key, &a, NULL), MT_OK);
    assert_string_equal(a.url.data, url);
    assert_string_equal(a.host.data, host);
    assert_string_equal(a.path.data, path);
    mt_s3_address_cleanup(&a);
    mt_aws_endpoint_cleanup(&ep);
}

static void test_s3_addressing(void **state)
{
    (void)state;
    assert_address("http://127.0.0.1:4568", true, "reports", "weekly/email-events-2026-W48.csv",
                   "http://127.0.0.1:4568/reports/weekly/email-events-2026-W48.csv",
                   "127.0.0.1:4568", "/reports/weekly/email-events-2026-W48.csv");
    assert_address("https://s3.eu-west-1.amazonaws.com", false, "reports", "a b/c$d.csv",
                   "https://reports.s3.eu-west-1.amazonaws.com/a%20b/c%24d.csv",
                   "reports.s3.eu-west-1.amazonaws.com", "/a%20b/c%24d.csv");
    assert_address("https://s3.eu-west-1.amazonaws.com", false, "my.reports", "k",
                   "https://s3.eu-west-1.amazonaws.com/my.reports/k",
                   "s3.eu-west-1.amazonaws.com", "/my.reports/k");
    assert_address("http://localhost:9000/base/", true, "b-1", "k",
                   "http://localhost:9000/base/b-1/k", "localhost:9000", "/base/b-1/k");
}

static void test_s3_xml_text(void **state)
{
    (void)state;
    struct mt_buf out;
    mt_buf_init(&out, 0);
    const char body[] = "<?xml version=\"1.0\"?><InitiateMultipartUploadResult>"
                        "<Bucket>b</Bucket><UploadId>a&amp;b&#47;c&#x3D;&lt;</UploadId>"
                        "</InitiateMultipartUploadResult>";
    assert_true(mt_s3_xml_text((struct mt_str){body, sizeof(body) - 1}, "UploadId", &out));
    assert_string_equal(out.data, "a&b/c=<");
    assert_true(mt_s3_xml_text(MT_STR_LIT("<Error><Code>NoSuchBucket</Code></Error>"), "Code",
                               &out));
    assert_string_equal(out.data, "NoSuchBucket");
    assert_false(mt_s3_xml_text(MT_STR_LIT("<Error><Code>x</Error>"), "Code", &out));
    assert_false(mt_s3_xml_text(MT_STR_NULL, "Code", &out));
    mt_buf_cleanup(&out);
}

static void test_s3_complete_body(void **state)
{
    (void)state;
    struct mt_buf out;
    const char *const etags[] = {"\"e1\"", "\"e&2\""};
    mt_buf_init(&out, 0);
    assert_int_equal(mt_s3_complete_body(&out, etags, 2), MT_OK);
    assert_string_equal(out.data,
                        "<CompleteMultipartUpload "
                        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                        "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
                        "<Part><PartNumber>2</PartNumber><ETag>&quot;e&amp;2&quot;</ETag></Part>"
                        "</CompleteMultipartUpload>");
    mt_buf_cleanup(&out);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_target_parse),
        cmocka_unit_test(test_s3_addressing),
        cmocka_unit_test(test_s3_xml_text),
        cmocka_unit_test(test_s3_complete_body),
    };
    return mt_test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), __FILE__);
}
