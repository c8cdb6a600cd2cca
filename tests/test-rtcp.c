/* Unit tests for core/rtcp: SR, RR, SDES and BYE round trips, packets written
 * byte by byte from RFC 3550 section 6, the compound iterator under every
 * truncation, lying length fields, and builders that run out of room. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "core/rtcp.h"

/* An exact-size heap copy, so that ASan catches any read past the end. */
static uint8_t *exact_copy(const uint8_t *buf, size_t len)
{
    uint8_t *p = g_malloc(len ? len : 1);
    if (len)
        memcpy(p, buf, len);
    return p;
}

static void fill_report(dc_rtcp_report_block *rb, unsigned i)
{
    rb->ssrc = 0x10000000u + i;
    rb->fraction_lost = (uint8_t)(i * 8);
    rb->cumulative_lost = (i % 2) ? -(int32_t)(i * 1000) : (int32_t)(i * 77777);
    rb->ext_highest_seq = 0x00010000u * i + 65535u - i;
    rb->jitter = i * 13;
    rb->lsr = 0xdeadbeefu ^ i;
    rb->dlsr = 65536u * i;
}

static void assert_reports_equal(const dc_rtcp_report_block *a, const dc_rtcp_report_block *b,
                                 unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(a[i].ssrc, ==, b[i].ssrc);
        g_assert_cmpuint(a[i].fraction_lost, ==, b[i].fraction_lost);
        g_assert_cmpint(a[i].cumulative_lost, ==, b[i].cumulative_lost);
        g_assert_cmphex(a[i].ext_highest_seq, ==, b[i].ext_highest_seq);
        g_assert_cmpuint(a[i].jitter, ==, b[i].jitter);
        g_assert_cmphex(a[i].lsr, ==, b[i].lsr);
        g_assert_cmpuint(a[i].dlsr, ==, b[i].dlsr);
    }
}

static const uint8_t report_counts[] = {0, 1, 2, 7, 31};

static void test_sr_roundtrip(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(report_counts); t++) {
        dc_rtcp_sr sr = {.ssrc = 0xcafe0000u + (uint32_t)t,
                         .ntp_time = 0xe1234567890abcdeull + t,
                         .rtp_time = 0xfffffff0u,
                         .packet_count = 123456,
                         .octet_count = 0x80000001u,
                         .report_count = report_counts[t]};
        for (unsigned i = 0; i < sr.report_count; i++)
            fill_report(&sr.reports[i], i);
        uint8_t buf[1024];
        int n = dc_rtcp_sr_build(buf, sizeof buf, &sr);
        g_assert_cmpint(n, ==, 28 + 24 * sr.report_count);
        g_assert_cmpuint(buf[0], ==, 0x80 | sr.report_count);
        g_assert_cmpuint(buf[1], ==, DC_RTCP_PT_SR);
        g_assert_cmpuint((buf[2] << 8 | buf[3]), ==, n / 4 - 1);
        dc_rtcp_sr out;
        memset(&out, 0xa5, sizeof out);
        g_assert_cmpint(dc_rtcp_sr_parse(buf, (size_t)n, &out), ==, 0);
        g_assert_cmphex(out.ssrc, ==, sr.ssrc);
        g_assert_cmphex(out.ntp_time, ==, sr.ntp_time);
        g_assert_cmphex(out.rtp_time, ==, sr.rtp_time);
        g_assert_cmpuint(out.packet_count, ==, sr.packet_count);
        g_assert_cmpuint(out.octet_count, ==, sr.octet_count);
        g_assert_cmpuint(out.report_count, ==, sr.report_count);
        assert_reports_equal(out.reports, sr.reports, sr.report_count);
        /* An SR is not an RR. */
        dc_rtcp_rr rr;
        g_assert_cmpint(dc_rtcp_rr_parse(buf, (size_t)n, &rr), ==, -ENOMSG);
    }
}

static void test_rr_roundtrip(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(report_counts); t++) {
        dc_rtcp_rr rr = {.ssrc = 0x12345678u, .report_count = report_counts[t]};
        for (unsigned i = 0; i < rr.report_count; i++)
            fill_report(&rr.reports[i], i + 3);
        uint8_t buf[1024];
        int n = dc_rtcp_rr_build(buf, sizeof buf, &rr);
        g_assert_cmpint(n, ==, 8 + 24 * rr.report_count);
        dc_rtcp_rr out;
        g_assert_cmpint(dc_rtcp_rr_parse(buf, (size_t)n, &out), ==, 0);
        g_assert_cmphex(out.ssrc, ==, rr.ssrc);
        g_assert_cmpuint(out.report_count, ==, rr.report_count);
        assert_reports_equal(out.reports, rr.reports, rr.report_count);
    }
}

