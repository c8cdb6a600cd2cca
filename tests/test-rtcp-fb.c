/* Unit tests for core/rtcp-fb: NACK, PLI, FIR, REMB and transport-cc feedback.
 * Round trips, packets written byte by byte from RFC 4585 6.2.1 / 6.3.1,
 * RFC 5104 4.3.1, the REMB draft and draft-holmer-rmcat-transport-wide-cc-
 * extensions-01 section 3.1, every truncation, and sequence cases rerun from
 * start values 0, 32767 and 65535. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "core/rtcp-fb.h"

static const uint16_t starts[] = {0, 32767, 65535};

static uint8_t *exact_copy(const uint8_t *buf, size_t len)
{
    uint8_t *p = g_malloc(len ? len : 1);
    if (len)
        memcpy(p, buf, len);
    return p;
}

/* ---- NACK ---- */

static void check_nack(const uint16_t *seqs, size_t n, size_t want_pairs)
{
    uint8_t buf[1024];
    int len = dc_rtcp_fb_nack_build(buf, sizeof buf, 0xaaaa0001, 0xbbbb0002, seqs, n);
    g_assert_cmpint(len, ==, 12 + 4 * (int)want_pairs);
    dc_rtcp_fb_nack nack;
    g_assert_cmpint(dc_rtcp_fb_nack_parse(buf, (size_t)len, &nack), ==, 0);
    g_assert_cmphex(nack.fb.sender_ssrc, ==, 0xaaaa0001);
    g_assert_cmphex(nack.fb.media_ssrc, ==, 0xbbbb0002);
    g_assert_cmpuint(nack.pair_count, ==, want_pairs);
    uint16_t out[1024];
    int m = dc_rtcp_fb_nack_expand(&nack, out, G_N_ELEMENTS(out));
    /* The expansion is the input without repeats. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && seqs[i] == seqs[i - 1])
            continue;
        g_assert_cmpint((int)k, <, m);
        g_assert_cmpuint(out[k], ==, seqs[i]);
        k++;
    }
    g_assert_cmpint(m, ==, (int)k);
}

static void test_nack_roundtrip(void)
{
    static const struct {
        size_t n;
        uint16_t offs[8];
        size_t pairs;
    } cases[] = {
        {1, {0}, 1},
        {3, {0, 1, 2}, 1},
        {2, {0, 16}, 1},
        {2, {0, 17}, 2},
        {4, {0, 5, 5, 7}, 1},
        {4, {0, 100, 101, 32767}, 3},
        {5, {0, 16, 17, 33, 34}, 3},
        {8, {0, 1, 3, 7, 15, 16, 31, 32}, 2},
    };
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        for (size_t t = 0; t < G_N_ELEMENTS(cases); t++) {
            uint16_t seqs[8];
            for (size_t i = 0; i < cases[t].n; i++)
                seqs[i] = (uint16_t)(starts[s] + cases[t].offs[i]);
            check_nack(seqs, cases[t].n, cases[t].pairs);
        }
        /* A run of 41 losses: pairs at +0, +17 and +34. */
        uint16_t run[41];
        for (size_t i = 0; i < G_N_ELEMENTS(run); i++)
            run[i] = (uint16_t)(starts[s] + i);
        check_nack(run, G_N_ELEMENTS(run), 3);
    }
}

static void test_nack_rfc_bytes(void)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        uint16_t a = starts[s], b = (uint16_t)(starts[s] + 1000);
        /* Two FCI entries (RFC 4585 6.2.1): PID, then BLP bit i = PID+i+1. */
        const uint8_t bytes[] = {
            0x81,
            0xcd,
            0x00,
            0x04, /* FMT=1 PT=205 length=4 */
            0x01,
            0x02,
            0x03,
            0x04, /* SSRC of packet sender */
            0x05,
            0x06,
            0x07,
            0x08, /* SSRC of media source */
            (uint8_t)(a >> 8),
            (uint8_t)a,
            0x80,
            0x01, /* PID a, BLP: +1, +16 */
            (uint8_t)(b >> 8),
            (uint8_t)b,
            0x00,
            0x03, /* PID b, BLP: +1, +2 */
        };
        dc_rtcp_fb_nack nack;
        g_assert_cmpint(dc_rtcp_fb_nack_parse(bytes, sizeof bytes, &nack), ==, 0);
        g_assert_cmpuint(nack.pair_count, ==, 2);
        dc_rtcp_fb_nack_pair p = dc_rtcp_fb_nack_pair_at(&nack, 0);
        g_assert_cmpuint(p.pid, ==, a);
        g_assert_cmphex(p.blp, ==, 0x8001);
        uint16_t out[34];
        g_assert_cmpint(dc_rtcp_fb_nack_expand(&nack, out, G_N_ELEMENTS(out)), ==, 6);
        const uint16_t want[] = {a, (uint16_t)(a + 1), (uint16_t)(a + 16),
                                 b, (uint16_t)(b + 1), (uint16_t)(b + 2)};
        g_assert_cmpmem(out, sizeof want, want, sizeof want);
        /* The builder writes the same bytes from the list. */
        uint8_t buf[64];
        int n = dc_rtcp_fb_nack_build(buf, sizeof buf, 0x01020304, 0x05060708, want, 6);
        g_assert_cmpint(n, ==, sizeof bytes);
        g_assert_cmpmem(buf, sizeof bytes, bytes, sizeof bytes);
        /* Too little room to expand. */
        g_assert_cmpint(dc_rtcp_fb_nack_expand(&nack, out, 5), ==, -ENOSPC);
        g_assert_cmpint(dc_rtcp_fb_nack_expand(&nack, out, 0), ==, -ENOSPC);
    }
}

