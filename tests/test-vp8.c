/* Unit tests for core/vp8: RFC 7741 descriptor layouts (hand-written bytes),
 * truncation, keyframe size, in-place rewrite, writer and packetizer. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/vp8.h"

static size_t from_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        g_assert_true(g_ascii_isxdigit(p[0]) && g_ascii_isxdigit(p[1]));
        g_assert_cmpuint(n, <, cap);
        out[n++] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
        p += 2;
    }
    return n;
}

/* Expected fields: -1 for "absent". */
typedef struct {
    const char *name;
    const char *hex; /* descriptor followed by at least one payload byte */
    size_t header_len;
    int n, s, pid;
    int picture_id, picture_id_15;
    int tl0picidx;
    int tid, y;
    int keyidx;
    int start_of_frame, keyframe;
} desc_case;

static const desc_case desc_cases[] = {
    /* name, bytes, hlen, N S PID, picid M, tl0, tid Y, keyidx, sof key */
    {"minimal keyframe start", "10 50", 1, 0, 1, 0, -1, 0, -1, -1, 0, -1, 1, 1},
    {"minimal interframe start", "10 51", 1, 0, 1, 0, -1, 0, -1, -1, 0, -1, 1, 0},
    {"continuation", "00 ab cd", 1, 0, 0, 0, -1, 0, -1, -1, 0, -1, 0, 0},
    {"non-reference, partition 1", "21 ab", 1, 1, 0, 1, -1, 0, -1, -1, 0, -1, 0, 0},
    {"start of partition 3", "13 00", 1, 0, 1, 3, -1, 0, -1, -1, 0, -1, 0, 0},
    {"reserved bits ignored", "5f 00", 1, 0, 1, 7, -1, 0, -1, -1, 0, -1, 0, 0},
    {"7-bit picture id", "90 80 05 50", 3, 0, 1, 0, 5, 0, -1, -1, 0, -1, 1, 1},
    {"15-bit picture id", "90 80 81 23 51", 4, 0, 1, 0, 0x0123, 1, -1, -1, 0, -1, 1, 0},
    {"15-bit max + TL0PICIDX", "90 c0 ff ff 11 50", 5, 0, 1, 0, 0x7fff, 1, 0x11, -1, 0, -1, 1, 1},
    {"I L T, TID 2 Y", "90 e0 80 01 22 a0 50", 6, 0, 1, 0, 1, 1, 0x22, 2, 1, -1, 1, 1},
    {"all four, 7-bit", "b0 f0 7f 00 d5 51", 5, 1, 1, 0, 0x7f, 0, 0, 3, 0, 0x15, 1, 0},
    {"K only", "80 10 1f 00", 3, 0, 0, 0, -1, 0, -1, -1, 0, 31, 0, 0},
    {"T and K", "80 30 45 00", 3, 0, 0, 0, -1, 0, -1, 1, 0, 5, 0, 0},
    {"T only, KEYIDX bits ignored", "80 20 5f 00", 3, 0, 0, 0, -1, 0, -1, 1, 0, -1, 0, 0},
    {"X with no extension", "90 00 50", 2, 0, 1, 0, -1, 0, -1, -1, 0, -1, 1, 1},
    {"L only", "80 40 ee 00", 3, 0, 0, 0, -1, 0, 0xee, -1, 0, -1, 0, 0},
};

static void check_desc(const desc_case *c, const dc_vp8_descriptor *d)
{
    g_test_message("%s", c->name);
    g_assert_cmpuint(d->header_len, ==, c->header_len);
    g_assert_cmpint(d->non_reference, ==, c->n);
    g_assert_cmpint(d->start, ==, c->s);
    g_assert_cmpint(d->pid, ==, c->pid);
    g_assert_cmpint(d->has_picture_id, ==, c->picture_id >= 0);
    if (c->picture_id >= 0) {
        g_assert_cmpint(d->picture_id, ==, c->picture_id);
        g_assert_cmpint(d->picture_id_15, ==, c->picture_id_15);
    }
    g_assert_cmpint(d->has_tl0picidx, ==, c->tl0picidx >= 0);
    if (c->tl0picidx >= 0)
        g_assert_cmpint(d->tl0picidx, ==, c->tl0picidx);
    g_assert_cmpint(d->has_tid, ==, c->tid >= 0);
    if (c->tid >= 0) {
        g_assert_cmpint(d->tid, ==, c->tid);
        g_assert_cmpint(d->layer_sync, ==, c->y);
    }
    g_assert_cmpint(d->has_keyidx, ==, c->keyidx >= 0);
    if (c->keyidx >= 0)
        g_assert_cmpint(d->keyidx, ==, c->keyidx);
    g_assert_cmpint(d->start_of_frame, ==, c->start_of_frame);
    g_assert_cmpint(d->keyframe, ==, c->keyframe);
}