static void test_sdes_roundtrip(void)
{
    /* CNAME lengths cover every alignment of the END octet and padding. */
    static const int lens[] = {-1, 0, 1, 2, 3, 4, 5, 6, 17, 255};
    char text[256];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    for (size_t t = 0; t < G_N_ELEMENTS(lens); t++) {
        /* One chunk alone, then the same chunk between two others. */
        for (unsigned layout = 0; layout < 2; layout++) {
            dc_rtcp_sdes sdes = {0};
            dc_rtcp_sdes_chunk c = {.ssrc = 0x0badf00du + (uint32_t)t};
            if (lens[t] >= 0) {
                c.cname = (const uint8_t *)text;
                c.cname_len = (uint8_t)lens[t];
            }
            if (layout == 0) {
                sdes.chunks[sdes.chunk_count++] = c;
            } else {
                sdes.chunks[sdes.chunk_count++] =
                    (dc_rtcp_sdes_chunk){.ssrc = 1, .cname = (const uint8_t *)"x", .cname_len = 1};
                sdes.chunks[sdes.chunk_count++] = c;
                sdes.chunks[sdes.chunk_count++] = (dc_rtcp_sdes_chunk){
                    .ssrc = 2, .cname = (const uint8_t *)"district-7", .cname_len = 10};
            }
            uint8_t buf[2048];
            int n = dc_rtcp_sdes_build(buf, sizeof buf, &sdes);
            g_assert_cmpint(n, >, 0);
            g_assert_cmpint(n % 4, ==, 0);
            dc_rtcp_sdes out;
            g_assert_cmpint(dc_rtcp_sdes_parse(buf, (size_t)n, &out), ==, 0);
            g_assert_cmpuint(out.chunk_count, ==, sdes.chunk_count);
            for (unsigned k = 0; k < out.chunk_count; k++) {
                g_assert_cmphex(out.chunks[k].ssrc, ==, sdes.chunks[k].ssrc);
                g_assert_true((out.chunks[k].cname == NULL) == (sdes.chunks[k].cname == NULL));
                g_assert_cmpuint(out.chunks[k].cname_len, ==, sdes.chunks[k].cname_len);
                if (out.chunks[k].cname)
                    g_assert_cmpmem(out.chunks[k].cname, out.chunks[k].cname_len,
                                    sdes.chunks[k].cname, sdes.chunks[k].cname_len);
            }
        }
    }
}

static void test_bye_roundtrip(void)
{
    static const struct {
        uint8_t ssrcs;
        const char *reason; /* NULL: none */
        size_t reason_len;
    } cases[] = {{0, NULL, 0},  {1, NULL, 0},   {3, "left the meeting", 16},
                 {1, "", 0},    {31, "abc", 3}, {2, "x", 1},
                 {1, NULL, 255}};
    char longtext[256];
    memset(longtext, 'r', sizeof longtext);
    for (size_t t = 0; t < G_N_ELEMENTS(cases); t++) {
        dc_rtcp_bye bye = {.ssrc_count = cases[t].ssrcs};
        for (unsigned i = 0; i < bye.ssrc_count; i++)
            bye.ssrcs[i] = 0xf0000000u | i;
        bye.reason = (const uint8_t *)cases[t].reason;
        bye.reason_len = (uint8_t)cases[t].reason_len;
        if (!cases[t].reason && cases[t].reason_len) {
            bye.reason = (const uint8_t *)longtext;
        }
        uint8_t buf[1024];
        int n = dc_rtcp_bye_build(buf, sizeof buf, &bye);
        g_assert_cmpint(n, >, 0);
        g_assert_cmpint(n % 4, ==, 0);
        dc_rtcp_bye out;
        g_assert_cmpint(dc_rtcp_bye_parse(buf, (size_t)n, &out), ==, 0);
        g_assert_cmpuint(out.ssrc_count, ==, bye.ssrc_count);
        g_assert_cmpmem(out.ssrcs, out.ssrc_count * 4, bye.ssrcs, bye.ssrc_count * 4);
        g_assert_true((out.reason == NULL) == (bye.reason == NULL));
        if (bye.reason)
            g_assert_cmpmem(out.reason, out.reason_len, bye.reason, bye.reason_len);
    }
}

