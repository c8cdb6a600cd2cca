/* Unit tests for core/rtp: parsing hand-written packets, truncation and lying
 * length fields, in-place rewriting and the header builder. Sequence-number
 * cases are rerun from start values 0, 32767 and 65535. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/rtp.h"
#include "core/seq.h"

static const uint16_t starts[] = {0, 32767, 65535};

/* Minimal: V=2, PT 96, seq 0x1234, ts 100, SSRC 0x11223344, 4-byte payload. */
static const uint8_t pkt_min[] = {0x80, 0x60, 0x12, 0x34, 0x00, 0x00, 0x00, 0x64,
                                  0x11, 0x22, 0x33, 0x44, 0xde, 0xad, 0xbe, 0xef};
/* Two CSRCs, marker, PT 96. */
static const uint8_t pkt_csrc[] = {0x82, 0xe0, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x01, 0x0a, 0x0b, 0x0c, 0x0d,
                                   0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb};
/* Padding: 3 payload bytes then 3 padding bytes (count included). */
static const uint8_t pkt_pad[] = {0xa0, 0x6f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xde,
                                  0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x00, 0x00, 0x03};
/* One-byte extension block of 3 words (mid "a0", padding, tcc, abs-send-time). */
static const uint8_t pkt_ext1[] = {0x90, 0x6f, 0x80, 0x00, 0x00, 0x00, 0x10, 0x00, 0xca, 0xfe,
                                   0xba, 0xbe, 0xbe, 0xde, 0x00, 0x03, 0x11, 'a',  '0',  0x00,
                                   0x31, 0x12, 0x34, 0x22, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22};
/* Two-byte extension block of 3 words (empty element, rid "hi", audio level). */
static const uint8_t pkt_ext2[] = {0x90, 0x6f, 0x00, 0x07, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00,
                                   0x00, 0x07, 0x10, 0x00, 0x00, 0x03, 0x01, 0x00, 0x14, 0x02,
                                   'h',  'i',  0x00, 0x05, 0x01, 0x8a, 0x00, 0x00, 0x55};
/* Everything: one CSRC, one-byte extension, marker, PT 0, padding 2. */
static const uint8_t pkt_all[] = {0xb1, 0x80, 0xab, 0xcd, 0x00, 0x00, 0x00, 0x05, 0x00,
                                  0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0xbe, 0xde,
                                  0x00, 0x01, 0x50, 0x7f, 0x00, 0x00, 0x09, 0x00, 0x02};
/* Padding only (as in bandwidth probes): no payload, 4 padding bytes. */
static const uint8_t pkt_padonly[] = {0xa0, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04};
/* Extension block with zero words. */
static const uint8_t pkt_ext0[] = {0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x01, 0xbe, 0xde, 0x00, 0x00, 0xaa};

typedef struct {
    const char *name;
    const uint8_t *buf;
    size_t len;
    bool padding, extension, marker;
    uint8_t cc, pt;
    uint16_t seq;
    uint32_t ts, ssrc, csrc0;
    uint16_t ext_profile;
    size_t ext_len, header_len, payload_len;
    uint8_t padding_len;
} valid_case;

#define PKT(p) #p, p, sizeof(p)
#define BYTES(p) p, sizeof(p)
static const valid_case valid[] = {
    {PKT(pkt_min), false, false, false, 0, 96, 0x1234, 100, 0x11223344, 0, 0, 0, 12, 4, 0},
    {PKT(pkt_csrc), false, false, true, 2, 96, 1, 65536, 1, 0x0a0b0c0d, 0, 0, 20, 2, 0},
    {PKT(pkt_pad), true, false, false, 0, 111, 65535, 0xffffffff, 0xdeadbeef, 0, 0, 0, 12, 3, 3},
    {PKT(pkt_ext1), false, true, false, 0, 111, 0x8000, 0x1000, 0xcafebabe, 0, 0xbede, 12, 28, 2,
     0},
    {PKT(pkt_ext2), false, true, false, 0, 111, 7, 7, 7, 0, 0x1000, 12, 28, 1, 0},
    {PKT(pkt_all), true, true, true, 1, 0, 0xabcd, 5, 6, 7, 0xbede, 4, 24, 1, 2},
    {PKT(pkt_padonly), true, false, false, 0, 96, 2, 0, 1, 0, 0, 0, 12, 0, 4},
    {PKT(pkt_ext0), false, true, false, 0, 96, 1, 0, 1, 0, 0xbede, 0, 16, 1, 0},
};