static void test_nack_bad_input(void)
{
    uint8_t buf[256];
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        uint16_t a = starts[s];
        const uint16_t unsorted[] = {(uint16_t)(a + 5), (uint16_t)(a + 3)};
        const uint16_t too_wide[] = {a, (uint16_t)(a + 20000), (uint16_t)(a + 40000)};
        g_assert_cmpint(dc_rtcp_fb_nack_build(buf, sizeof buf, 1, 2, unsorted, 2), ==, -EINVAL);
        g_assert_cmpint(dc_rtcp_fb_nack_build(buf, sizeof buf, 1, 2, too_wide, 3), ==, -EINVAL);
        g_assert_cmpint(dc_rtcp_fb_nack_build(buf, sizeof buf, 1, 2, &a, 0), ==, -EINVAL);
    }
    dc_rtcp_fb_nack nack;
    static const uint8_t empty[] = {0x81, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    g_assert_cmpint(dc_rtcp_fb_nack_parse(empty, sizeof empty, &nack), ==, -EBADMSG);
    static const uint8_t pli[] = {0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
    g_assert_cmpint(dc_rtcp_fb_nack_parse(pli, sizeof pli, &nack), ==, -ENOMSG);
    static const uint8_t rr[] = {0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1};
    g_assert_cmpint(dc_rtcp_fb_nack_parse(rr, sizeof rr, &nack), ==, -ENOMSG);
    static const uint8_t no_media[] = {0x81, 0xcd, 0x00, 0x01, 0, 0, 0, 1};
    g_assert_cmpint(dc_rtcp_fb_nack_parse(no_media, sizeof no_media, &nack), ==, -EBADMSG);
}

/* ---- PLI, FIR, REMB ---- */

static void test_pli(void)
{
    /* RFC 4585 6.3.1: no FCI. */
    static const uint8_t bytes[] = {0x81, 0xce, 0x00, 0x02, 0xde, 0xad,
                                    0xbe, 0xef, 0x12, 0x34, 0x56, 0x78};
    dc_rtcp_fb fb;
    g_assert_cmpint(dc_rtcp_fb_pli_parse(bytes, sizeof bytes, &fb), ==, 0);
    g_assert_cmphex(fb.sender_ssrc, ==, 0xdeadbeef);
    g_assert_cmphex(fb.media_ssrc, ==, 0x12345678);
    g_assert_cmpuint(fb.fci_len, ==, 0);
    uint8_t buf[12];
    g_assert_cmpint(dc_rtcp_fb_pli_build(buf, sizeof buf, 0xdeadbeef, 0x12345678), ==, 12);
    g_assert_cmpmem(buf, sizeof buf, bytes, sizeof bytes);
    dc_rtcp_fb_fir fir;
    g_assert_cmpint(dc_rtcp_fb_fir_parse(bytes, sizeof bytes, &fir), ==, -ENOMSG);
}

static void test_fir(void)
{
    /* RFC 5104 4.3.1: media SSRC 0, entries of SSRC + seq nr + 24 reserved. */
    static const uint8_t bytes[] = {
        0x84, 0xce, 0x00, 0x06,                         /* FMT=4 PT=206 length=6 */
        0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, /* sender, media 0 */
        0xaa, 0xbb, 0xcc, 0xdd, 0x07, 0x00, 0x00, 0x00, /* SSRC, seq nr 7 */
        0x11, 0x22, 0x33, 0x44, 0xff, 0x00, 0x00, 0x00, /* SSRC, seq nr 255 */
    };
    dc_rtcp_fb_fir fir;
    g_assert_cmpint(dc_rtcp_fb_fir_parse(bytes, sizeof bytes, &fir), ==, 0);
    g_assert_cmphex(fir.fb.sender_ssrc, ==, 0x01020304);
    g_assert_cmpuint(fir.entry_count, ==, 2);
    dc_rtcp_fb_fir_entry e0 = dc_rtcp_fb_fir_entry_at(&fir, 0);
    dc_rtcp_fb_fir_entry e1 = dc_rtcp_fb_fir_entry_at(&fir, 1);
    g_assert_cmphex(e0.ssrc, ==, 0xaabbccdd);
    g_assert_cmpuint(e0.seq_nr, ==, 7);
    g_assert_cmphex(e1.ssrc, ==, 0x11223344);
    g_assert_cmpuint(e1.seq_nr, ==, 255);
    uint8_t buf[64];
    const dc_rtcp_fb_fir_entry in[] = {e0, e1};
    g_assert_cmpint(dc_rtcp_fb_fir_build(buf, sizeof buf, 0x01020304, in, 2), ==, sizeof bytes);
    g_assert_cmpmem(buf, sizeof bytes, bytes, sizeof bytes);
    /* Round trips of 1..5 entries. */
    for (size_t n = 1; n <= 5; n++) {
        dc_rtcp_fb_fir_entry e[5];
        for (size_t i = 0; i < n; i++)
            e[i] =
                (dc_rtcp_fb_fir_entry){.ssrc = 0x5000 + (uint32_t)i, .seq_nr = (uint8_t)(i * 60)};
        int len = dc_rtcp_fb_fir_build(buf, sizeof buf, 9, e, n);
        g_assert_cmpint(len, ==, 12 + 8 * (int)n);
        g_assert_cmpint(dc_rtcp_fb_fir_parse(buf, (size_t)len, &fir), ==, 0);
        g_assert_cmpuint(fir.entry_count, ==, n);
        g_assert_cmpuint(fir.fb.media_ssrc, ==, 0);
        for (size_t i = 0; i < n; i++) {
            g_assert_cmphex(dc_rtcp_fb_fir_entry_at(&fir, i).ssrc, ==, e[i].ssrc);
            g_assert_cmpuint(dc_rtcp_fb_fir_entry_at(&fir, i).seq_nr, ==, e[i].seq_nr);
        }
    }
    g_assert_cmpint(dc_rtcp_fb_fir_build(buf, sizeof buf, 9, in, 0), ==, -EINVAL);
    /* An FCI that is not whole entries. */
    static const uint8_t half[] = {0x84, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
    g_assert_cmpint(dc_rtcp_fb_fir_parse(half, sizeof half, &fir), ==, -EBADMSG);
    static const uint8_t none[] = {0x84, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0};
    g_assert_cmpint(dc_rtcp_fb_fir_parse(none, sizeof none, &fir), ==, -EBADMSG);
}

static void test_remb(void)
{
    /* draft-alvestrand-rmcat-remb 2.2: exp 10, mantissa 0x12345, one SSRC. */
    static const uint8_t bytes[] = {
        0x8f, 0xce, 0x00, 0x05, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00,
        'R',  'E',  'M',  'B',  0x01, 0x29, 0x23, 0x45, 0x55, 0x66, 0x77, 0x88,
    };
    dc_rtcp_fb_remb remb;
    g_assert_cmpint(dc_rtcp_fb_remb_parse(bytes, sizeof bytes, &remb), ==, 0);
    g_assert_cmphex(remb.fb.sender_ssrc, ==, 0x11223344);
    g_assert_cmpuint(remb.bitrate_bps, ==, 0x12345ull << 10);
    g_assert_cmpuint(remb.ssrc_count, ==, 1);
    g_assert_cmphex(dc_rtcp_fb_remb_ssrc_at(&remb, 0), ==, 0x55667788);
    uint8_t buf[2048];
    const uint32_t one = 0x55667788;
    g_assert_cmpint(dc_rtcp_fb_remb_build(buf, sizeof buf, 0x11223344, 0x12345ull << 10, &one, 1),
                    ==, sizeof bytes);
    /* Same packet, but the builder keeps 18 significant bits: exp 9,
     * mantissa 0x2468a. */
    g_assert_cmpmem(buf, 17, bytes, 17);
    g_assert_cmphex(buf[17], ==, (9 << 2) | 2);
    g_assert_cmphex(buf[18], ==, 0x46);
    g_assert_cmphex(buf[19], ==, 0x8a);
    g_assert_cmpmem(buf + 20, 4, bytes + 20, 4);

    static const uint64_t rates[] = {0,       1,       262143,   262144,     262145,
                                     1000000, 2500000, 50000000, 1ull << 40, UINT64_MAX};
    uint32_t ssrcs[255];
    for (size_t i = 0; i < G_N_ELEMENTS(ssrcs); i++)
        ssrcs[i] = 0x70000000u + (uint32_t)i;
    static const size_t counts[] = {0, 1, 2, 255};
    for (size_t t = 0; t < G_N_ELEMENTS(rates); t++) {
        for (size_t c = 0; c < G_N_ELEMENTS(counts); c++) {
            int len = dc_rtcp_fb_remb_build(buf, sizeof buf, 7, rates[t], ssrcs, counts[c]);
            g_assert_cmpint(len, ==, 20 + 4 * (int)counts[c]);
            g_assert_cmpint(dc_rtcp_fb_remb_parse(buf, (size_t)len, &remb), ==, 0);
            g_assert_cmpuint(remb.ssrc_count, ==, counts[c]);
            for (size_t i = 0; i < counts[c]; i++)
                g_assert_cmphex(dc_rtcp_fb_remb_ssrc_at(&remb, i), ==, ssrcs[i]);
            /* Rounded down to 18 significant bits; exact below 2^18. */
            g_assert_cmpuint(remb.bitrate_bps, <=, rates[t]);
            g_assert_cmpuint(rates[t] - remb.bitrate_bps, <=, rates[t] >> 17);
            if (rates[t] < (1u << 18))
                g_assert_cmpuint(remb.bitrate_bps, ==, rates[t]);
        }
    }
    g_assert_cmpint(dc_rtcp_fb_remb_build(buf, sizeof buf, 7, 1, ssrcs, 256), ==, -EINVAL);

    /* Exponent and mantissa at the edge of 64 bits. */
    static const struct {
        uint8_t b5, b6, b7;
        uint64_t want;
    } edge[] = {
        {63 << 2, 0x00, 0x01, 1ull << 63},
        {(63 << 2), 0x00, 0x02, UINT64_MAX},
        {(46 << 2) | 3, 0xff, 0xff, 0x3ffffull << 46},
        {(47 << 2) | 3, 0xff, 0xff, UINT64_MAX},
        {(47 << 2) | 1, 0xff, 0xff, 0x1ffffull << 47},
        {0, 0, 0, 0},
    };
    for (size_t t = 0; t < G_N_ELEMENTS(edge); t++) {
        uint8_t b[sizeof bytes];
        memcpy(b, bytes, sizeof b);
        b[17] = edge[t].b5;
        b[18] = edge[t].b6;
        b[19] = edge[t].b7;
        g_assert_cmpint(dc_rtcp_fb_remb_parse(b, sizeof b, &remb), ==, 0);
        g_assert_cmphex(remb.bitrate_bps, ==, edge[t].want);
    }
    /* Other application-layer feedback, and an SSRC count that lies. */
    uint8_t b[sizeof bytes];
    memcpy(b, bytes, sizeof b);
    memcpy(b + 12, "ABCD", 4);
    g_assert_cmpint(dc_rtcp_fb_remb_parse(b, sizeof b, &remb), ==, -ENOMSG);
    memcpy(b, bytes, sizeof b);
    b[16] = 2;
    g_assert_cmpint(dc_rtcp_fb_remb_parse(b, sizeof b, &remb), ==, -EBADMSG);
}

/* ---- transport-cc ---- */

#define T0 5000000 /* us, on the 250 us grid */

typedef size_t (*twcc_gen)(dc_rtcp_fb_twcc_entry *e, uint16_t start);

static dc_rtcp_fb_twcc_entry rx(uint16_t start, int off, int64_t at)
{
    return (dc_rtcp_fb_twcc_entry){
        .seq = (uint16_t)(start + off), .received = true, .arrival_us = at};
}

static dc_rtcp_fb_twcc_entry lost(uint16_t start, int off)
{
    return (dc_rtcp_fb_twcc_entry){.seq = (uint16_t)(start + off)};
}

static size_t gen_single(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    e[0] = rx(s, 0, T0 + 12345 * 250);
    return 1;
}

static size_t gen_single_lost(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    e[0] = lost(s, 0);
    return 1;
}

static size_t gen_steady(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    for (int i = 0; i < 20; i++)
        e[i] = rx(s, i, T0 + i * 1000);
    return 20;
}

static size_t gen_alternate(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    for (int i = 0; i < 28; i++)
        e[i] = (i % 2) ? lost(s, i) : rx(s, i, T0 + i * 500);
    return 28;
}

/* Large positive and negative (reordered) deltas force 2-bit vectors. */
static size_t gen_large(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    int64_t t = T0;
    for (int i = 0; i < 40; i++) {
        t += (i % 3 == 0) ? 100000 : (i % 5 == 0) ? -30000 : 750;
        e[i] = (i % 7 == 6) ? lost(s, i) : rx(s, i, t);
    }
    return 40;
}

/* Gaps between entries, one longer than a run-length chunk holds. */
static size_t gen_gaps(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    e[0] = rx(s, 0, T0);
    e[1] = rx(s, 5, T0 + 250);
    e[2] = rx(s, 300, T0 + 8000000);
    e[3] = rx(s, 9000, T0 + 8000000);
    e[4] = rx(s, 9001, T0 + 8000000 + 63750);
    return 5;
}

static size_t gen_long_run(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    for (int i = 0; i < 10000; i++)
        e[i] = rx(s, i, T0);
    return 10000;
}

static size_t gen_lost_first(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    e[0] = lost(s, 0);
    e[1] = lost(s, 1);
    e[2] = rx(s, 2, T0 + 63999); /* rounds down to 63750 */
    e[3] = rx(s, 3, T0 + 64000);
    return 4;
}

/* Deltas at the edges: 255 and 256 ticks, -1 tick, +-32767/-32768 ticks. */
static size_t gen_delta_edges(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    static const int64_t d[] = {255, 256, -1, 32767, -32768, 0, 1};
    int64_t t = T0;
    e[0] = rx(s, 0, t);
    for (size_t i = 0; i < G_N_ELEMENTS(d); i++) {
        t += d[i] * 250;
        e[i + 1] = rx(s, (int)i + 1, t);
    }
    return G_N_ELEMENTS(d) + 1;
}

/* The widest feedback: 65535 statuses. */
static size_t gen_widest(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    e[0] = rx(s, 0, T0);
    e[1] = rx(s, 30000, T0 + 1000);
    e[2] = rx(s, 60000, T0 + 2000);
    e[3] = rx(s, 65534, T0 + 3000);
    return 4;
}

/* A time base before zero: the reference time is negative. */
static size_t gen_negative_time(dc_rtcp_fb_twcc_entry *e, uint16_t s)
{
    for (int i = 0; i < 10; i++)
        e[i] = rx(s, i, -1000000 + i * 20000);
    return 10;
}

static const struct {
    const char *name;
    twcc_gen gen;
    int chunks; /* status chunks the builder should use; -1: not checked */
} twcc_cases[] = {
    {"single", gen_single, 1},
    {"single lost", gen_single_lost, 1},
    {"steady", gen_steady, 1},
    {"alternate", gen_alternate, 2},
    {"large deltas", gen_large, -1},
    {"gaps", gen_gaps, -1},
    {"long run", gen_long_run, 2},
    {"lost first", gen_lost_first, 1},
    {"delta edges", gen_delta_edges, 2},
    {"widest", gen_widest, -1},
    {"negative time", gen_negative_time, 1},
};

/* Builds, parses and walks; every entry comes back at its offset with its
 * arrival rounded down to 250 us, and the packets between are not received. */
static void check_twcc(const dc_rtcp_fb_twcc_entry *e, size_t n, int chunks)
{
    uint8_t *buf = g_malloc(DC_RTCP_MAX_PACKET_LEN);
    int len = dc_rtcp_fb_twcc_build(buf, DC_RTCP_MAX_PACKET_LEN, 0x5e5e5e5e, 0x3d3d3d3d, 42, e, n);
    g_assert_cmpint(len, >, 0);
    g_assert_cmpint(len % 4, ==, 0);
    /* The exact size suffices, one byte less does not. */
    uint8_t *exact = exact_copy(buf, (size_t)len);
    g_assert_cmpint(dc_rtcp_fb_twcc_build(exact, (size_t)len, 0x5e5e5e5e, 0x3d3d3d3d, 42, e, n), ==,
                    len);
    g_assert_cmpmem(exact, (size_t)len, buf, (size_t)len);
    g_assert_cmpint(dc_rtcp_fb_twcc_build(exact, (size_t)len - 1, 1, 2, 42, e, n), ==, -ENOSPC);

    dc_rtcp_fb_twcc tw;
    g_assert_cmpint(dc_rtcp_fb_twcc_parse(exact, (size_t)len, &tw), ==, 0);
    g_assert_cmphex(tw.fb.sender_ssrc, ==, 0x5e5e5e5e);
    g_assert_cmphex(tw.fb.media_ssrc, ==, 0x3d3d3d3d);
    g_assert_cmpuint(tw.base_seq, ==, e[0].seq);
    g_assert_cmpuint(tw.status_count, ==, (uint16_t)(e[n - 1].seq - e[0].seq) + 1u);
    g_assert_cmpuint(tw.fb_pkt_count, ==, 42);
    if (chunks >= 0)
        g_assert_cmpuint(tw.deltas_off, ==, 8 + 2 * (size_t)chunks);
    dc_rtcp_fb_twcc_iter it;
    dc_rtcp_fb_twcc_iter_init(&it, &tw);
    dc_rtcp_fb_twcc_status st;
    size_t j = 0, count = 0;
    int r;
    while ((r = dc_rtcp_fb_twcc_iter_next(&it, &st)) == 1) {
        g_assert_cmpuint(st.seq, ==, (uint16_t)(e[0].seq + count));
        if (j < n && e[j].seq == st.seq) {
            g_assert_true(st.received == e[j].received);
            if (e[j].received) {
                int64_t want = e[j].arrival_us - ((e[j].arrival_us % 250) + 250) % 250;
                g_assert_cmpint(st.arrival_us, ==, want);
            }
            j++;
        } else {
            g_assert_false(st.received);
        }
        count++;
    }
    g_assert_cmpint(r, ==, 0);
    g_assert_cmpuint(j, ==, n);
    g_assert_cmpuint(count, ==, tw.status_count);
    g_free(exact);
    g_free(buf);
}

static void test_twcc_roundtrip(void)
{
    dc_rtcp_fb_twcc_entry *e = g_new0(dc_rtcp_fb_twcc_entry, 10000);
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        for (size_t t = 0; t < G_N_ELEMENTS(twcc_cases); t++) {
            g_test_message("case %s from %u", twcc_cases[t].name, starts[s]);
            size_t n = twcc_cases[t].gen(e, starts[s]);
            check_twcc(e, n, twcc_cases[t].chunks);
        }
    }
    g_free(e);
}

/* Seeded random feedback: gaps, losses, reordering, from each start. */
static void test_twcc_random(void)
{
    dc_rtcp_fb_twcc_entry e[400];
    GRand *rand = g_rand_new_with_seed(20240611);
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        for (int round = 0; round < 100; round++) {
            size_t n = (size_t)g_rand_int_range(rand, 1, G_N_ELEMENTS(e));
            int off = 0;
            int64_t t = (int64_t)g_rand_int_range(rand, 0, 1 << 30) * 250;
            for (size_t i = 0; i < n; i++) {
                if (i > 0)
                    off += g_rand_boolean(rand) ? 1 : g_rand_int_range(rand, 1, 40);
                t += 250 * (int64_t)(g_rand_int_range(rand, 0, 10) == 0
                                         ? g_rand_int_range(rand, -32768, 32768)
                                         : g_rand_int_range(rand, 0, 256));
                e[i] = g_rand_int_range(rand, 0, 5) == 0 ? lost(starts[s], off)
                                                         : rx(starts[s], off, t);
            }
            /* Deltas are from the previous received packet: keep them in
             * range by rebasing arrivals that drifted too far. */
            int64_t last = INT64_MIN;
            for (size_t i = 0; i < n; i++) {
                if (!e[i].received)
                    continue;
                if (last != INT64_MIN &&
                    (e[i].arrival_us - last > 8000000 || e[i].arrival_us - last < -8000000))
                    e[i].arrival_us = last + 1000;
                last = e[i].arrival_us;
            }
            check_twcc(e, n, -1);
        }
    }
    g_rand_free(rand);
}