/* SR with one report block, laid out as in RFC 3550 6.4.1. */
static const uint8_t sr_bytes[] = {
    0x81, 0xc8, 0x00, 0x0c,                         /* V=2 RC=1 PT=200 length=12 */
    0x01, 0x02, 0x03, 0x04,                         /* SSRC of sender */
    0xe1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, /* NTP timestamp */
    0x00, 0x11, 0x22, 0x33,                         /* RTP timestamp */
    0x00, 0x00, 0x00, 0x10,                         /* sender's packet count */
    0x00, 0x00, 0x20, 0x00,                         /* sender's octet count */
    0xaa, 0xbb, 0xcc, 0xdd,                         /* SSRC_1 */
    0x40, 0xff, 0xff, 0xfe,                         /* fraction 1/4, cumulative -2 */
    0x00, 0x01, 0xff, 0xff,                         /* extended highest seq */
    0x00, 0x00, 0x00, 0x20,                         /* jitter */
    0x45, 0x67, 0x89, 0x01,                         /* LSR */
    0x00, 0x01, 0x00, 0x00,                         /* DLSR: 1 s */
};

static void test_sr_rfc_bytes(void)
{
    dc_rtcp_sr sr;
    g_assert_cmpint(dc_rtcp_sr_parse(sr_bytes, sizeof sr_bytes, &sr), ==, 0);
    g_assert_cmphex(sr.ssrc, ==, 0x01020304);
    g_assert_cmphex(sr.ntp_time, ==, 0xe123456789abcdefull);
    g_assert_cmphex(sr.rtp_time, ==, 0x00112233);
    g_assert_cmpuint(sr.packet_count, ==, 16);
    g_assert_cmpuint(sr.octet_count, ==, 0x2000);
    g_assert_cmpuint(sr.report_count, ==, 1);
    g_assert_cmphex(sr.reports[0].ssrc, ==, 0xaabbccdd);
    g_assert_cmpuint(sr.reports[0].fraction_lost, ==, 0x40);
    g_assert_cmpint(sr.reports[0].cumulative_lost, ==, -2);
    g_assert_cmphex(sr.reports[0].ext_highest_seq, ==, 0x0001ffff);
    g_assert_cmpuint(sr.reports[0].jitter, ==, 32);
    g_assert_cmphex(sr.reports[0].lsr, ==, 0x45678901);
    g_assert_cmpuint(sr.reports[0].dlsr, ==, 65536);
    /* And the builder writes the same bytes back. */
    uint8_t buf[sizeof sr_bytes];
    g_assert_cmpint(dc_rtcp_sr_build(buf, sizeof buf, &sr), ==, sizeof sr_bytes);
    g_assert_cmpmem(buf, sizeof buf, sr_bytes, sizeof sr_bytes);
}

/* RR: cumulative lost is 24-bit signed (RFC 3550 6.4.1) and clamped when
 * built; bytes after the report blocks are a profile extension. */
