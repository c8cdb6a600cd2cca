/* Unit tests for the input guards of common/: JSON depth and size
 * (common/json), the WebSocket whole-message bound (common/ws-guard), the
 * token bucket (common/rate) and log escaping (common/log). Pure code, a
 * hand-advanced clock. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/rate.h"
#include "common/ws-guard.h"

/* ---- common/json ---- */

static void test_json_depth_table(void)
{
    static const struct {
        const char *text;
        unsigned want;
    } cases[] = {
        {"", 0},
        {"42", 0},
        {"{}", 1},
        {"[[[]]]", 3},
        {"{\"a\":[1,{\"b\":[]}]}", 4},
        {"\"[[[[[[[[\"", 0},    /* brackets inside a string */
        {"[\"\\\"[[[[\"]", 1},  /* an escaped quote does not end it */
        {"[\"\\\\\",[[]]]", 3}, /* an escaped backslash does */
        {"]]]]{", 1},           /* malformed: the parser's business */
        {"[{}][{}]", 2},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("case %zu: %s", i, cases[i].text);
        g_assert_cmpuint(dc_json_depth(cases[i].text, strlen(cases[i].text), 32), ==,
                         cases[i].want);
    }
}

/* 80 kB of '[' (the probe that killed both servers) is refused without
 * parsing; 32 levels still parse, 33 do not. */
static void test_json_deep_refused(void)
{
    size_t n = 80 * 1024;
    g_autofree char *deep = g_malloc(n);
    memset(deep, '[', n);
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) e = NULL;
    g_assert_false(dc_json_load(p, deep, n, 0, &e));
    g_assert_error(e, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(e->message, "deeper than 32"));

    for (unsigned levels = 31; levels <= 33; levels++) {
        GString *s = g_string_new(NULL);
        for (unsigned i = 0; i < levels; i++) {
            g_string_append_c(s, '[');
        }
        for (unsigned i = 0; i < levels; i++) {
            g_string_append_c(s, ']');
        }
        g_autoptr(JsonParser) q = json_parser_new();
        g_autoptr(GError) e2 = NULL;
        bool ok = dc_json_load(q, s->str, s->len, 0, &e2);
        g_assert_cmpint(ok, ==, levels <= DC_JSON_MAX_DEPTH);
        g_string_free(s, TRUE);
    }
}

static void test_json_size(void)
{
    const char *text = "{\"type\":\"ping\"}";
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) e = NULL;
    g_assert_false(dc_json_load(p, text, strlen(text), 10, &e));
    g_assert_error(e, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
    g_clear_error(&e);
    g_assert_true(dc_json_load(p, text, strlen(text), 0, &e));
    g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)));
    g_assert_false(dc_json_load(p, "{\"a\":", 5, 0, &e)); /* json-glib's own error */
    g_assert_nonnull(e);
}

/* ---- common/ws-guard ---- */

/* A client frame header: FIN, opcode, masked, length (7, 16 or 64 bit). */
static size_t frame_header(uint8_t *out, bool fin, uint8_t opcode, uint64_t len)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        out[n++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        out[n++] = 0x80 | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) {
            out[n++] = (uint8_t)(len >> (8 * i));
        }
    }
    memcpy(out + n, "\x01\x02\x03\x04", 4); /* masking key */
    return n + 4;
}

/* Feeds a frame with len payload bytes, in pieces of step bytes. */
static int feed_frame(dc_ws_guard *g, bool fin, uint8_t opcode, uint64_t len, size_t step)
{
    uint8_t hdr[14];
    size_t n = frame_header(hdr, fin, opcode, len);
    for (size_t i = 0; i < n; i += step) {
        int rc = dc_ws_guard_feed(g, hdr + i, MIN(step, n - i));
        if (rc) {
            return rc;
        }
    }
    static uint8_t payload[4096];
    for (uint64_t left = len; left;) {
        size_t take = (size_t)MIN(MIN(left, (uint64_t)step), sizeof payload);
        int rc = dc_ws_guard_feed(g, payload, take);
        if (rc) {
            return rc;
        }
        left -= take;
    }
    return 0;
}

/* Messages under the bound pass whatever the read sizes; the bound counts
 * the whole fragmented message, not a frame. */