/* Hand-written from the draft's layout (section 3.1): a run-length chunk,
 * a 1-bit status vector and a 2-bit status vector whose last symbols lie past
 * the status count, 1- and 2-byte deltas, a negative reference time, and
 * one byte of zero padding. */
static const uint8_t twcc_bytes[] = {
    0x8f, 0xcd, 0x00, 0x08,             /* FMT=15 PT=205 length=8 */
    0x11, 0x11, 0x11, 0x11,             /* SSRC of packet sender */
    0x22, 0x22, 0x22, 0x22,             /* SSRC of media source */
    0xff, 0xfe, 0x00, 0x14,             /* base seq (patched), status count 20 */
    0xff, 0xff, 0xff, 0x07,             /* reference time -1 (x 64 ms), fb pkt count 7 */
    0x20, 0x03,                         /* run: small delta x 3 */
    0xa8, 0x01,                         /* 1-bit: 1 0 1 0 0 0 0 0 0 0 0 0 0 1 */
    0xe1, 0x00,                         /* 2-bit: large, none, small, (4 unused) */
    0x04, 0x00, 0xff, 0x01, 0x02, 0x08, /* small deltas of packets 0, 1, 2, 3, 5, 16 */
    0xff, 0x38,                         /* large delta of packet 17: -200 x 250 us */
    0x28,                               /* small delta of packet 19 */
    0x00,                               /* zero padding */
};