static void test_rr_rfc_bytes(void)
{
    static const struct {
        uint8_t wire[3];
        int32_t value;
    } lost[] = {{{0x00, 0x00, 0x00}, 0},       {{0x00, 0x00, 0x01}, 1},
                {{0x7f, 0xff, 0xff}, 8388607}, {{0x80, 0x00, 0x00}, -8388608},
                {{0xff, 0xff, 0xff}, -1},      {{0x80, 0x00, 0x01}, -8388607}};
    for (size_t t = 0; t < G_N_ELEMENTS(lost); t++) {
        uint8_t rr[] = {
            0x81,
            0xc9,
            0x00,
            0x08, /* RC=1 PT=201 len 8 */
            0x11,
            0x22,
            0x33,
            0x44, /* SSRC */
            0x55,
            0x66,
            0x77,
            0x88, /* SSRC_1 */
            0xff,
            lost[t].wire[0],
            lost[t].wire[1],
            lost[t].wire[2], /* fraction, lost */
            0x00,
            0x03,
            0x00,
            0x05, /* cycles 3, seq 5 */
            0x00,
            0x00,
            0x01,
            0x00, /* jitter */
            0x00,
            0x00,
            0x00,
            0x00,
            0x00,
            0x00,
            0x00,
            0x00, /* no SR yet */
            0xde,
            0xad,
            0xbe,
            0xef, /* profile extension */
        };
        dc_rtcp_rr out;
        g_assert_cmpint(dc_rtcp_rr_parse(rr, sizeof rr, &out), ==, 0);
        g_assert_cmphex(out.ssrc, ==, 0x11223344);
        g_assert_cmpuint(out.report_count, ==, 1);
        g_assert_cmphex(out.reports[0].ssrc, ==, 0x55667788);
        g_assert_cmpuint(out.reports[0].fraction_lost, ==, 255);
        g_assert_cmpint(out.reports[0].cumulative_lost, ==, lost[t].value);
        g_assert_cmphex(out.reports[0].ext_highest_seq, ==, 0x00030005);
        g_assert_cmpuint(out.reports[0].jitter, ==, 256);
        g_assert_cmpuint(out.reports[0].lsr, ==, 0);
        g_assert_cmpuint(out.reports[0].dlsr, ==, 0);
    }
    /* Out-of-range values saturate. */
    static const struct {
        int32_t in, out;
    } clamp[] = {
        {8388608, 8388607}, {INT32_MAX, 8388607}, {-8388609, -8388608}, {INT32_MIN, -8388608}};
    for (size_t t = 0; t < G_N_ELEMENTS(clamp); t++) {
        dc_rtcp_rr rr = {.ssrc = 1, .report_count = 1};
        rr.reports[0].cumulative_lost = clamp[t].in;
        uint8_t buf[64];
        int n = dc_rtcp_rr_build(buf, sizeof buf, &rr);
        dc_rtcp_rr out;
        g_assert_cmpint(dc_rtcp_rr_parse(buf, (size_t)n, &out), ==, 0);
        g_assert_cmpint(out.reports[0].cumulative_lost, ==, clamp[t].out);
    }
}

/* SDES (RFC 3550 6.5): first chunk NAME, CNAME, PRIV then END; second chunk
 * has only a NOTE item and no CNAME; the third is an empty chunk. */
static const uint8_t sdes_bytes[] = {
    0x83, 0xca, 0x00, 0x0b,                /* SC=3 PT=202 length=11 */
    0x00, 0x00, 0x00, 0x01,                /* SSRC/CSRC_1 */
    0x02, 0x03, 'H',  'u',  'e',           /* NAME "Hue" */
    0x01, 0x05, 'a',  '@',  'b', '.', 'c', /* CNAME "a@b.c" */
    0x08, 0x03, 0x01, 'x',  'y',           /* PRIV prefix "x", "y" */
    0x00, 0x00, 0x00,                      /* END + padding */
    0x00, 0x00, 0x00, 0x02,                /* SSRC/CSRC_2 */
    0x07, 0x02, 'h',  'i',                 /* NOTE "hi" */
    0x00, 0x00, 0x00, 0x00,                /* END + padding */
    0x00, 0x00, 0x00, 0x03,                /* SSRC/CSRC_3 */
    0x00, 0x00, 0x00, 0x00,                /* END + padding */
};

static void test_sdes_rfc_bytes(void)
{
    G_STATIC_ASSERT(sizeof sdes_bytes == 48);
    dc_rtcp_sdes out;
    g_assert_cmpint(dc_rtcp_sdes_parse(sdes_bytes, sizeof sdes_bytes, &out), ==, 0);
    g_assert_cmpuint(out.chunk_count, ==, 3);
    g_assert_cmphex(out.chunks[0].ssrc, ==, 1);
    g_assert_cmpmem(out.chunks[0].cname, out.chunks[0].cname_len, "a@b.c", 5);
    g_assert_cmphex(out.chunks[1].ssrc, ==, 2);
    g_assert_null(out.chunks[1].cname);
    g_assert_cmphex(out.chunks[2].ssrc, ==, 3);
    g_assert_null(out.chunks[2].cname);
}

