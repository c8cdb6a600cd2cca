/* Unit tests for core/demux: RFC 7983 / RFC 5761 classification, boundary
 * bytes, short packets, and the STUN attribute iterator. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/demux.h"

/* Parses "00 01 ab" into out; returns the byte count. */
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

#define STUN_HDR(type, len) type " " len " 21 12 a4 42 01 02 03 04 05 06 07 08 09 0a 0b 0c"

static const struct {
    const char *name;
    const char *hex;
    dc_demux_class want;
} classify_cases[] = {
    {"empty", "", DC_DEMUX_UNKNOWN},
    {"stun binding request", STUN_HDR("00 01", "00 00"), DC_DEMUX_STUN},
    {"stun success with attribute", STUN_HDR("01 01", "00 08") " 00 24 00 04 6e 7f 1e ff",
     DC_DEMUX_STUN},
    {"stun first byte 3", STUN_HDR("03 01", "00 00"), DC_DEMUX_STUN},
    {"stun 19 bytes", "00 01 00 00 21 12 a4 42 01 02 03 04 05 06 07 08 09 0a 0b", DC_DEMUX_UNKNOWN},
    {"stun bad cookie", "00 01 00 00 21 12 a4 43 01 02 03 04 05 06 07 08 09 0a 0b 0c",
     DC_DEMUX_UNKNOWN},
    {"stun length not multiple of 4", STUN_HDR("00 01", "00 02") " 00 00", DC_DEMUX_UNKNOWN},
    {"stun length longer than datagram", STUN_HDR("00 01", "00 08") " 00 24 00 04",
     DC_DEMUX_UNKNOWN},
    {"stun length shorter than datagram", STUN_HDR("00 01", "00 00") " 00 24 00 04",
     DC_DEMUX_UNKNOWN},
    {"first byte 4 with cookie", STUN_HDR("04 01", "00 00"), DC_DEMUX_UNKNOWN},
    {"zrtp 16..19", "13 00 00 00 00 00 00 00 00 00 00 00 00 00", DC_DEMUX_UNKNOWN},
    {"dtls 20 change cipher spec", "14 fe fd 00 00 00 00 00 00 00 01 00 01 01", DC_DEMUX_DTLS},
    {"dtls 22 handshake", "16 fe ff 00 00 00 00 00 00 00 00 00 00", DC_DEMUX_DTLS},
    {"dtls 63", "3f fe fd 00 00 00 00 00 00 00 00 00 00", DC_DEMUX_DTLS},
    {"dtls 12 bytes", "16 fe fd 00 00 00 00 00 00 00 00 00", DC_DEMUX_UNKNOWN},
    {"turn channel 64", "40 00 00 04 de ad be ef 00 00 00 00 00", DC_DEMUX_UNKNOWN},
    {"turn channel 79", "4f ff 00 04 de ad be ef 00 00 00 00 00", DC_DEMUX_UNKNOWN},
    {"quic 127", "7f 00 00 00 00 00 00 00 00 00 00 00 00", DC_DEMUX_UNKNOWN},
    {"rtp pt 0", "80 00 00 01 00 00 00 00 de ad be ef", DC_DEMUX_RTP},
    {"rtp pt 96 marker", "80 e0 00 01 00 00 00 00 de ad be ef", DC_DEMUX_RTP},
    {"rtp pt 72 no marker", "80 48 00 01 00 00 00 00 de ad be ef", DC_DEMUX_RTP},
    {"rtp pt 63 marker (191)", "80 bf 00 01 00 00 00 00 de ad be ef", DC_DEMUX_RTP},
    {"rtp second byte 224", "80 e0 00 01 00 00 00 00 de ad be ef", DC_DEMUX_RTP},
    {"rtp first byte 191", "bf 6f 00 01 00 00 00 00 de ad be ef 00 00 00 00", DC_DEMUX_RTP},
    {"rtp 11 bytes", "80 60 00 01 00 00 00 00 de ad be", DC_DEMUX_UNKNOWN},
    {"rtcp 192 old fir", "80 c0 00 01 de ad be ef", DC_DEMUX_RTCP},
    {"rtcp sr",
     "80 c8 00 06 de ad be ef 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
     "00 00",
     DC_DEMUX_RTCP},
    {"rtcp rr empty", "80 c9 00 01 de ad be ef", DC_DEMUX_RTCP},
    {"rtcp pli", "81 ce 00 02 de ad be ef ca fe ba be", DC_DEMUX_RTCP},
    {"rtcp xr 207", "80 cf 00 01 de ad be ef", DC_DEMUX_RTCP},
    {"rtcp 223", "80 df 00 01 de ad be ef", DC_DEMUX_RTCP},
    {"rtcp 7 bytes", "80 c9 00 01 de ad be", DC_DEMUX_UNKNOWN},
    {"rtp/rtcp 1 byte", "80", DC_DEMUX_UNKNOWN},
    {"first byte 192", "c0 00 00 01 00 00 00 00 de ad be ef", DC_DEMUX_UNKNOWN},
    {"first byte 255", "ff c8 00 01 00 00 00 00 de ad be ef", DC_DEMUX_UNKNOWN},
};