static void test_twcc_draft_bytes(void)
{
    static const struct {
        int k;
        int64_t arrival_us;
    } got[] = {{0, -63000}, {1, -63000}, {2, 750},     {3, 1000},
               {5, 1500},   {16, 3500},  {17, -46500}, {19, -36500}};
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        uint8_t b[sizeof twcc_bytes];
        memcpy(b, twcc_bytes, sizeof b);
        b[12] = (uint8_t)(starts[s] >> 8);
        b[13] = (uint8_t)starts[s];
        dc_rtcp_fb_twcc tw;
        g_assert_cmpint(dc_rtcp_fb_twcc_parse(b, sizeof b, &tw), ==, 0);
        g_assert_cmpuint(tw.base_seq, ==, starts[s]);
        g_assert_cmpuint(tw.status_count, ==, 20);
        g_assert_cmpint(tw.reference_time, ==, -1);
        g_assert_cmpuint(tw.fb_pkt_count, ==, 7);
        dc_rtcp_fb_twcc_iter it;
        dc_rtcp_fb_twcc_iter_init(&it, &tw);
        dc_rtcp_fb_twcc_status st;
        dc_rtcp_fb_twcc_entry e[20];
        size_t g = 0, n = 0;
        for (int k = 0; k < 20; k++) {
            g_assert_cmpint(dc_rtcp_fb_twcc_iter_next(&it, &st), ==, 1);
            g_assert_cmpuint(st.seq, ==, (uint16_t)(starts[s] + k));
            bool want = g < G_N_ELEMENTS(got) && got[g].k == k;
            g_assert_true(st.received == want);
            if (want) {
                g_assert_cmpint(st.arrival_us, ==, got[g].arrival_us);
                g++;
            }
            e[n++] = (dc_rtcp_fb_twcc_entry){
                .seq = st.seq, .received = st.received, .arrival_us = st.arrival_us};
        }
        g_assert_cmpint(dc_rtcp_fb_twcc_iter_next(&it, &st), ==, 0);
        /* What was parsed builds back to a feedback that says the same. */
        check_twcc(e, n, -1);
    }
}

