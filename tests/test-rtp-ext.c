/* Unit tests for core/rtp-ext: the RFC 8285 element iterator in both forms,
 * malformed blocks, typed accessors (with ids as negotiated, never assumed),
 * in-place rewriting and the block writer. Sequence-number cases are rerun
 * from start values 0, 32767 and 65535. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/rtp-ext.h"
#include "core/rtp.h"
#include "core/seq.h"

static const uint16_t starts[] = {0, 32767, 65535};

/* One-byte form: mid "a0" (id 1), a padding byte, tcc 0x1234 (id 3),
 * abs-send-time 0xabcdef (id 2), padding; payload 0x11 0x22. */
static const uint8_t pkt_one[] = {0x90, 0x6f, 0x80, 0x00, 0x00, 0x00, 0x10, 0x00, 0xca, 0xfe,
                                  0xba, 0xbe, 0xbe, 0xde, 0x00, 0x03, 0x11, 'a',  '0',  0x00,
                                  0x31, 0x12, 0x34, 0x22, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22};
/* Two-byte form (appbits 1): empty element id 1, rid "hi" (id 20), padding,
 * audio level V=1 level 10 (id 5), mid "video-1" (id 200); payload 0x55. */
static const uint8_t pkt_two[] = {0x90, 0x6f, 0x00, 0x07, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00,
                                  0x00, 0x07, 0x10, 0x01, 0x00, 0x05, 0x01, 0x00, 0x14, 0x02,
                                  'h',  'i',  0x00, 0x05, 0x01, 0x8a, 0xc8, 0x07, 'v',  'i',
                                  'd',  'e',  'o',  '-',  '1',  0x00, 0x55};

typedef struct {
    uint8_t id;
    uint8_t len;
    const char *data;
} want_elem;

static void check_elems(const uint8_t *pkt, size_t len, const want_elem *want, size_t n)
{
    dc_rtp_view v;
    g_assert_cmpint(dc_rtp_parse(pkt, len, &v), ==, 0);
    dc_rtp_ext_iter it;
    g_assert_cmpint(dc_rtp_ext_iter_init_view(&it, &v), ==, 0);
    dc_rtp_ext_elem e;
    for (size_t i = 0; i < n; i++) {
        g_assert_cmpint(dc_rtp_ext_next(&it, &e), ==, 1);
        g_assert_cmpuint(e.id, ==, want[i].id);
        g_assert_cmpuint(e.len, ==, want[i].len);
        g_assert_cmpmem(e.data, e.len, want[i].data, want[i].len);
        g_assert_true(e.data >= v.ext && e.data + e.len <= v.ext + v.ext_len);
    }
    g_assert_cmpint(dc_rtp_ext_next(&it, &e), ==, 0);
    g_assert_cmpint(dc_rtp_ext_next(&it, &e), ==, 0);
}

static void test_iter_one_byte(void)
{
    static const want_elem want[] = {{1, 2, "a0"}, {3, 2, "\x12\x34"}, {2, 3, "\xab\xcd\xef"}};
    check_elems(pkt_one, sizeof(pkt_one), want, G_N_ELEMENTS(want));
}

static void test_iter_two_byte(void)
{
    static const want_elem want[] = {
        {1, 0, ""}, {20, 2, "hi"}, {5, 1, "\x8a"}, {200, 7, "video-1"}};
    check_elems(pkt_two, sizeof(pkt_two), want, G_N_ELEMENTS(want));
}

/* Raw extension blocks: how many elements come out before the end or an
 * error. */