/* Parses an exact-size heap copy, so that ASan reports any over-read. */
static int parse_copy(const uint8_t *buf, size_t len, dc_rtp_view *v, uint8_t **copy)
{
    *copy = g_malloc(len ? len : 1);
    if (len)
        memcpy(*copy, buf, len);
    return dc_rtp_parse(*copy, len, v);
}

static void test_parse_valid(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(valid); i++) {
        const valid_case *c = &valid[i];
        dc_rtp_view v;
        uint8_t *copy;
        g_test_message("%s", c->name);
        g_assert_cmpint(parse_copy(c->buf, c->len, &v, &copy), ==, 0);
        g_assert_cmpuint(v.version, ==, 2);
        g_assert_true(v.padding == c->padding);
        g_assert_true(v.extension == c->extension);
        g_assert_true(v.marker == c->marker);
        g_assert_cmpuint(v.csrc_count, ==, c->cc);
        g_assert_cmpuint(v.payload_type, ==, c->pt);
        g_assert_cmpuint(v.seq, ==, c->seq);
        g_assert_cmpuint(v.timestamp, ==, c->ts);
        g_assert_cmpuint(v.ssrc, ==, c->ssrc);
        g_assert_cmpuint(dc_rtp_csrc(&v, 0), ==, c->csrc0);
        g_assert_cmpuint(dc_rtp_csrc(&v, c->cc), ==, 0);
        g_assert_cmpuint(v.ext_profile, ==, c->ext_profile);
        g_assert_cmpuint(v.ext_len, ==, c->ext_len);
        g_assert_true((v.ext != NULL) == (c->ext_len > 0));
        if (v.ext)
            g_assert_true(v.ext == copy + c->header_len - c->ext_len);
        g_assert_cmpuint(v.header_len, ==, c->header_len);
        g_assert_true(v.payload == copy + c->header_len);
        g_assert_cmpuint(v.payload_len, ==, c->payload_len);
        g_assert_cmpuint(v.padding_len, ==, c->padding_len);
        g_assert_cmpuint(v.header_len + v.payload_len + v.padding_len, ==, c->len);
        g_free(copy);
    }
    dc_rtp_view v;
    uint8_t *copy;
    g_assert_cmpint(parse_copy(pkt_csrc, sizeof(pkt_csrc), &v, &copy), ==, 0);
    g_assert_cmpuint(dc_rtp_csrc(&v, 1), ==, 0x01020304);
    g_free(copy);
}

/* Every prefix of every valid packet: shorter than its header is rejected;
 * otherwise it either parses within bounds or is rejected (a prefix ends in
 * some other byte that may or may not be a valid padding count). */
static void test_truncation(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(valid); i++) {
        const valid_case *c = &valid[i];
        for (size_t len = 0; len < c->len; len++) {
            dc_rtp_view v;
            uint8_t *copy;
            int r = parse_copy(c->buf, len, &v, &copy);
            if (len < c->header_len) {
                g_assert_cmpint(r, ==, -EBADMSG);
            } else if (r == 0) {
                g_assert_cmpuint(v.header_len + v.payload_len + v.padding_len, ==, len);
            } else {
                g_assert_true(c->padding);
                g_assert_cmpint(r, ==, -EBADMSG);
            }
            g_free(copy);
        }
    }
    dc_rtp_view v;
    g_assert_cmpint(dc_rtp_parse(NULL, 0, &v), ==, -EBADMSG);
}

