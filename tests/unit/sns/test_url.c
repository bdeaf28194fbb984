/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the certificate URL and SubscribeURL rules, and of topic ARNs. */
#include "harness.h"

#include "mt/sns.h"
#include "sns/sns_int.h"

#include <string.h>

static enum mt_status check(const char *url, enum mt_sns_url_kind kind, const char *region)
{
    struct mt_err err = {0};
    enum mt_status st = mt_sns_url_check(mt_str_from_cstr(url), kind, mt_str_from_cstr(region),
                                         NULL, &err);
    if (st != MT_OK)
        assert_non_null(strstr(err.detail, "refused: "));
    return st;
}

static void test_sns_cert_url_accepts_sns_hosts(void **state)
{
    (void)state;
    struct mt_sns_url u;
    struct mt_err err = {0};
    const char *url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-"
                      "9c6465fa7f48f5cacd23014631ec1136.pem";

    assert_int_equal(mt_sns_url_check(mt_str_from_cstr(url), MT_SNS_URL_CERT,
                                      MT_STR_LIT("us-east-1"), &u, &err), MT_OK);
    assert_string_equal(u.host, "sns.us-east-1.amazonaws.com");
    assert_string_equal(u.region, "us-east-1");
    assert_string_equal(u.file, "SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem");

    assert_int_equal(check("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-"
                           "a.pem", MT_SNS_URL_CERT, NULL), MT_OK);
    assert_int_equal(check("https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-"
                           "a.pem", MT_SNS_URL_CERT, "us-gov-west-1"), MT_OK);
    assert_int_equal(check("https://sns.ap-southeast-2.amazonaws.com/x.pem", MT_SNS_URL_CERT,
                           NULL), MT_OK);
}

/* Every attack from the SNS notes, and the parser tricks around them. */
static void test_sns_cert_url_attacks_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "https://sns.us-east-1.amazonaws.com.attacker.example/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-a.pem",
        "https://evil.s3.amazonaws.com/SimpleNotificationService-a.pem",
        "https://s3.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.s3.amazonaws.com/SimpleNotificationService-a.pem",
        "https://bucket.sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.evil.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://attacker.example/SimpleNotificationService-a.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "HTTPS://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https:/sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "//sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com@evil.example/SimpleNotificationService-a.pem",
        "https://user:pw@sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://evil.example@sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-a.pem",
        "https://evil\\@sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com\\@evil.example/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/dir\\SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.crt",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem.txt",
        "https://sns.us-east-1.amazonaws.com/",
        "https://sns.us-east-1.amazonaws.com",
        "https://sns.us-east-1.amazonaws.com/.pem",
        "https://sns.us-east-1.amazonaws.com/../SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/a/../SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/..pem",
        "https://sns.us-east-1.amazonaws.com/a/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/%2e%2e/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a%2epem",
        "https://sns%2eus-east-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com%2eevil.example/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem?x=1",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem#frag",
        "https://sns.us-east-1.amazonaws.com?/SimpleNotificationService-a.pem",
        "https://SNS.US-EAST-1.AMAZONAWS.COM/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com./SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com /SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/Simple\nNotificationService-a.pem",
        "https://[::1]/SimpleNotificationService-a.pem",
        "https://169.254.169.254/SimpleNotificationService-a.pem",
        "https://sns.xx.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.useast1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.us-east-1x.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns..amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.cn-north-1.amazonaws.com/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-a.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotification\xc3\xa9-a.pem",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum mt_status st = check(bad[i], MT_SNS_URL_CERT, NULL);
        if (st != MT_ERR_CERT_URL)
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_int_equal(mt_sns_url_check(MT_STR_NULL, MT_SNS_URL_CERT, MT_STR_NULL, NULL, NULL),
                     MT_ERR_CERT_URL);
}

static void test_sns_cert_url_region_pinned_to_topic(void **state)
{
    (void)state;
    struct mt_err err = {0};
    const char *url = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-a.pem";

    assert_int_equal(check(url, MT_SNS_URL_CERT, "eu-west-1"), MT_OK);
    assert_int_equal(mt_sns_url_check(mt_str_from_cstr(url), MT_SNS_URL_CERT,
                                      MT_STR_LIT("us-east-1"), NULL, &err), MT_ERR_CERT_URL);
    assert_string_equal(err.detail, "signing certificate URL refused: its host is for another "
                                    "region than the topic");
}