static void test_iter_malformed(void)
{
    static const struct {
        const char *what;
        uint16_t profile;
        uint8_t data[8];
        size_t len;
        int elems;  /* elements before the final result */
        int result; /* last dc_rtp_ext_next() result (or init result) */
    } cases[] = {
        {"one-byte overruns block", 0xbede, {0x13, 1, 2, 3}, 4, 0, -EBADMSG},
        {"one-byte second overruns", 0xbede, {0x10, 1, 0x21, 1}, 4, 1, -EBADMSG},
        {"one-byte only padding", 0xbede, {0, 0, 0, 0}, 4, 0, 0},
        {"one-byte id 0 nonzero length is padding", 0xbede, {0x05, 0x10, 7, 0}, 4, 1, 0},
        {"one-byte id 15 stops", 0xbede, {0x10, 1, 0xff, 0x10, 2, 0, 0, 0}, 8, 1, 0},
        {"one-byte 16 bytes in 8", 0xbede, {0x1f, 1, 2, 3, 4, 5, 6, 7}, 8, 0, -EBADMSG},
        {"two-byte overruns", 0x1000, {1, 3, 1, 2}, 4, 0, -EBADMSG},
        {"two-byte lone id", 0x1000, {1, 0, 0, 2}, 4, 1, -EBADMSG},
        {"two-byte len 255", 0x100f, {9, 255, 0, 0}, 4, 0, -EBADMSG},
        {"two-byte id 15 is fine", 0x1000, {15, 1, 9, 0}, 4, 1, 0},
        {"empty block", 0xbede, {0}, 0, 0, 0},
        {"unknown profile", 0x1234, {0x10, 1, 0, 0}, 4, 0, -ENOTSUP},
        {"profile 0x1010", 0x1010, {0x10, 1, 0, 0}, 4, 0, -ENOTSUP},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].what);
        /* Exact-size copy so that ASan sees over-reads. */
        uint8_t *data = g_memdup2(cases[i].data, cases[i].len ? cases[i].len : 1);
        dc_rtp_ext_iter it;
        int r = dc_rtp_ext_iter_init(&it, cases[i].profile, data, cases[i].len);
        int n = 0;
        dc_rtp_ext_elem e;
        if (r == 0) {
            while ((r = dc_rtp_ext_next(&it, &e)) > 0)
                n++;
        } else {
            g_assert_cmpint(dc_rtp_ext_next(&it, &e), ==, 0);
        }
        g_assert_cmpint(n, ==, cases[i].elems);
        g_assert_cmpint(r, ==, cases[i].result);
        /* After the end or an error, the iterator stays at the end. */
        g_assert_cmpint(dc_rtp_ext_next(&it, &e), ==, 0);
        g_free(data);
    }
}

/* The same accessors on both packets, with the ids each one negotiated. */
static void test_accessors(void)
{
    dc_rtp_view v;
    char s[DC_RTP_EXT_STR_MAX];
    uint32_t ast;
    uint16_t tseq;
    bool voice;
    uint8_t level;

    g_assert_cmpint(dc_rtp_parse(pkt_one, sizeof(pkt_one), &v), ==, 0);
    g_assert_cmpint(dc_rtp_ext_mid(&v, 1, s, sizeof(s)), ==, 2);
    g_assert_cmpstr(s, ==, "a0");
    g_assert_cmpint(dc_rtp_ext_transport_seq(&v, 3, &tseq), ==, 0);
    g_assert_cmpuint(tseq, ==, 0x1234);
    g_assert_cmpint(dc_rtp_ext_abs_send_time(&v, 2, &ast), ==, 0);
    g_assert_cmpuint(ast, ==, 0xabcdef);
    g_assert_cmpint(dc_rtp_ext_rid(&v, 4, s, sizeof(s)), ==, -ENOENT);
    g_assert_cmpint(dc_rtp_ext_audio_level(&v, 14, &voice, &level), ==, -ENOENT);
    /* The wrong id for a value gives a length mismatch, not a bad read. */
    g_assert_cmpint(dc_rtp_ext_abs_send_time(&v, 3, &ast), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_ext_transport_seq(&v, 2, &tseq), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_ext_audio_level(&v, 1, &voice, &level), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_ext_mid(&v, 0, s, sizeof(s)), ==, -EINVAL);
    /* Mid "a0" needs 3 bytes with its NUL. */
    g_assert_cmpint(dc_rtp_ext_mid(&v, 1, s, 2), ==, -ENOSPC);
    g_assert_cmpint(dc_rtp_ext_mid(&v, 1, s, 3), ==, 2);
    /* tcc bytes are not a valid string. */
    g_assert_cmpint(dc_rtp_ext_mid(&v, 3, s, sizeof(s)), ==, -EBADMSG);

    g_assert_cmpint(dc_rtp_parse(pkt_two, sizeof(pkt_two), &v), ==, 0);
    g_assert_cmpint(dc_rtp_ext_rid(&v, 20, s, sizeof(s)), ==, 2);
    g_assert_cmpstr(s, ==, "hi");
    g_assert_cmpint(dc_rtp_ext_repaired_rid(&v, 20, s, sizeof(s)), ==, 2);
    g_assert_cmpint(dc_rtp_ext_mid(&v, 200, s, sizeof(s)), ==, 7);
    g_assert_cmpstr(s, ==, "video-1");
    g_assert_cmpint(dc_rtp_ext_audio_level(&v, 5, &voice, &level), ==, 0);
    g_assert_true(voice);
    g_assert_cmpuint(level, ==, 10);
    /* Empty element: not a valid mid. */
    g_assert_cmpint(dc_rtp_ext_mid(&v, 1, s, sizeof(s)), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_ext_transport_seq(&v, 3, &tseq), ==, -ENOENT);

    /* No extension block at all. */
    static const uint8_t plain[] = {0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x99};
    g_assert_cmpint(dc_rtp_parse(plain, sizeof(plain), &v), ==, 0);
    g_assert_cmpint(dc_rtp_ext_mid(&v, 1, s, sizeof(s)), ==, -ENOENT);
    dc_rtp_ext_iter it;
    dc_rtp_ext_elem e;
    g_assert_cmpint(dc_rtp_ext_iter_init_view(&it, &v), ==, 0);
    g_assert_cmpint(dc_rtp_ext_next(&it, &e), ==, 0);
}