static void test_twcc_bad(void)
{
    static const struct {
        const char *name;
        size_t at;
        uint8_t value;
        size_t len;
    } lies[] = {
        {"status count 0", 15, 0x00, sizeof twcc_bytes},
        {"status count past the chunks", 15, 25, sizeof twcc_bytes},
        {"reserved 2-bit symbol", 24, 0xf1, sizeof twcc_bytes},
        {"reserved run symbol", 20, 0x60, sizeof twcc_bytes},
        {"deltas past the end", 3, 0x07, sizeof twcc_bytes - 4},
        {"no room for chunks", 3, 0x04, 20},
    };
    for (size_t t = 0; t < G_N_ELEMENTS(lies); t++) {
        g_test_message("case: %s", lies[t].name);
        uint8_t *b = exact_copy(twcc_bytes, lies[t].len);
        b[lies[t].at] = lies[t].value;
        dc_rtcp_fb_twcc tw;
        g_assert_cmpint(dc_rtcp_fb_twcc_parse(b, lies[t].len, &tw), ==, -EBADMSG);
        g_free(b);
    }
    /* A reserved symbol past the status count is ignored. */
    uint8_t b[sizeof twcc_bytes];
    memcpy(b, twcc_bytes, sizeof b);
    b[25] = 0x03;
    dc_rtcp_fb_twcc tw;
    g_assert_cmpint(dc_rtcp_fb_twcc_parse(b, sizeof b, &tw), ==, 0);

    uint8_t buf[512];
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        uint16_t a = starts[s];
        const dc_rtcp_fb_twcc_entry backwards[] = {rx(a, 5, T0), rx(a, 4, T0)};
        const dc_rtcp_fb_twcc_entry repeated[] = {rx(a, 5, T0), rx(a, 5, T0)};
        const dc_rtcp_fb_twcc_entry too_wide[] = {rx(a, 0, T0), rx(a, 30000, T0), rx(a, 60000, T0),
                                                  lost(a, 65535)};
        const dc_rtcp_fb_twcc_entry too_late[] = {rx(a, 0, T0), lost(a, 1),
                                                  rx(a, 2, T0 + 32768 * 250)};
        const dc_rtcp_fb_twcc_entry too_early[] = {rx(a, 0, T0), rx(a, 1, T0 - 32769 * 250)};
        g_assert_cmpint(dc_rtcp_fb_twcc_build(buf, sizeof buf, 1, 2, 0, backwards, 2), ==, -EINVAL);
        g_assert_cmpint(dc_rtcp_fb_twcc_build(buf, sizeof buf, 1, 2, 0, repeated, 2), ==, -EINVAL);
        g_assert_cmpint(dc_rtcp_fb_twcc_build(buf, sizeof buf, 1, 2, 0, too_wide, 4), ==, -EINVAL);
        g_assert_cmpint(dc_rtcp_fb_twcc_build(buf, sizeof buf, 1, 2, 0, too_late, 3), ==, -EINVAL);
        g_assert_cmpint(dc_rtcp_fb_twcc_build(buf, sizeof buf, 1, 2, 0, too_early, 2), ==, -EINVAL);
        g_assert_cmpint(dc_rtcp_fb_twcc_build(buf, sizeof buf, 1, 2, 0, too_early, 0), ==, -EINVAL);
    }
}