static void test_classify_table(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(classify_cases); i++) {
        uint8_t buf[64];
        size_t len = from_hex(classify_cases[i].hex, buf, sizeof(buf));
        /* Exact-size copy so an over-read shows under ASan. */
        uint8_t *exact = g_memdup2(buf, len ? len : 1);
        dc_demux_class got = dc_demux_classify(len ? exact : NULL, len);
        if (got != classify_cases[i].want)
            g_error("%s: got %s, want %s", classify_cases[i].name, dc_demux_class_name(got),
                    dc_demux_class_name(classify_cases[i].want));
        g_free(exact);
    }
}

/* Every first byte, on a 32-byte datagram that would pass every class's
 * other checks: only the RFC 7983 range decides. */
static void test_first_byte_sweep(void)
{
    for (unsigned b0 = 0; b0 < 256; b0++) {
        uint8_t buf[32] = {0};
        buf[0] = (uint8_t)b0;
        buf[3] = 12; /* STUN length: 32 - 20 */
        buf[4] = 0x21, buf[5] = 0x12, buf[6] = 0xa4, buf[7] = 0x42;
        dc_demux_class want = DC_DEMUX_UNKNOWN;
        if (b0 <= 3)
            want = DC_DEMUX_STUN;
        else if (b0 >= 20 && b0 <= 63)
            want = DC_DEMUX_DTLS;
        else if (b0 >= 128 && b0 <= 191)
            want = DC_DEMUX_RTP; /* second byte 0 */
        g_assert_cmpint(dc_demux_classify(buf, sizeof(buf)), ==, want);
    }
}

/* Every second byte: RTCP exactly for 192..223 (RFC 5761 section 4). */
static void test_second_byte_sweep(void)
{
    for (unsigned b1 = 0; b1 < 256; b1++) {
        uint8_t buf[12] = {0x80, (uint8_t)b1};
        dc_demux_class want = (b1 >= 192 && b1 <= 223) ? DC_DEMUX_RTCP : DC_DEMUX_RTP;
        g_assert_cmpint(dc_demux_classify(buf, sizeof(buf)), ==, want);
    }
}

/* Every prefix of a minimal packet of each class shorter than the minimum is
 * UNKNOWN; the minimum itself classifies. */
static void test_short_packets(void)
{
    static const struct {
        const char *hex;
        dc_demux_class cls;
    } mins[] = {
        {STUN_HDR("00 01", "00 00"), DC_DEMUX_STUN},
        {"16 fe fd 00 00 00 00 00 00 00 00 00 00", DC_DEMUX_DTLS},
        {"80 60 00 01 00 00 00 00 de ad be ef", DC_DEMUX_RTP},
        {"80 c9 00 01 de ad be ef", DC_DEMUX_RTCP},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(mins); i++) {
        uint8_t buf[32];
        size_t len = from_hex(mins[i].hex, buf, sizeof(buf));
        for (size_t n = 0; n < len; n++) {
            uint8_t *exact = g_memdup2(buf, n ? n : 1);
            g_assert_cmpint(dc_demux_classify(n ? exact : NULL, n), ==, DC_DEMUX_UNKNOWN);
            g_free(exact);
        }
        g_assert_cmpint(dc_demux_classify(buf, len), ==, mins[i].cls);
    }
    g_assert_cmpstr(dc_demux_class_name(DC_DEMUX_RTCP), ==, "rtcp");
    g_assert_cmpstr(dc_demux_class_name((dc_demux_class)99), ==, "unknown");
}