/* Lying length fields and bad versions, each a patch of a valid packet. */
static void test_lying_fields(void)
{
    static const struct {
        const char *what;
        const uint8_t *buf;
        size_t len;
        size_t at;
        uint8_t value;
    } cases[] = {
        {"version 0", BYTES(pkt_min), 0, 0x00},
        {"version 1", BYTES(pkt_min), 0, 0x40},
        {"version 3", BYTES(pkt_min), 0, 0xc0},
        {"csrc count 2 in 16 bytes", BYTES(pkt_min), 0, 0x82},
        {"csrc count 15", BYTES(pkt_csrc), 0, 0x8f},
        {"csrc count 3 of 2", BYTES(pkt_csrc), 0, 0x83},
        {"X bit, block length past end", BYTES(pkt_min), 0, 0x90},
        {"ext length 4 words of 3", BYTES(pkt_ext1), 15, 0x04},
        {"ext length 0xffff", BYTES(pkt_ext2), 14, 0xff},
        {"ext length past csrc", BYTES(pkt_all), 19, 0x02},
        {"padding count 0", BYTES(pkt_pad), 17, 0x00},
        {"padding count into header", BYTES(pkt_pad), 17, 0x07},
        {"padding count 255", BYTES(pkt_pad), 17, 0xff},
        {"padding count into ext", BYTES(pkt_all), 26, 0x04},
        {"P bit, count past body", BYTES(pkt_ext0), 0, 0xb0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint8_t *copy = g_memdup2(cases[i].buf, cases[i].len);
        copy[cases[i].at] = cases[i].value;
        dc_rtp_view v;
        g_test_message("%s", cases[i].what);
        g_assert_cmpint(dc_rtp_parse(copy, cases[i].len, &v), ==, -EBADMSG);
        g_free(copy);
    }
    /* Padding exactly up to the header end is allowed (no payload). */
    uint8_t *copy = g_memdup2(pkt_pad, sizeof(pkt_pad));
    copy[17] = 6;
    dc_rtp_view v;
    g_assert_cmpint(dc_rtp_parse(copy, sizeof(pkt_pad), &v), ==, 0);
    g_assert_cmpuint(v.payload_len, ==, 0);
    g_free(copy);
}

/* Rewrites every header field of each valid packet; the rest is unchanged. */
static void test_rewrite_fields(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(valid); i++) {
        const valid_case *c = &valid[i];
        uint8_t *buf = g_memdup2(c->buf, c->len);
        g_assert_cmpint(dc_rtp_set_ssrc(buf, c->len, 0x01020304), ==, 0);
        g_assert_cmpint(dc_rtp_set_timestamp(buf, c->len, 0xfffffffe), ==, 0);
        g_assert_cmpint(dc_rtp_set_payload_type(buf, c->len, 127), ==, 0);
        g_assert_cmpint(dc_rtp_set_marker(buf, c->len, !c->marker), ==, 0);
        g_assert_cmpint(dc_rtp_set_seq(buf, c->len, 4242), ==, 0);
        dc_rtp_view v;
        g_assert_cmpint(dc_rtp_parse(buf, c->len, &v), ==, 0);
        g_assert_cmpuint(v.ssrc, ==, 0x01020304);
        g_assert_cmpuint(v.timestamp, ==, 0xfffffffe);
        g_assert_cmpuint(v.payload_type, ==, 127);
        g_assert_true(v.marker == !c->marker);
        g_assert_cmpuint(v.seq, ==, 4242);
        g_assert_true(v.padding == c->padding && v.extension == c->extension);
        g_assert_cmpuint(v.csrc_count, ==, c->cc);
        g_assert_cmpmem(buf + 12, c->len - 12, c->buf + 12, c->len - 12);
        /* And back: the original bytes. */
        dc_rtp_set_ssrc(buf, c->len, c->ssrc);
        dc_rtp_set_timestamp(buf, c->len, c->ts);
        dc_rtp_set_payload_type(buf, c->len, c->pt);
        dc_rtp_set_marker(buf, c->len, c->marker);
        dc_rtp_set_seq(buf, c->len, c->seq);
        g_assert_cmpmem(buf, c->len, c->buf, c->len);
        g_free(buf);
    }
}

