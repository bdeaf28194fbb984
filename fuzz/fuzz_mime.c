/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Any bytes as a header value: decoding never crashes, and valid UTF-8 in
 * gives valid UTF-8 out.  Also the bare-address extraction stays inside its
 * input.
 */
#include "mt/event.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_arena arena;
    struct mt_str in = {(const char *)data, size};

    mt_arena_init(&arena, 0);
    struct mt_str out = mt_mime_decode_header(in, &arena);
    if (out.ptr == NULL || (mt_utf8_valid(in) && !mt_utf8_valid(out)))
        abort();

    struct mt_str bare = mt_mail_bare_address(in);
    if (bare.ptr < in.ptr || bare.ptr + bare.len > in.ptr + in.len)
        abort();
    mt_arena_cleanup(&arena);
    return 0;
}