static void test_stun_attributes(void)
{
    /* USERNAME "abcde" (5 bytes, 3 padding), PRIORITY, then an empty
     * USE-CANDIDATE. */
    uint8_t buf[64];
    size_t len = from_hex(STUN_HDR("00 01", "00 18") " 00 06 00 05 61 62 63 64 65 00 00 00"
                                                     " 00 24 00 04 6e 7f 1e ff 00 25 00 00",
                          buf, sizeof(buf));
    dc_demux_stun_iter it;
    g_assert_cmpint(dc_demux_stun_iter_init(&it, buf, len), ==, 0);
    uint16_t type, vlen;
    const uint8_t *v;
    g_assert_cmpint(dc_demux_stun_iter_next(&it, &type, &v, &vlen), ==, 0);
    g_assert_cmpuint(type, ==, 0x0006);
    g_assert_cmpuint(vlen, ==, 5);
    g_assert_cmpmem(v, vlen, "abcde", 5);
    g_assert_cmpint(dc_demux_stun_iter_next(&it, &type, &v, &vlen), ==, 0);
    g_assert_cmpuint(type, ==, 0x0024);
    g_assert_cmpuint(vlen, ==, 4);
    g_assert_cmpuint(v[0], ==, 0x6e);
    g_assert_cmpint(dc_demux_stun_iter_next(&it, &type, &v, &vlen), ==, 0);
    g_assert_cmpuint(type, ==, 0x0025);
    g_assert_cmpuint(vlen, ==, 0);
    g_assert_cmpint(dc_demux_stun_iter_next(&it, &type, &v, &vlen), ==, -ENOENT);
    g_assert_cmpint(dc_demux_stun_iter_next(&it, &type, &v, &vlen), ==, -ENOENT);
}

static void test_stun_attributes_malformed(void)
{
    static const char *const bad[] = {
        /* attribute claims 8 bytes, 4 remain */
        STUN_HDR("00 01", "00 08") " 00 24 00 08 6e 7f 1e ff",
        /* 5-byte value whose padding would run past the message */
        STUN_HDR("00 01", "00 08") " 00 06 00 05 61 62 63 64",
        /* a valid attribute, then 4 bytes claiming 1 more */
        STUN_HDR("00 01", "00 0c") " 00 24 00 04 6e 7f 1e ff 00 25 00 01",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        uint8_t buf[64];
        size_t len = from_hex(bad[i], buf, sizeof(buf));
        dc_demux_stun_iter it;
        g_assert_cmpint(dc_demux_stun_iter_init(&it, buf, len), ==, 0);
        uint16_t type, vlen;
        const uint8_t *v;
        int r;
        int n = 0;
        while ((r = dc_demux_stun_iter_next(&it, &type, &v, &vlen)) == 0)
            n++;
        g_assert_cmpint(r, ==, -EBADMSG);
        g_assert_cmpint(n, ==, i == 2 ? 1 : 0);
        g_assert_cmpint(dc_demux_stun_iter_next(&it, &type, &v, &vlen), ==, -ENOENT);
    }
    uint8_t rtp[12] = {0x80, 0x60};
    dc_demux_stun_iter it;
    g_assert_cmpint(dc_demux_stun_iter_init(&it, rtp, sizeof(rtp)), ==, -EBADMSG);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/demux/classify-table", test_classify_table);
    g_test_add_func("/demux/first-byte-sweep", test_first_byte_sweep);
    g_test_add_func("/demux/second-byte-sweep", test_second_byte_sweep);
    g_test_add_func("/demux/short-packets", test_short_packets);
    g_test_add_func("/demux/stun-attributes", test_stun_attributes);
    g_test_add_func("/demux/stun-attributes-malformed", test_stun_attributes_malformed);
    return g_test_run();
}