/* RFC 6464 byte: V bit and level, over a table; one-byte form with id 14. */
static void test_audio_level(void)
{
    static const struct {
        uint8_t byte;
        bool voice;
        uint8_t level;
    } cases[] = {{0x00, false, 0},  {0x80, true, 0},   {0x7f, false, 127},
                 {0xff, true, 127}, {0x1e, false, 30}, {0xa8, true, 40}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint8_t pkt[] = {0x90, 0x6f,          0, 1, 0,   0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1,
                         0xe0, cases[i].byte, 0, 0, 0xaa};
        dc_rtp_view v;
        bool voice;
        uint8_t level;
        g_assert_cmpint(dc_rtp_parse(pkt, sizeof(pkt), &v), ==, 0);
        g_assert_cmpint(dc_rtp_ext_audio_level(&v, 14, &voice, &level), ==, 0);
        g_assert_true(voice == cases[i].voice);
        g_assert_cmpuint(level, ==, cases[i].level);
    }
}

/* String validation: mid takes any token character, rid only [A-Za-z0-9_-]. */
static void test_string_validation(void)
{
    static const struct {
        const char *value;
        bool mid_ok, rid_ok;
    } cases[] = {
        {"0", true, true},          {"audio", true, true}, {"a_b-C9", true, true},
        {"a.b", true, false},       {"a b", false, false}, {"a\x01", false, false},
        {"\xc3\xa9", false, false},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        size_t n = strlen(cases[i].value);
        uint8_t pkt[32] = {0x90, 0x6f, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 2};
        pkt[16] = (uint8_t)((9 << 4) | (n - 1));
        memcpy(pkt + 17, cases[i].value, n);
        dc_rtp_view v;
        char s[DC_RTP_EXT_STR_MAX];
        g_assert_cmpint(dc_rtp_parse(pkt, 24, &v), ==, 0);
        int m = dc_rtp_ext_mid(&v, 9, s, sizeof(s));
        int r = dc_rtp_ext_rid(&v, 9, s, sizeof(s));
        g_assert_cmpint(m, ==, cases[i].mid_ok ? (int)n : -EBADMSG);
        g_assert_cmpint(r, ==, cases[i].rid_ok ? (int)n : -EBADMSG);
        if (cases[i].rid_ok)
            g_assert_cmpstr(s, ==, cases[i].value);
    }
}

/* Rewrites transport-cc sequence numbers in place, in both forms, across the
 * wrap from each start value; everything else in the packet is unchanged.
 * In pkt_two, id 20 stands in for transport-cc: any 2-byte element will do,
 * since the id is whatever SDP negotiated. */