/* BYE (RFC 3550 6.6) with two SSRCs and a reason, and without a reason. */
static void test_bye_rfc_bytes(void)
{
    static const uint8_t with_reason[] = {
        0x82, 0xcb, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00,
        0x00, 0x0b, 0x05, 'c',  'l',  'o',  's',  'e',  0x00, 0x00, /* length 5 + padding */
    };
    dc_rtcp_bye out;
    g_assert_cmpint(dc_rtcp_bye_parse(with_reason, sizeof with_reason, &out), ==, 0);
    g_assert_cmpuint(out.ssrc_count, ==, 2);
    g_assert_cmphex(out.ssrcs[0], ==, 10);
    g_assert_cmphex(out.ssrcs[1], ==, 11);
    g_assert_cmpmem(out.reason, out.reason_len, "close", 5);
    static const uint8_t bare[] = {0x81, 0xcb, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78};
    g_assert_cmpint(dc_rtcp_bye_parse(bare, sizeof bare, &out), ==, 0);
    g_assert_cmpuint(out.ssrc_count, ==, 1);
    g_assert_cmphex(out.ssrcs[0], ==, 0x12345678);
    g_assert_null(out.reason);
    uint8_t buf[sizeof with_reason];
    dc_rtcp_bye in = {
        .ssrc_count = 2, .ssrcs = {10, 11}, .reason = (const uint8_t *)"close", .reason_len = 5};
    g_assert_cmpint(dc_rtcp_bye_build(buf, sizeof buf, &in), ==, sizeof with_reason);
    g_assert_cmpmem(buf, sizeof buf, with_reason, sizeof with_reason);
}

/* A padded RR (RFC 3550 6.4.2 with the P bit: 4 bytes of padding, last
 * octet counts them), ending a compound packet. */
static const uint8_t padded_rr[] = {
    0xa0, 0xc9, 0x00, 0x02, 0x77, 0x77, 0x77, 0x77, 0x00, 0x00, 0x00, 0x04,
};

/* SR + SDES + BYE from the builders, then the padded RR. */
static size_t build_compound(uint8_t *buf, size_t cap)
{
    dc_rtcp_sr sr = {.ssrc = 0x11111111, .ntp_time = 1ull << 40, .report_count = 2};
    fill_report(&sr.reports[0], 1);
    fill_report(&sr.reports[1], 2);
    dc_rtcp_sdes sdes = {.chunk_count = 1};
    sdes.chunks[0] = (dc_rtcp_sdes_chunk){
        .ssrc = 0x11111111, .cname = (const uint8_t *)"unit42@hanoi", .cname_len = 12};
    dc_rtcp_bye bye = {
        .ssrc_count = 1, .ssrcs = {0x11111111}, .reason = (const uint8_t *)"bye", .reason_len = 3};
    dc_rtcp_compound c;
    dc_rtcp_compound_init(&c, buf, cap);
    dc_rtcp_compound_add(
        &c, dc_rtcp_sr_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &sr));
    dc_rtcp_compound_add(
        &c, dc_rtcp_sdes_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &sdes));
    dc_rtcp_compound_add(
        &c, dc_rtcp_bye_build(dc_rtcp_compound_tail(&c), dc_rtcp_compound_room(&c), &bye));
    int n = dc_rtcp_compound_finish(&c);
    g_assert_cmpint(n, >, 0);
    g_assert_cmpuint((size_t)n + sizeof padded_rr, <=, cap);
    memcpy(buf + n, padded_rr, sizeof padded_rr);
    return (size_t)n + sizeof padded_rr;
}

/* Parses a packet with the parser for its type; returns that result. */
static int parse_any(const uint8_t *buf, size_t len, uint8_t pt)
{
    dc_rtcp_sr sr;
    dc_rtcp_rr rr;
    dc_rtcp_sdes sdes;
    dc_rtcp_bye bye;
    switch (pt) {
    case DC_RTCP_PT_SR:
        return dc_rtcp_sr_parse(buf, len, &sr);
    case DC_RTCP_PT_RR:
        return dc_rtcp_rr_parse(buf, len, &rr);
    case DC_RTCP_PT_SDES:
        return dc_rtcp_sdes_parse(buf, len, &sdes);
    case DC_RTCP_PT_BYE:
        return dc_rtcp_bye_parse(buf, len, &bye);
    default:
        return -ENOMSG;
    }
}