static void test_ws_guard_fragments(void)
{
    static const size_t steps[] = {1, 3, 7, 4096};
    for (size_t s = 0; s < G_N_ELEMENTS(steps); s++) {
        size_t step = steps[s];
        g_test_message("read size %zu", step);
        dc_ws_guard g;
        dc_ws_guard_init(&g, 1000);
        /* Whole messages up to the bound, any number of them. */
        for (int i = 0; i < 5; i++) {
            g_assert_cmpint(feed_frame(&g, true, 1, 1000, step), ==, 0);
        }
        /* 4 fragments of 250 with a ping between: exactly the bound. */
        g_assert_cmpint(feed_frame(&g, false, 1, 250, step), ==, 0);
        g_assert_cmpint(feed_frame(&g, false, 0, 250, step), ==, 0);
        g_assert_cmpint(feed_frame(&g, true, 9, 4, step), ==, 0);
        g_assert_cmpint(feed_frame(&g, false, 0, 250, step), ==, 0);
        g_assert_cmpint(feed_frame(&g, true, 0, 250, step), ==, 0);
        /* The next message starts from zero. */
        g_assert_cmpint(feed_frame(&g, false, 2, 999, step), ==, 0);
        /* One more byte than the bound, refused at its header. */
        g_assert_cmpint(feed_frame(&g, true, 0, 2, step), ==, -EMSGSIZE);
        /* Sticky. */
        g_assert_cmpint(dc_ws_guard_feed(&g, (const uint8_t *)"\x81\x80", 2), ==, -EMSGSIZE);
    }
}

/* The 64 MiB message of the probe, as 64 KiB fragments: refused after the
 * first MiB without any payload beyond it read. */
static void test_ws_guard_probe(void)
{
    dc_ws_guard g;
    dc_ws_guard_init(&g, 1024 * 1024);
    int rc = 0, frames = 0;
    while (rc == 0 && frames < 1024) {
        rc = feed_frame(&g, false, frames ? 0 : 1, 64 * 1024, 4096);
        frames++;
    }
    g_assert_cmpint(rc, ==, -EMSGSIZE);
    g_assert_cmpint(frames, ==, 17);
    /* A single frame announcing 2^62 bytes: refused at once. */
    dc_ws_guard_init(&g, 1024 * 1024);
    g_assert_cmpint(feed_frame(&g, true, 1, (uint64_t)1 << 62, 14), ==, -EMSGSIZE);
}

static void test_ws_guard_malformed(void)
{
    static const struct {
        uint8_t hdr[10];
        size_t len;
    } bad[] = {
        /* (unmasked, so that the header ends where shown) */
        {{0x81, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10}, /* 64-bit length, top bit */
        {{0x09, 0x00}, 2},                             /* a fragmented ping */
        {{0x89, 0x7e, 0x00, 0x7e}, 4},                 /* a 126-byte ping */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        dc_ws_guard g;
        dc_ws_guard_init(&g, (uint64_t)1 << 40);
        g_assert_cmpint(dc_ws_guard_feed(&g, bad[i].hdr, bad[i].len), ==, -EPROTO);
    }
}

/* ---- common/rate ---- */

static void test_rate(void)
{
    const int64_t S = 1000000;
    dc_rate r;
    dc_rate_init(&r, 50, 200, 10 * S);
    int taken = 0;
    while (dc_rate_take(&r, 10 * S)) {
        taken++;
    }
    g_assert_cmpint(taken, ==, 200); /* the burst */
    g_assert_false(dc_rate_take(&r, 10 * S + S / 100 - 1));
    g_assert_true(dc_rate_take(&r, 10 * S + S / 50)); /* 20 ms: one token */
    /* A steady 50 a second goes on for ever. */
    for (int64_t t = 11 * S; t < 71 * S; t += S / 50) {
        g_assert_true(dc_rate_take(&r, t));
    }
    /* An idle party gets its burst back, not more. */
    taken = 0;
    while (dc_rate_take(&r, 1000 * S)) {
        taken++;
    }
    g_assert_cmpint(taken, ==, 200);
    /* A clock that goes back adds nothing. */
    g_assert_false(dc_rate_take(&r, 5 * S));
}

/* ---- common/log ---- */

static void test_log_escape(void)
{
    static const struct {
        const char *in;
        size_t max;
        const char *want;
    } cases[] = {
        {"can-loc", 64, "can-loc"},
        {"Huyện Can Lộc", 64, "Huyện Can Lộc"},
        {"x\ny: site=tinh joined", 64, "x\\x0ay: site=tinh joined"},
        {"a\\b", 64, "a\\\\b"},
        {"\x1b[31mred", 64, "\\x1b[31mred"},
        {"\xff\xfe", 64, "\\xff\\xfe"},
        {"abcdef", 3, "abc…"},
        {"Lộc", 2, "Lộ…"},
        {NULL, 4, "(null)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = dc_log_escape(cases[i].in, cases[i].max);
        g_assert_cmpstr(out, ==, cases[i].want);
        g_assert_true(g_utf8_validate(out, -1, NULL));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json/depth-table", test_json_depth_table);
    g_test_add_func("/json/deep-refused", test_json_deep_refused);
    g_test_add_func("/json/size", test_json_size);
    g_test_add_func("/ws-guard/fragments", test_ws_guard_fragments);
    g_test_add_func("/ws-guard/probe-64mib", test_ws_guard_probe);
    g_test_add_func("/ws-guard/malformed", test_ws_guard_malformed);
    g_test_add_func("/rate/bucket", test_rate);
    g_test_add_func("/log/escape", test_log_escape);
    return g_test_run();
}