static void test_rewrite_transport_seq(void)
{
    static const struct {
        const uint8_t *pkt;
        size_t len;
        uint8_t id;
    } pkts[] = {{pkt_one, sizeof(pkt_one), 3}, {pkt_two, sizeof(pkt_two), 20}};
    for (size_t p = 0; p < G_N_ELEMENTS(pkts); p++) {
        for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
            uint8_t *buf = g_memdup2(pkts[p].pkt, pkts[p].len);
            uint16_t prev = 0;
            for (uint32_t k = 0; k < 3; k++) /* crosses the wrap from 65535 */ {
                uint16_t seq = (uint16_t)(starts[s] + k);
                g_assert_cmpint(dc_rtp_ext_set_transport_seq(buf, pkts[p].len, pkts[p].id, seq), ==,
                                0);
                dc_rtp_view v;
                uint16_t got;
                g_assert_cmpint(dc_rtp_parse(buf, pkts[p].len, &v), ==, 0);
                g_assert_cmpint(dc_rtp_ext_transport_seq(&v, pkts[p].id, &got), ==, 0);
                g_assert_cmpuint(got, ==, seq);
                if (k)
                    g_assert_cmpint(dc_seq_delta(prev, got), ==, 1);
                prev = got;
                /* Only the two value bytes differ from the original. */
                dc_rtp_ext_elem e;
                g_assert_cmpint(dc_rtp_ext_find(&v, pkts[p].id, &e), ==, 0);
                size_t off = (size_t)(e.data - buf);
                g_assert_cmpmem(buf, off, pkts[p].pkt, off);
                g_assert_cmpmem(buf + off + 2, pkts[p].len - off - 2, pkts[p].pkt + off + 2,
                                pkts[p].len - off - 2);
            }
            g_free(buf);
        }
    }
}

static void test_rewrite_other(void)
{
    uint8_t buf[sizeof(pkt_one)];
    memcpy(buf, pkt_one, sizeof(buf));
    dc_rtp_view v;
    uint32_t ast;
    /* abs-send-time keeps the low 24 bits. */
    g_assert_cmpint(dc_rtp_ext_set_abs_send_time(buf, sizeof(buf), 2, 0xff123456), ==, 0);
    g_assert_cmpint(dc_rtp_parse(buf, sizeof(buf), &v), ==, 0);
    g_assert_cmpint(dc_rtp_ext_abs_send_time(&v, 2, &ast), ==, 0);
    g_assert_cmpuint(ast, ==, 0x123456);
    /* Same-length mid rewrite. */
    g_assert_cmpint(dc_rtp_ext_rewrite(buf, sizeof(buf), 1, (const uint8_t *)"b7", 2), ==, 0);
    char s[DC_RTP_EXT_STR_MAX];
    g_assert_cmpint(dc_rtp_ext_mid(&v, 1, s, sizeof(s)), ==, 2);
    g_assert_cmpstr(s, ==, "b7");
    /* Errors leave the packet alone. */
    uint8_t before[sizeof(buf)];
    memcpy(before, buf, sizeof(buf));
    g_assert_cmpint(dc_rtp_ext_rewrite(buf, sizeof(buf), 1, (const uint8_t *)"abc", 3), ==,
                    -EINVAL);
    g_assert_cmpint(dc_rtp_ext_set_abs_send_time(buf, sizeof(buf), 3, 1), ==, -EINVAL);
    g_assert_cmpint(dc_rtp_ext_set_transport_seq(buf, sizeof(buf), 9, 1), ==, -ENOENT);
    g_assert_cmpint(dc_rtp_ext_set_transport_seq(buf, sizeof(buf), 0, 1), ==, -EINVAL);
    g_assert_cmpint(dc_rtp_ext_set_transport_seq(buf, 20, 3, 1), ==, -EBADMSG);
    g_assert_cmpmem(buf, sizeof(buf), before, sizeof(before));
    /* A malformed block before the element. */
    buf[16] = 0x1f; /* mid claims 16 bytes */
    g_assert_cmpint(dc_rtp_ext_set_transport_seq(buf, sizeof(buf), 3, 1), ==, -EBADMSG);
}