/* ---- every packet type: truncations and running out of room ---- */

typedef enum { K_NACK, K_PLI, K_FIR, K_REMB, K_TWCC } kind;

static int build_kind(kind k, uint8_t *buf, size_t cap)
{
    static const uint16_t seqs[] = {65530, 65531, 65535, 0, 40, 41};
    static const dc_rtcp_fb_fir_entry fir[] = {{1, 2}, {3, 4}};
    static const uint32_t ssrcs[] = {5, 6, 7};
    static const dc_rtcp_fb_twcc_entry tw[] = {{65534, true, T0},
                                               {65535, false, 0},
                                               {0, true, T0 + 250},
                                               {3, true, T0 - 100000},
                                               {20, true, T0 + 100}};
    switch (k) {
    case K_NACK:
        return dc_rtcp_fb_nack_build(buf, cap, 1, 2, seqs, G_N_ELEMENTS(seqs));
    case K_PLI:
        return dc_rtcp_fb_pli_build(buf, cap, 1, 2);
    case K_FIR:
        return dc_rtcp_fb_fir_build(buf, cap, 1, fir, G_N_ELEMENTS(fir));
    case K_REMB:
        return dc_rtcp_fb_remb_build(buf, cap, 1, 1500000, ssrcs, G_N_ELEMENTS(ssrcs));
    case K_TWCC:
        return dc_rtcp_fb_twcc_build(buf, cap, 1, 2, 3, tw, G_N_ELEMENTS(tw));
    }
    return -EINVAL;
}