static void test_compound_iterate(void)
{
    uint8_t buf[512];
    size_t len = build_compound(buf, sizeof buf);
    static const uint8_t want_pt[] = {DC_RTCP_PT_SR, DC_RTCP_PT_SDES, DC_RTCP_PT_BYE,
                                      DC_RTCP_PT_RR};
    dc_rtcp_iter it;
    dc_rtcp_iter_init(&it, buf, len);
    dc_rtcp_packet pkt;
    size_t k = 0, total = 0;
    int r;
    while ((r = dc_rtcp_iter_next(&it, &pkt)) == 1) {
        g_assert_cmpuint(k, <, G_N_ELEMENTS(want_pt));
        g_assert_cmpuint(pkt.pt, ==, want_pt[k]);
        g_assert_true(pkt.data == buf + total);
        g_assert_cmpint(parse_any(pkt.data, pkt.len, pkt.pt), ==, 0);
        total += pkt.len;
        k++;
    }
    g_assert_cmpint(r, ==, 0);
    g_assert_cmpuint(k, ==, 4);
    g_assert_cmpuint(total, ==, len);
    /* The padded RR: padding stripped from the body. */
    g_assert_true(pkt.padding);
    g_assert_cmpuint(pkt.len, ==, 12);
    g_assert_cmpuint(pkt.body_len, ==, 4);
    dc_rtcp_rr rr;
    g_assert_cmpint(dc_rtcp_rr_parse(pkt.data, pkt.len, &rr), ==, 0);
    g_assert_cmphex(rr.ssrc, ==, 0x77777777);
    g_assert_cmpuint(rr.report_count, ==, 0);
    /* Iterating an empty buffer ends at once. */
    dc_rtcp_iter_init(&it, buf, 0);
    g_assert_cmpint(dc_rtcp_iter_next(&it, &pkt), ==, 0);
}

/* Every truncation of a valid compound packet: the iterator returns the
 * packets that fit whole, then -EBADMSG (or 0 exactly at a boundary), and
 * never reads past the copy (ASan). Each single packet truncated is refused
 * by its parser. */
static void test_compound_truncations(void)
{
    uint8_t full[512];
    size_t len = build_compound(full, sizeof full);
    size_t bounds[8], nb = 0;
    dc_rtcp_iter it;
    dc_rtcp_packet pkt;
    dc_rtcp_iter_init(&it, full, len);
    bounds[nb++] = 0;
    while (dc_rtcp_iter_next(&it, &pkt) == 1) {
        bounds[nb++] = (size_t)(pkt.data - full) + pkt.len;
        for (size_t l = 0; l < pkt.len; l++) {
            uint8_t *cut = exact_copy(pkt.data, l);
            g_assert_cmpint(parse_any(cut, l, pkt.pt), ==, -EBADMSG);
            g_free(cut);
        }
    }
    for (size_t l = 0; l < len; l++) {
        uint8_t *cut = exact_copy(full, l);
        dc_rtcp_iter_init(&it, cut, l);
        size_t count = 0, end = 0;
        int r;
        while ((r = dc_rtcp_iter_next(&it, &pkt)) == 1) {
            g_assert_cmpint(parse_any(pkt.data, pkt.len, pkt.pt), ==, 0);
            end = (size_t)(pkt.data - cut) + pkt.len;
            g_assert_cmpuint(end, <=, l);
            count++;
        }
        bool at_bound = false;
        for (size_t b = 0; b < nb; b++)
            at_bound = at_bound || bounds[b] == l;
        g_assert_cmpint(r, ==, at_bound ? 0 : -EBADMSG);
        g_assert_cmpuint(end, ==, bounds[count]);
        /* The error is sticky. */
        g_assert_cmpint(dc_rtcp_iter_next(&it, &pkt), ==, r);
        g_free(cut);
    }
}