/* The writer picks the one-byte form when it can, else the two-byte form;
 * the result goes through dc_rtp_write_header() and back through the parser
 * and the iterator unchanged. */
static void test_write_roundtrip(void)
{
    static const uint8_t big[255] = {[0] = 1, [254] = 2};
    static const struct {
        const char *what;
        dc_rtp_ext_elem elems[4];
        size_t n;
        uint16_t profile;
        int len;
    } cases[] = {
        {"none", {{0}}, 0, 0xbede, 0},
        {"tcc", {{5, 2, (const uint8_t *)"\x00\x01"}}, 1, 0xbede, 4},
        {"mid+ast+tcc",
         {{1, 1, (const uint8_t *)"0"},
          {2, 3, (const uint8_t *)"\x01\x02\x03"},
          {14, 2, (const uint8_t *)"\xff\xfe"}},
         3,
         0xbede,
         12},
        {"16-byte value", {{3, 16, (const uint8_t *)"0123456789abcdef"}}, 1, 0xbede, 20},
        {"17-byte value", {{3, 17, (const uint8_t *)"0123456789abcdefg"}}, 1, 0x1000, 20},
        {"id 15", {{1, 1, (const uint8_t *)"0"}, {15, 1, (const uint8_t *)"x"}}, 2, 0x1000, 8},
        {"empty value", {{4, 0, NULL}, {6, 1, (const uint8_t *)"y"}}, 2, 0x1000, 8},
        {"id 255, 255 bytes", {{255, 255, big}}, 1, 0x1000, 260},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].what);
        uint8_t ext[300];
        uint16_t profile = 0;
        int n = dc_rtp_ext_write(cases[i].elems, cases[i].n, ext, sizeof(ext), &profile);
        g_assert_cmpint(n, ==, cases[i].len);
        g_assert_cmpuint(profile, ==, cases[i].profile);
        dc_rtp_header h = {.payload_type = 96,
                           .seq = 1,
                           .ssrc = 2,
                           .extension = n > 0,
                           .ext_profile = profile,
                           .ext = ext,
                           .ext_len = (size_t)n};
        uint8_t pkt[400];
        int hl = dc_rtp_write_header(&h, pkt, sizeof(pkt));
        g_assert_cmpint(hl, >, 0);
        dc_rtp_view v;
        g_assert_cmpint(dc_rtp_parse(pkt, (size_t)hl, &v), ==, 0);
        dc_rtp_ext_iter it;
        dc_rtp_ext_elem e;
        g_assert_cmpint(dc_rtp_ext_iter_init_view(&it, &v), ==, 0);
        for (size_t k = 0; k < cases[i].n; k++) {
            const dc_rtp_ext_elem *w = &cases[i].elems[k];
            g_assert_cmpint(dc_rtp_ext_next(&it, &e), ==, 1);
            g_assert_cmpuint(e.id, ==, w->id);
            g_assert_cmpuint(e.len, ==, w->len);
            if (w->len)
                g_assert_cmpmem(e.data, e.len, w->data, w->len);
        }
        g_assert_cmpint(dc_rtp_ext_next(&it, &e), ==, 0);
    }
}

static void test_write_errors(void)
{
    const dc_rtp_ext_elem elems[] = {{1, 1, (const uint8_t *)"0"}, {2, 3, (const uint8_t *)"abc"}};
    uint16_t profile;
    /* 2 + 4 bytes, padded to 8: every smaller capacity fails. */
    for (size_t cap = 0; cap < 8; cap++) {
        uint8_t *buf = g_malloc(cap ? cap : 1);
        g_assert_cmpint(dc_rtp_ext_write(elems, 2, buf, cap, &profile), ==, -ENOSPC);
        g_free(buf);
    }
    uint8_t *exact = g_malloc(8);
    g_assert_cmpint(dc_rtp_ext_write(elems, 2, exact, 8, &profile), ==, 8);
    g_free(exact);
    g_assert_cmpint(dc_rtp_ext_write(elems, 2, NULL, 0, &profile), ==, -ENOSPC);

    uint8_t buf[64];
    const dc_rtp_ext_elem dup[] = {{7, 1, (const uint8_t *)"a"}, {7, 1, (const uint8_t *)"b"}};
    const dc_rtp_ext_elem zero[] = {{0, 1, (const uint8_t *)"a"}};
    const dc_rtp_ext_elem null_data[] = {{3, 2, NULL}};
    g_assert_cmpint(dc_rtp_ext_write(dup, 2, buf, sizeof(buf), &profile), ==, -EINVAL);
    g_assert_cmpint(dc_rtp_ext_write(zero, 1, buf, sizeof(buf), &profile), ==, -EINVAL);
    g_assert_cmpint(dc_rtp_ext_write(null_data, 1, buf, sizeof(buf), &profile), ==, -EINVAL);
}