static int parse_kind(kind k, const uint8_t *buf, size_t len)
{
    dc_rtcp_fb_nack nack;
    dc_rtcp_fb fb;
    dc_rtcp_fb_fir fir;
    dc_rtcp_fb_remb remb;
    dc_rtcp_fb_twcc tw;
    switch (k) {
    case K_NACK:
        return dc_rtcp_fb_nack_parse(buf, len, &nack);
    case K_PLI:
        return dc_rtcp_fb_pli_parse(buf, len, &fb);
    case K_FIR:
        return dc_rtcp_fb_fir_parse(buf, len, &fir);
    case K_REMB:
        return dc_rtcp_fb_remb_parse(buf, len, &remb);
    case K_TWCC:
        return dc_rtcp_fb_twcc_parse(buf, len, &tw);
    }
    return -EINVAL;
}

static void test_truncations(void)
{
    for (kind k = K_NACK; k <= K_TWCC; k++) {
        uint8_t buf[256];
        int len = build_kind(k, buf, sizeof buf);
        g_assert_cmpint(len, >, 0);
        g_assert_cmpint(parse_kind(k, buf, (size_t)len), ==, 0);
        for (size_t l = 0; l < (size_t)len; l++) {
            uint8_t *cut = exact_copy(buf, l);
            g_assert_cmpint(parse_kind(k, cut, l), ==, -EBADMSG);
            g_free(cut);
        }
        /* A length field one word short of the contents: only the NACK is
         * still a whole packet (one pair fewer). REMB and TWCC lack announced
         * bytes, FIR half an entry, PLI its media SSRC. */
        uint8_t *b = exact_copy(buf, (size_t)len);
        b[3]--;
        int r = parse_kind(k, b, (size_t)len);
        g_assert_cmpint(r, ==, k == K_NACK ? 0 : -EBADMSG);
        g_free(b);
    }
}