/* Headers and bodies whose fields lie about their size. */
static void test_lying_lengths(void)
{
    static const struct {
        const char *name;
        uint8_t bytes[16];
        size_t len;
        int iter; /* first dc_rtcp_iter_next result */
        int parse;
    } cases[] = {
        {"version 1", {0x41, 0xc9, 0x00, 0x01, 1, 2, 3, 4}, 8, -EBADMSG, -EBADMSG},
        {"version 0", {0x01, 0xc9, 0x00, 0x01, 1, 2, 3, 4}, 8, -EBADMSG, -EBADMSG},
        {"length one word too long", {0x80, 0xc9, 0x00, 0x02, 1, 2, 3, 4}, 8, -EBADMSG, -EBADMSG},
        {"length 0xffff", {0x80, 0xc9, 0xff, 0xff, 1, 2, 3, 4}, 8, -EBADMSG, -EBADMSG},
        {"3-byte header", {0x80, 0xc9, 0x00}, 3, -EBADMSG, -EBADMSG},
        {"padding count 0", {0xa0, 0xc9, 0x00, 0x01, 1, 2, 3, 0}, 8, -EBADMSG, -EBADMSG},
        {"padding past header", {0xa0, 0xc9, 0x00, 0x01, 1, 2, 3, 5}, 8, -EBADMSG, -EBADMSG},
        {"padding eats SSRC", {0xa0, 0xc9, 0x00, 0x01, 1, 2, 3, 4}, 8, 1, -EBADMSG},
        {"RR with RC=1, no block", {0x81, 0xc9, 0x00, 0x01, 1, 2, 3, 4}, 8, 1, -EBADMSG},
        {"RR without SSRC", {0x80, 0xc9, 0x00, 0x00}, 4, 1, -EBADMSG},
        {"SR without sender info", {0x80, 0xc8, 0x00, 0x01, 1, 2, 3, 4}, 8, 1, -EBADMSG},
        {"SDES SC=2, one chunk", {0x82, 0xca, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0}, 12, 1, -EBADMSG},
        {"SDES without END", {0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 1, 2, 'a', 'b'}, 12, 1, -EBADMSG},
        {"SDES item past end",
         {0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 1, 9, 'a', 'b'},
         12,
         1,
         -EBADMSG},
        {"SDES item length octet missing", {0x81, 0xca, 0x00, 0x01, 0, 0, 0, 1}, 8, 1, -EBADMSG},
        {"SDES END without padding room",
         {0x81, 0xca, 0x00, 0x02, 0, 0, 0, 1, 1, 1, 'a', 0},
         12,
         1,
         0},
        {"BYE SC=2, one SSRC", {0x82, 0xcb, 0x00, 0x01, 1, 2, 3, 4}, 8, 1, -EBADMSG},
        {"BYE reason past end",
         {0x81, 0xcb, 0x00, 0x02, 1, 2, 3, 4, 4, 'a', 'b', 'c'},
         12,
         1,
         -EBADMSG},
        {"BYE reason fits", {0x81, 0xcb, 0x00, 0x02, 1, 2, 3, 4, 3, 'a', 'b', 'c'}, 12, 1, 0},
        {"APP is not parsed here", {0x80, 0xcc, 0x00, 0x00}, 4, 1, -ENOMSG},
    };
    for (size_t t = 0; t < G_N_ELEMENTS(cases); t++) {
        g_test_message("case: %s", cases[t].name);
        uint8_t *b = exact_copy(cases[t].bytes, cases[t].len);
        dc_rtcp_iter it;
        dc_rtcp_packet pkt;
        dc_rtcp_iter_init(&it, b, cases[t].len);
        g_assert_cmpint(dc_rtcp_iter_next(&it, &pkt), ==, cases[t].iter);
        /* APP has no parser: ask the RR parser, which must say -ENOMSG. */
        uint8_t pt = b[1] == DC_RTCP_PT_APP ? DC_RTCP_PT_RR : b[1];
        g_assert_cmpint(parse_any(b, cases[t].len, pt), ==, cases[t].parse);
        g_free(b);
    }
}

/* Every builder, at every capacity short of what it needs, returns -ENOSPC
 * and writes nothing past the capacity; counts over 31 are -EINVAL. */