/* 6.18 fixed point, wrapping every 64 s. */
static void test_abs_send_time_from_us(void)
{
    static const struct {
        uint64_t us;
        uint32_t want;
    } cases[] = {
        {0, 0},
        {1000000, 1u << 18},
        {500000, 1u << 17},
        {63999999, 0xffffff},
        {64000000, 0},
        {64000000ull * 1000000 + 2000000, 2u << 18},
        {UINT64_MAX, (uint32_t)((((UINT64_MAX % 64000000) << 18) / 1000000) & 0xffffff)},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpuint(dc_rtp_ext_abs_send_time_from_us(cases[i].us), ==, cases[i].want);
}

/* Every prefix of the extension packets, as exact-size heap copies: parse,
 * iterate and call every accessor; nothing may read past the end. */
static void test_truncation(void)
{
    const struct {
        const uint8_t *pkt;
        size_t len;
        size_t header_len;
    } pkts[] = {{pkt_one, sizeof(pkt_one), 28}, {pkt_two, sizeof(pkt_two), 36}};
    for (size_t p = 0; p < G_N_ELEMENTS(pkts); p++) {
        for (size_t len = 0; len <= pkts[p].len; len++) {
            uint8_t *buf = g_memdup2(pkts[p].pkt, len ? len : 1);
            dc_rtp_view v;
            int r = dc_rtp_parse(buf, len, &v);
            g_assert_cmpint(r, ==, len < pkts[p].header_len ? -EBADMSG : 0);
            if (r == 0) {
                dc_rtp_ext_iter it;
                dc_rtp_ext_elem e;
                dc_rtp_ext_iter_init_view(&it, &v);
                while (dc_rtp_ext_next(&it, &e) > 0) {
                    char s[DC_RTP_EXT_STR_MAX];
                    uint32_t ast;
                    uint16_t tseq;
                    bool voice;
                    uint8_t level;
                    dc_rtp_ext_mid(&v, e.id, s, sizeof(s));
                    dc_rtp_ext_rid(&v, e.id, s, sizeof(s));
                    dc_rtp_ext_abs_send_time(&v, e.id, &ast);
                    dc_rtp_ext_transport_seq(&v, e.id, &tseq);
                    dc_rtp_ext_audio_level(&v, e.id, &voice, &level);
                }
            }
            g_free(buf);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtp-ext/iter-one-byte", test_iter_one_byte);
    g_test_add_func("/rtp-ext/iter-two-byte", test_iter_two_byte);
    g_test_add_func("/rtp-ext/iter-malformed", test_iter_malformed);
    g_test_add_func("/rtp-ext/accessors", test_accessors);
    g_test_add_func("/rtp-ext/audio-level", test_audio_level);
    g_test_add_func("/rtp-ext/string-validation", test_string_validation);
    g_test_add_func("/rtp-ext/rewrite-transport-seq", test_rewrite_transport_seq);
    g_test_add_func("/rtp-ext/rewrite-other", test_rewrite_other);
    g_test_add_func("/rtp-ext/write-roundtrip", test_write_roundtrip);
    g_test_add_func("/rtp-ext/write-errors", test_write_errors);
    g_test_add_func("/rtp-ext/abs-send-time-from-us", test_abs_send_time_from_us);
    g_test_add_func("/rtp-ext/truncation", test_truncation);
    return g_test_run();
}