static void test_descriptor_table(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(desc_cases); i++) {
        uint8_t buf[16];
        size_t len = from_hex(desc_cases[i].hex, buf, sizeof(buf));
        dc_vp8_descriptor d;
        g_assert_cmpint(dc_vp8_parse(buf, len, &d), ==, 0);
        check_desc(&desc_cases[i], &d);
    }
}

/* Every prefix that ends inside the descriptor, or right after it, fails. */
static void test_truncated(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(desc_cases); i++) {
        uint8_t buf[16];
        size_t len = from_hex(desc_cases[i].hex, buf, sizeof(buf));
        (void)len;
        for (size_t n = 0; n <= desc_cases[i].header_len; n++) {
            uint8_t *exact = g_memdup2(buf, n ? n : 1);
            dc_vp8_descriptor d;
            g_assert_cmpint(dc_vp8_parse(exact, n, &d), ==, -EBADMSG);
            g_free(exact);
        }
    }
}

static void test_keyframe_size(void)
{
    static const struct {
        const char *hex; /* descriptor + VP8 payload start */
        int want;
        int w, h, hs, vs;
    } cases[] = {
        /* 1280x720: tag 50 42 00 (P=0, version 0, show_frame), start code. */
        {"90 80 80 01 50 42 00 9d 01 2a 00 05 d0 02 ff", 0, 1280, 720, 0, 0},
        {"10 b0 3a 01 9d 01 2a 80 02 e0 01", 0, 640, 480, 0, 0},
        /* 320x180 with scale bits set (hscale 1, vscale 3). */
        {"10 50 42 00 9d 01 2a 40 41 b4 c0", 0, 320, 180, 1, 3},
        /* 14-bit maxima */
        {"10 50 42 00 9d 01 2a ff 3f ff 3f", 0, 16383, 16383, 0, 0},
        {"10 51 42 00 9d 01 2a 00 05 d0 02", -EINVAL, 0, 0, 0, 0},  /* P = 1 */
        {"10 50 42 00 9d 01 2a 00 05 d0", -EBADMSG, 0, 0, 0, 0},    /* 9 bytes */
        {"10 50 42 00 9d 01 2b 00 05 d0 02", -EBADMSG, 0, 0, 0, 0}, /* start code */
        {"10 50", -EBADMSG, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint8_t buf[32];
        size_t len = from_hex(cases[i].hex, buf, sizeof(buf));
        uint8_t *exact = g_memdup2(buf, len);
        dc_vp8_descriptor d;
        g_assert_cmpint(dc_vp8_parse(exact, len, &d), ==, 0);
        g_assert_true(d.start_of_frame);
        g_assert_cmpint(d.keyframe, ==, cases[i].want != -EINVAL);
        dc_vp8_size sz;
        int r = dc_vp8_keyframe_size(exact + d.header_len, len - d.header_len, &sz);
        g_assert_cmpint(r, ==, cases[i].want);
        if (r == 0) {
            g_assert_cmpuint(sz.width, ==, cases[i].w);
            g_assert_cmpuint(sz.height, ==, cases[i].h);
            g_assert_cmpuint(sz.hscale, ==, cases[i].hs);
            g_assert_cmpuint(sz.vscale, ==, cases[i].vs);
        }
        g_free(exact);
    }
    dc_vp8_size sz;
    g_assert_cmpint(dc_vp8_keyframe_size(NULL, 0, &sz), ==, -EBADMSG);
}

/* Rewrite every descriptor of the table; everything but the rewritten field
 * stays, including the payload. */
static void test_rewrite_round_trip(void)
{
    static const uint16_t ids[] = {0, 1, 0x7f, 0x80, 0x1234, 0x7fff, 0x8005, 0xffff};
    for (size_t i = 0; i < G_N_ELEMENTS(desc_cases); i++) {
        const desc_case *c = &desc_cases[i];
        uint8_t orig[16];
        size_t len = from_hex(c->hex, orig, sizeof(orig));
        for (size_t k = 0; k < G_N_ELEMENTS(ids); k++) {
            uint8_t buf[16];
            memcpy(buf, orig, len);
            int r = dc_vp8_set_picture_id(buf, len, ids[k]);
            dc_vp8_descriptor d;
            g_assert_cmpint(dc_vp8_parse(buf, len, &d), ==, 0);
            if (c->picture_id < 0) {
                g_assert_cmpint(r, ==, -ENOENT);
                g_assert_cmpmem(buf, len, orig, len);
                continue;
            }
            g_assert_cmpint(r, ==, 0);
            uint16_t mask = c->picture_id_15 ? 0x7fff : 0x7f;
            g_assert_cmpuint(d.picture_id, ==, ids[k] & mask);
            desc_case want = *c;
            want.picture_id = ids[k] & mask;
            check_desc(&want, &d);
            g_assert_cmpmem(buf + d.header_len, len - d.header_len, orig + d.header_len,
                            len - d.header_len);
            /* And back. */
            g_assert_cmpint(dc_vp8_set_picture_id(buf, len, (uint16_t)c->picture_id), ==, 0);
            g_assert_cmpmem(buf, len, orig, len);
        }
        for (unsigned t = 0; t < 256; t += 51) {
            uint8_t buf[16];
            memcpy(buf, orig, len);
            int r = dc_vp8_set_tl0picidx(buf, len, (uint8_t)t);
            if (c->tl0picidx < 0) {
                g_assert_cmpint(r, ==, -ENOENT);
                g_assert_cmpmem(buf, len, orig, len);
                continue;
            }
            g_assert_cmpint(r, ==, 0);
            dc_vp8_descriptor d;
            g_assert_cmpint(dc_vp8_parse(buf, len, &d), ==, 0);
            desc_case want = *c;
            want.tl0picidx = (int)t;
            check_desc(&want, &d);
        }
    }
    /* Truncated descriptors are left alone. */
    uint8_t trunc[] = {0x90, 0x80, 0x81};
    g_assert_cmpint(dc_vp8_set_picture_id(trunc, sizeof(trunc), 7), ==, -EBADMSG);
    g_assert_cmpint(dc_vp8_set_tl0picidx(trunc, sizeof(trunc), 7), ==, -EBADMSG);
    g_assert_cmpuint(trunc[2], ==, 0x81);
}

static void test_writer(void)
{
    /* Parse each table row, write it back: the same bytes, for rows whose
     * reserved and ignored bits are zero. */
    for (size_t i = 0; i < G_N_ELEMENTS(desc_cases); i++) {
        uint8_t orig[16];
        size_t len = from_hex(desc_cases[i].hex, orig, sizeof(orig));
        dc_vp8_descriptor d;
        g_assert_cmpint(dc_vp8_parse(orig, len, &d), ==, 0);
        uint8_t out[DC_VP8_MAX_DESCRIPTOR_LEN];
        int n = dc_vp8_write_descriptor(&d, out, sizeof(out));
        /* "X with no extension" comes back without X; reserved bits and the
         * ignored KEYIDX bits come back as zero. */
        if (strcmp(desc_cases[i].name, "X with no extension") == 0) {
            g_assert_cmpint(n, ==, 1);
            g_assert_cmpuint(out[0], ==, 0x10);
        } else if (strstr(desc_cases[i].name, "ignored")) {
            g_assert_cmpint(n, ==, (int)d.header_len);
        } else {
            g_assert_cmpint(n, ==, (int)d.header_len);
            g_assert_cmpmem(out, (size_t)n, orig, d.header_len);
        }
        for (size_t cap = 0; cap < (size_t)n; cap++)
            g_assert_cmpint(dc_vp8_write_descriptor(&d, out, cap), ==, -ENOSPC);
    }
    /* Values are masked to their fields. */
    dc_vp8_descriptor d = {.start = true,
                           .has_picture_id = true,
                           .picture_id_15 = true,
                           .picture_id = 0xffff,
                           .has_tid = true,
                           .tid = 7,
                           .has_keyidx = true,
                           .keyidx = 0xff};
    uint8_t out[DC_VP8_MAX_DESCRIPTOR_LEN + 1];
    int n = dc_vp8_write_descriptor(&d, out, sizeof(out));
    g_assert_cmpint(n, ==, 5);
    out[n] = 0x50;
    dc_vp8_descriptor back;
    g_assert_cmpint(dc_vp8_parse(out, (size_t)n + 1, &back), ==, 0);
    g_assert_cmpuint(back.picture_id, ==, 0x7fff);
    g_assert_cmpuint(back.tid, ==, 3);
    g_assert_cmpuint(back.keyidx, ==, 31);
    g_assert_true(back.keyframe);
    d.pid = 8;
    g_assert_cmpint(dc_vp8_write_descriptor(&d, out, sizeof(out)), ==, -EINVAL);
}

/* Packetizes frame[0..len), checks every payload, reassembles. Returns the
 * number of payloads. */
static size_t packetize_and_check(const uint8_t *frame, size_t len, size_t max_payload,
                                  uint16_t picture_id, int tl0)
{
    dc_vp8_packetizer p;
    g_assert_cmpint(dc_vp8_packetizer_init(&p, frame, len, max_payload, picture_id, tl0, false), ==,
                    0);
    uint8_t *joined = g_malloc(len);
    size_t got = 0, count = 0, min_data = G_MAXSIZE, max_data = 0;
    bool last = false;
    uint8_t out[2048];
    size_t out_len;
    int r;
    while ((r = dc_vp8_packetizer_next(&p, out, max_payload, &out_len, &last)) == 0) {
        g_assert_cmpuint(out_len, <=, max_payload);
        dc_vp8_descriptor d;
        g_assert_cmpint(dc_vp8_parse(out, out_len, &d), ==, 0);
        g_assert_cmpint(d.start, ==, count == 0);
        g_assert_cmpint(d.pid, ==, 0);
        g_assert_true(d.has_picture_id && d.picture_id_15);
        g_assert_cmpuint(d.picture_id, ==, picture_id & 0x7fff);
        g_assert_cmpint(d.has_tl0picidx, ==, tl0 >= 0);
        size_t data = out_len - d.header_len;
        g_assert_cmpuint(got + data, <=, len);
        memcpy(joined + got, out + d.header_len, data);
        got += data;
        min_data = MIN(min_data, data);
        max_data = MAX(max_data, data);
        count++;
        g_assert_cmpint(last, ==, got == len);
    }
    g_assert_cmpint(r, ==, -ENOENT);
    g_assert_true(last);
    g_assert_cmpmem(joined, got, frame, len);
    g_assert_cmpuint(max_data - min_data, <=, 1); /* balanced */
    g_assert_cmpint(dc_vp8_packetizer_next(&p, out, sizeof(out), &out_len, &last), ==, -ENOENT);
    g_free(joined);
    return count;
}

static void test_packetizer(void)
{
    uint8_t frame[5000];
    for (size_t i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 7 + 3);
    frame[0] = 0x50; /* keyframe tag */
    /* Header is 4 bytes (X, I, 15-bit id), 5 with TL0PICIDX. */
    static const struct {
        size_t len, max;
        int tl0;
        size_t packets;
    } cases[] = {
        {1, 1200, -1, 1},     {1196, 1200, -1, 1}, {1197, 1200, -1, 2}, {3000, 1200, -1, 3},
        {3000, 1200, 9, 3},   {2392, 1200, -1, 2}, {2393, 1200, -1, 3}, {5000, 5, -1, 5000},
        {5000, 6, 200, 5000}, {4999, 100, -1, 53},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpuint(
            packetize_and_check(frame, cases[i].len, cases[i].max, 0x8123, cases[i].tl0), ==,
            cases[i].packets);
    /* Every length up to 300 in small payloads. */
    for (size_t len = 1; len <= 300; len++)
        packetize_and_check(frame, len, 37, (uint16_t)len, -1);

    dc_vp8_packetizer p;
    g_assert_cmpint(dc_vp8_packetizer_init(&p, frame, 0, 1200, 1, -1, false), ==, -EINVAL);
    g_assert_cmpint(dc_vp8_packetizer_init(&p, frame, 10, 4, 1, -1, false), ==, -EINVAL);
    g_assert_cmpint(dc_vp8_packetizer_init(&p, frame, 10, 5, 1, 0, false), ==, -EINVAL);
    g_assert_cmpint(dc_vp8_packetizer_init(&p, frame, 10, 1200, 1, 256, false), ==, -EINVAL);
    /* A too-small output buffer does not advance the iterator. */
    g_assert_cmpint(dc_vp8_packetizer_init(&p, frame, 100, 1200, 1, -1, true), ==, 0);
    uint8_t out[200];
    size_t out_len;
    bool last;
    g_assert_cmpint(dc_vp8_packetizer_next(&p, out, 103, &out_len, &last), ==, -ENOSPC);
    g_assert_cmpint(dc_vp8_packetizer_next(&p, out, 104, &out_len, &last), ==, 0);
    g_assert_cmpuint(out_len, ==, 104);
    g_assert_true(last);
    dc_vp8_descriptor d;
    g_assert_cmpint(dc_vp8_parse(out, out_len, &d), ==, 0);
    g_assert_true(d.non_reference && d.keyframe);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vp8/descriptor-table", test_descriptor_table);
    g_test_add_func("/vp8/truncated", test_truncated);
    g_test_add_func("/vp8/keyframe-size", test_keyframe_size);
    g_test_add_func("/vp8/rewrite-round-trip", test_rewrite_round_trip);
    g_test_add_func("/vp8/writer", test_writer);
    g_test_add_func("/vp8/packetizer", test_packetizer);
    return g_test_run();
}