static void test_build_enospc(void)
{
    for (kind k = K_NACK; k <= K_TWCC; k++) {
        uint8_t ref[256];
        int need = build_kind(k, ref, sizeof ref);
        g_assert_cmpint(need, >, 0);
        for (size_t cap = 0; cap < (size_t)need; cap++) {
            uint8_t buf[256];
            memset(buf, 0xee, sizeof buf);
            g_assert_cmpint(build_kind(k, buf, cap), ==, -ENOSPC);
            for (size_t i = cap; i < sizeof buf; i++)
                g_assert_cmphex(buf[i], ==, 0xee);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtcp-fb/nack/roundtrip", test_nack_roundtrip);
    g_test_add_func("/rtcp-fb/nack/rfc-bytes", test_nack_rfc_bytes);
    g_test_add_func("/rtcp-fb/nack/bad-input", test_nack_bad_input);
    g_test_add_func("/rtcp-fb/pli", test_pli);
    g_test_add_func("/rtcp-fb/fir", test_fir);
    g_test_add_func("/rtcp-fb/remb", test_remb);
    g_test_add_func("/rtcp-fb/twcc/roundtrip", test_twcc_roundtrip);
    g_test_add_func("/rtcp-fb/twcc/random", test_twcc_random);
    g_test_add_func("/rtcp-fb/twcc/draft-bytes", test_twcc_draft_bytes);
    g_test_add_func("/rtcp-fb/twcc/bad", test_twcc_bad);
    g_test_add_func("/rtcp-fb/truncations", test_truncations);
    g_test_add_func("/rtcp-fb/build/enospc", test_build_enospc);
    return g_test_run();
}
