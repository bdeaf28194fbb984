/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 2047 encoded words in subjects, and bare addresses. */
#include "harness.h"

#include "mt/event.h"

static struct mt_arena s_arena;

static void decodes_to(const char *in, const char *expected)
{
    struct mt_str out = mt_mime_decode_header(mt_str_from_cstr(in), &s_arena);
    assert_mt_str_equal(out, expected);
}

static void test_event_mime_base64_and_q(void **state)
{
    (void)state;
    mt_arena_init(&s_arena, 0);
    decodes_to("=?UTF-8?B?RW1vamkg8J+TpyBzdWJqZWN0?=", "Emoji \xf0\x9f\x93\xa7 subject");
    decodes_to("=?utf-8?q?Caf=C3=A9_au_lait?=", "Caf\xc3\xa9 au lait");
    decodes_to("Re: =?UTF-8?Q?na=C3=AFve?= plan", "Re: na\xc3\xafve plan");
    decodes_to("=?ISO-8859-1?Q?Gr=FC=DFe?=", "Gr\xc3\xbc\xc3\x9f" "e");
    decodes_to("=?windows-1252?Q?=80_price_=93quoted=94?=",
               "\xe2\x82\xac price \xe2\x80\x9cquoted\xe2\x80\x9d");
    decodes_to("=?iso-8859-15?B?pA==?=", "\xe2\x82\xac");
    decodes_to("=?UTF-8*en?Q?lang_tag?=", "lang tag");
    mt_arena_cleanup(&s_arena);
}

static void test_event_mime_adjacent_words_join(void **state)
{
    (void)state;
    mt_arena_init(&s_arena, 0);
    /* Whitespace between encoded words goes; a split UTF-8 character joins up. */
    decodes_to("=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab");
    decodes_to("=?UTF-8?B?8J+T?=\r\n =?UTF-8?B?pw==?=", "\xf0\x9f\x93\xa7");
    decodes_to("=?UTF-8?Q?a?=  plain =?UTF-8?Q?b?=", "a  plain b");
    decodes_to("=?ISO-8859-1?Q?=E9?= =?UTF-8?Q?=C3=A9?=", "\xc3\xa9\xc3\xa9");
    mt_arena_cleanup(&s_arena);
}

static void test_event_mime_broken_words_kept(void **state)
{
    (void)state;
    mt_arena_init(&s_arena, 0);
    static const char *const kept[] = {
        "=?UTF-8?B?not base64?=",        /* space inside */
        "=?UTF-8?B?@@@@?=",              /* bad alphabet */
        "=?UTF-8?Q?bad=ZZhex?=",         /* bad hex */
        "=?UTF-8?X?unknown?=",           /* unknown encoding */
        "=?KOI8-R?B?8tXT08vJyg==?=",     /* charset without a table */
        "=?UTF-8?B?/w==?=",              /* not UTF-8 once decoded */
        "=?UTF-8?Q?nul=00?=",            /* NUL */
        "=?UTF-8?Q?unterminated",
        "a =? b ?= c",
        "Already decoded: caf\xc3\xa9",
        "50% off =?",
    };
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        decodes_to(kept[i], kept[i]);
    decodes_to("=?UTF-8?B?@@?= =?UTF-8?Q?ok?=", "=?UTF-8?B?@@?= ok");
    mt_arena_cleanup(&s_arena);
}

static void test_event_bare_address(void **state)
{
    (void)state;
    assert_mt_str_equal(mt_mail_bare_address(MT_STR_LIT("Example <a@example.com>")),
                        "a@example.com");
    assert_mt_str_equal(mt_mail_bare_address(MT_STR_LIT("\"Doe, <J>\" < j@example.com >")),
                        "j@example.com");
    assert_mt_str_equal(mt_mail_bare_address(MT_STR_LIT("  a@example.com ")), "a@example.com");
    assert_mt_str_equal(mt_mail_bare_address(MT_STR_LIT("broken <a@example.com")),
                        "broken <a@example.com");
    assert_mt_str_equal(mt_mail_bare_address(MT_STR_LIT("empty <>")), "empty <>");
    assert_mt_str_null(mt_mail_bare_address(MT_STR_NULL));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_event_mime_base64_and_q),
    cmocka_unit_test(test_event_mime_adjacent_words_join),
    cmocka_unit_test(test_event_mime_broken_words_kept),
    cmocka_unit_test(test_event_bare_address),
};

MT_TEST_MAIN(tests)