static void test_rewrite_errors(void)
{
    uint8_t buf[sizeof(pkt_min)];
    memcpy(buf, pkt_min, sizeof(buf));
    g_assert_cmpint(dc_rtp_set_payload_type(buf, sizeof(buf), 128), ==, -EINVAL);
    g_assert_cmpint(dc_rtp_set_ssrc(buf, 11, 1), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_set_seq(buf, 11, 1), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_set_timestamp(buf, 11, 1), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_set_payload_type(buf, 11, 1), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_set_marker(buf, 11, true), ==, -EBADMSG);
    g_assert_cmpint(dc_rtp_set_seq(NULL, 0, 1), ==, -EBADMSG);
    g_assert_cmpmem(buf, sizeof(buf), pkt_min, sizeof(pkt_min));
}

/* A forwarder rewrites sequence numbers by a fixed offset across the wrap:
 * rerun from each start value, with ingress numbers starting elsewhere. */
static void test_rewrite_seq_wrap(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        uint8_t buf[sizeof(pkt_ext1)];
        memcpy(buf, pkt_ext1, sizeof(buf));
        uint16_t prev = 0;
        for (uint32_t k = 0; k < 70000; k += 7) {
            uint16_t in = (uint16_t)(0x8000 + k);
            uint16_t out = (uint16_t)(starts[s] + k);
            g_assert_cmpint(dc_rtp_set_seq(buf, sizeof(buf), in), ==, 0);
            dc_rtp_view v;
            g_assert_cmpint(dc_rtp_parse(buf, sizeof(buf), &v), ==, 0);
            g_assert_cmpint(
                dc_rtp_set_seq(buf, sizeof(buf), (uint16_t)(v.seq - 0x8000 + starts[s])), ==, 0);
            g_assert_cmpint(dc_rtp_parse(buf, sizeof(buf), &v), ==, 0);
            g_assert_cmpuint(v.seq, ==, out);
            if (k)
                g_assert_cmpint(dc_seq_delta(prev, v.seq), ==, 7);
            prev = v.seq;
        }
    }
}

/* Builds headers (with CSRCs and extension), parses them back, field by field;
 * sequence numbers from each start value and across the wrap. */
static void test_build_roundtrip(void)
{
    static const uint32_t csrcs[DC_RTP_MAX_CSRC] = {1, 2,  3,  0xffffffff, 5,  6,  7, 8,
                                                    9, 10, 11, 12,         13, 14, 15};
    static const uint8_t ext[] = {0x10, 0xff, 0x22, 0x01, 0x02, 0x03, 0x00, 0x00};
    static const struct {
        uint8_t cc;
        bool extension;
        size_t ext_len;
        bool marker;
        uint8_t pt;
        size_t want;
    } cases[] = {
        {0, false, 0, false, 0, 12},   {0, false, 0, true, 127, 12}, {1, false, 0, false, 96, 16},
        {15, false, 0, true, 111, 72}, {0, true, 0, false, 96, 16},  {0, true, 8, true, 96, 24},
        {15, true, 8, false, 100, 84},
    };
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            uint16_t seq = (uint16_t)(starts[s] + i);
            dc_rtp_header h = {
                .marker = cases[i].marker,
                .payload_type = cases[i].pt,
                .seq = seq,
                .timestamp = 0x80000000u + (uint32_t)i,
                .ssrc = 0xfeedf00d,
                .csrcs = csrcs,
                .csrc_count = cases[i].cc,
                .extension = cases[i].extension,
                .ext_profile = 0xbede,
                .ext = ext,
                .ext_len = cases[i].ext_len,
            };
            uint8_t buf[128];
            g_assert_cmpuint(dc_rtp_header_size(&h), ==, cases[i].want);
            int n = dc_rtp_write_header(&h, buf, sizeof(buf));
            g_assert_cmpint(n, ==, (int)cases[i].want);
            buf[n] = 0x42; /* one byte of payload */
            dc_rtp_view v;
            g_assert_cmpint(dc_rtp_parse(buf, (size_t)n + 1, &v), ==, 0);
            g_assert_cmpuint(v.header_len, ==, (size_t)n);
            g_assert_cmpuint(v.payload_len, ==, 1);
            g_assert_true(!v.padding);
            g_assert_true(v.marker == h.marker);
            g_assert_cmpuint(v.payload_type, ==, h.payload_type);
            g_assert_cmpuint(v.seq, ==, seq);
            g_assert_cmpint(dc_seq_delta(starts[s], v.seq), ==, (int)i);
            g_assert_cmpuint(v.timestamp, ==, h.timestamp);
            g_assert_cmpuint(v.ssrc, ==, h.ssrc);
            g_assert_cmpuint(v.csrc_count, ==, h.csrc_count);
            for (unsigned k = 0; k < h.csrc_count; k++)
                g_assert_cmpuint(dc_rtp_csrc(&v, k), ==, csrcs[k]);
            g_assert_true(v.extension == h.extension);
            if (h.extension) {
                g_assert_cmpuint(v.ext_profile, ==, 0xbede);
                g_assert_cmpuint(v.ext_len, ==, h.ext_len);
                if (h.ext_len)
                    g_assert_cmpmem(v.ext, v.ext_len, ext, h.ext_len);
            }
        }
    }
}