static void test_build_enospc(void)
{
    dc_rtcp_sr sr = {.ssrc = 1, .report_count = 3};
    dc_rtcp_rr rr = {.ssrc = 2, .report_count = 2};
    dc_rtcp_sdes sdes = {.chunk_count = 2};
    sdes.chunks[0] =
        (dc_rtcp_sdes_chunk){.ssrc = 3, .cname = (const uint8_t *)"abcde", .cname_len = 5};
    sdes.chunks[1] = (dc_rtcp_sdes_chunk){.ssrc = 4};
    dc_rtcp_bye bye = {.ssrc_count = 2, .reason = (const uint8_t *)"gone", .reason_len = 4};
    for (unsigned kind = 0; kind < 4; kind++) {
        uint8_t ref[512];
        int need = kind == 0   ? dc_rtcp_sr_build(ref, sizeof ref, &sr)
                   : kind == 1 ? dc_rtcp_rr_build(ref, sizeof ref, &rr)
                   : kind == 2 ? dc_rtcp_sdes_build(ref, sizeof ref, &sdes)
                               : dc_rtcp_bye_build(ref, sizeof ref, &bye);
        g_assert_cmpint(need, >, 0);
        for (size_t cap = 0; cap < (size_t)need; cap++) {
            uint8_t buf[512];
            memset(buf, 0xee, sizeof buf);
            int r = kind == 0   ? dc_rtcp_sr_build(buf, cap, &sr)
                    : kind == 1 ? dc_rtcp_rr_build(buf, cap, &rr)
                    : kind == 2 ? dc_rtcp_sdes_build(buf, cap, &sdes)
                                : dc_rtcp_bye_build(buf, cap, &bye);
            g_assert_cmpint(r, ==, -ENOSPC);
            for (size_t i = cap; i < sizeof buf; i++)
                g_assert_cmphex(buf[i], ==, 0xee);
        }
    }
    uint8_t buf[2048];
    sr.report_count = 32;
    rr.report_count = 32;
    sdes.chunk_count = 32;
    bye.ssrc_count = 32;
    g_assert_cmpint(dc_rtcp_sr_build(buf, sizeof buf, &sr), ==, -EINVAL);
    g_assert_cmpint(dc_rtcp_rr_build(buf, sizeof buf, &rr), ==, -EINVAL);
    g_assert_cmpint(dc_rtcp_sdes_build(buf, sizeof buf, &sdes), ==, -EINVAL);
    g_assert_cmpint(dc_rtcp_bye_build(buf, sizeof buf, &bye), ==, -EINVAL);
    /* The compound helper keeps the first error and refuses room after it. */
    uint8_t small[40];
    dc_rtcp_compound c;
    dc_rtcp_compound_init(&c, small, sizeof small);
    rr.report_count = 0;
    g_assert_cmpint(dc_rtcp_compound_add(&c, dc_rtcp_rr_build(dc_rtcp_compound_tail(&c),
                                                              dc_rtcp_compound_room(&c), &rr)),
                    ==, 0);
    sr.report_count = 1;
    g_assert_cmpint(dc_rtcp_compound_add(&c, dc_rtcp_sr_build(dc_rtcp_compound_tail(&c),
                                                              dc_rtcp_compound_room(&c), &sr)),
                    ==, -ENOSPC);
    g_assert_cmpuint(dc_rtcp_compound_room(&c), ==, 0);
    g_assert_cmpint(dc_rtcp_compound_add(&c, dc_rtcp_rr_build(dc_rtcp_compound_tail(&c),
                                                              dc_rtcp_compound_room(&c), &rr)),
                    ==, -ENOSPC);
    g_assert_cmpint(dc_rtcp_compound_finish(&c), ==, -ENOSPC);
    /* The header writer refuses impossible lengths. */
    g_assert_cmpint(dc_rtcp_header_write(buf, 0, 201, 6), ==, -EINVAL);
    g_assert_cmpint(dc_rtcp_header_write(buf, 0, 201, 0), ==, -EINVAL);
    g_assert_cmpint(dc_rtcp_header_write(buf, 0, 201, DC_RTCP_MAX_PACKET_LEN + 4), ==, -EINVAL);
    g_assert_cmpint(dc_rtcp_header_write(buf, 0, 201, DC_RTCP_MAX_PACKET_LEN), ==, 0);
    g_assert_cmphex(buf[2] << 8 | buf[3], ==, 0xffff);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtcp/sr/roundtrip", test_sr_roundtrip);
    g_test_add_func("/rtcp/rr/roundtrip", test_rr_roundtrip);
    g_test_add_func("/rtcp/sdes/roundtrip", test_sdes_roundtrip);
    g_test_add_func("/rtcp/bye/roundtrip", test_bye_roundtrip);
    g_test_add_func("/rtcp/sr/rfc-bytes", test_sr_rfc_bytes);
    g_test_add_func("/rtcp/rr/rfc-bytes", test_rr_rfc_bytes);
    g_test_add_func("/rtcp/sdes/rfc-bytes", test_sdes_rfc_bytes);
    g_test_add_func("/rtcp/bye/rfc-bytes", test_bye_rfc_bytes);
    g_test_add_func("/rtcp/compound/iterate", test_compound_iterate);
    g_test_add_func("/rtcp/compound/truncations", test_compound_truncations);
    g_test_add_func("/rtcp/lying-lengths", test_lying_lengths);
    g_test_add_func("/rtcp/build/enospc", test_build_enospc);
    return g_test_run();
}