static void test_sns_cert_url_errors_name_the_rule(void **state)
{
    (void)state;
    struct mt_err err = {0};

    mt_sns_url_check(MT_STR_LIT("https://sns.us-east-1.amazonaws.com:8443/a.pem"),
                     MT_SNS_URL_CERT, MT_STR_NULL, NULL, &err);
    assert_string_equal(err.detail, "signing certificate URL refused: it names a port");
    mt_err_clear(&err);
    mt_sns_url_check(MT_STR_LIT("http://sns.us-east-1.amazonaws.com/a.pem"), MT_SNS_URL_CERT,
                     MT_STR_NULL, NULL, &err);
    assert_string_equal(err.detail,
                        "signing certificate URL refused: it does not start with https://");
    mt_err_clear(&err);
    mt_sns_url_check(MT_STR_LIT("https://u@sns.us-east-1.amazonaws.com/a.pem"), MT_SNS_URL_CERT,
                     MT_STR_NULL, NULL, &err);
    assert_string_equal(err.detail, "signing certificate URL refused: it has user info");
}

static void test_sns_subscribe_url_rules(void **state)
{
    (void)state;
    const char *good = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn="
                       "arn:aws:sns:us-east-1:111122223333:ses-events&Token=2336412f37fb";
    const char *encoded = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&"
                          "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A111122223333%3Ases-events";
    static const char *const bad[] = {
        "https://attacker.example/?Action=ConfirmSubscription&Token=1",
        "https://169.254.169.254/latest/meta-data/?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription",
        "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "https://u@sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com:444/?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&Token=1",
        "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscriptionX",
        "https://sns.us-east-1.amazonaws.com/other?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&x=%zz",
        "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription#f",
        "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&a=\\",
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
    };

    assert_int_equal(check(good, MT_SNS_URL_SUBSCRIBE, "us-east-1"), MT_OK);
    assert_int_equal(check(encoded, MT_SNS_URL_SUBSCRIBE, "us-east-1"), MT_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (check(bad[i], MT_SNS_URL_SUBSCRIBE, "us-east-1") != MT_ERR_SUBSCRIBE_URL)
            fail_msg("accepted '%s'", bad[i]);
    }
}

static void test_sns_topic_region(void **state)
{
    (void)state;
    assert_mt_str_equal(mt_sns_topic_region(MT_STR_LIT("arn:aws:sns:us-east-1:111122223333:t")),
                        "us-east-1");
    assert_mt_str_equal(
        mt_sns_topic_region(MT_STR_LIT("arn:aws-cn:sns:cn-north-1:111122223333:t.fifo")),
        "cn-north-1");
    assert_mt_str_null(mt_sns_topic_region(MT_STR_LIT("arn:aws:sqs:us-east-1:111122223333:t")));
    assert_mt_str_null(mt_sns_topic_region(MT_STR_LIT("arn:aws:sns:us-east-1:111122223333")));
    assert_mt_str_null(mt_sns_topic_region(MT_STR_LIT("arn:aws:sns:evil:111122223333:t")));
    assert_mt_str_null(mt_sns_topic_region(MT_STR_LIT("arn:aws:sns:us-east-1:1:t:extra")));
    assert_mt_str_null(mt_sns_topic_region(MT_STR_NULL));
}

static void test_sns_base64_strict(void **state)
{
    (void)state;
    unsigned char out[16];
    size_t n = 0;

    assert_true(sns_base64_decode(MT_STR_LIT("aGVsbG8="), out, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    assert_true(sns_base64_decode(MT_STR_LIT("aGk="), out, &n));
    assert_int_equal(n, 2);
    assert_true(sns_base64_decode(MT_STR_LIT("aA=="), out, &n));
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 'h');
    assert_true(sns_base64_decode(MT_STR_LIT("+/+/"), out, &n));
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0xfb);
    assert_false(sns_base64_decode(MT_STR_LIT("aGVsbG8"), out, &n));
    assert_false(sns_base64_decode(MT_STR_LIT("aG Vs"), out, &n));
    assert_false(sns_base64_decode(MT_STR_LIT("aG=s"), out, &n));
    assert_false(sns_base64_decode(MT_STR_LIT("a-_b"), out, &n));
    assert_false(sns_base64_decode(MT_STR_LIT(""), out, &n));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sns_cert_url_accepts_sns_hosts),
    cmocka_unit_test(test_sns_cert_url_attacks_refused),
    cmocka_unit_test(test_sns_cert_url_region_pinned_to_topic),
    cmocka_unit_test(test_sns_cert_url_errors_name_the_rule),
    cmocka_unit_test(test_sns_subscribe_url_rules),
    cmocka_unit_test(test_sns_topic_region),
    cmocka_unit_test(test_sns_base64_strict),
};

MT_TEST_MAIN(tests)