/* Every capacity below the header size gives -ENOSPC and leaves buf alone;
 * inconsistent headers give -EINVAL. */
static void test_build_errors(void)
{
    static const uint32_t csrcs[2] = {7, 8};
    static const uint8_t ext[4] = {0x10, 0xaa, 0x00, 0x00};
    dc_rtp_header h = {.payload_type = 96,
                       .csrcs = csrcs,
                       .csrc_count = 2,
                       .extension = true,
                       .ext_profile = 0xbede,
                       .ext = ext,
                       .ext_len = 4};
    size_t need = dc_rtp_header_size(&h);
    g_assert_cmpuint(need, ==, 28);
    for (size_t cap = 0; cap < need; cap++) {
        uint8_t *buf = g_malloc0(cap ? cap : 1);
        g_assert_cmpint(dc_rtp_write_header(&h, buf, cap), ==, -ENOSPC);
        for (size_t k = 0; k < cap; k++)
            g_assert_cmpuint(buf[k], ==, 0);
        g_free(buf);
    }
    uint8_t *exact = g_malloc(need);
    g_assert_cmpint(dc_rtp_write_header(&h, exact, need), ==, (int)need);
    g_free(exact);
    g_assert_cmpint(dc_rtp_write_header(&h, NULL, 0), ==, -ENOSPC);

    uint8_t buf[128];
    dc_rtp_header bad = h;
    bad.payload_type = 128;
    g_assert_cmpint(dc_rtp_write_header(&bad, buf, sizeof(buf)), ==, -EINVAL);
    bad = h;
    bad.csrc_count = 16;
    g_assert_cmpint(dc_rtp_write_header(&bad, buf, sizeof(buf)), ==, -EINVAL);
    bad = h;
    bad.csrcs = NULL;
    g_assert_cmpint(dc_rtp_write_header(&bad, buf, sizeof(buf)), ==, -EINVAL);
    bad = h;
    bad.ext_len = 3;
    g_assert_cmpint(dc_rtp_write_header(&bad, buf, sizeof(buf)), ==, -EINVAL);
    bad = h;
    bad.ext = NULL;
    g_assert_cmpint(dc_rtp_write_header(&bad, buf, sizeof(buf)), ==, -EINVAL);
    bad = h;
    bad.ext_len = DC_RTP_EXT_DATA_MAX + 4;
    g_assert_cmpint(dc_rtp_write_header(&bad, buf, sizeof(buf)), ==, -EINVAL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtp/parse-valid", test_parse_valid);
    g_test_add_func("/rtp/truncation", test_truncation);
    g_test_add_func("/rtp/lying-fields", test_lying_fields);
    g_test_add_func("/rtp/rewrite-fields", test_rewrite_fields);
    g_test_add_func("/rtp/rewrite-errors", test_rewrite_errors);
    g_test_add_func("/rtp/rewrite-seq-wrap", test_rewrite_seq_wrap);
    g_test_add_func("/rtp/build-roundtrip", test_build_roundtrip);
    g_test_add_func("/rtp/build-errors", test_build_errors);
    return g_test_run();
}
