/* Unit tests for core/srtp-openssl: libsrtp's own self-tests on the OpenSSL
 * types, RFC 3711 B.2 and RFC 2202 through libsrtp's cipher and auth API,
 * the GCM specification's test cases, byte-for-byte interop with stock
 * libsrtp2 (AES-CM + HMAC-SHA1 and AES-GCM) in both directions, tampering,
 * and no allocation per packet in the ciphers.
 *
 * The replacement is process-global, so the stock side runs in a second
 * process: this binary re-executed as `--stock protect|unprotect ...`, which
 * initialises dc_srtp with DC_SRTP_CRYPTO_STOCK and exchanges packets with
 * the test through files of [u16 length][bytes] records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "core/srtp-openssl.h"
#include "core/srtp.h"

#define BUF_CAP (1200 + DC_SRTP_MAX_OVERHEAD)
#define N_PKT 300

static const dc_srtp_profile profiles[] = {DC_SRTP_AES128_CM_SHA1_80, DC_SRTP_AEAD_AES_128_GCM};

/* ---- OpenSSL allocation counter (installed first thing in main) ---- */

static gint64 ossl_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    g_atomic_pointer_add(&ossl_allocs, 1);
    return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    g_atomic_pointer_add(&ossl_allocs, 1);
    return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

/* ---- deterministic keys and packets, shared by both processes ---- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + 29 * i + (i >> 3));
}

/* The sender's keys (local = K1, remote = K2) or the receiver's (mirrored). */
static dc_srtp *session(dc_srtp_profile profile, gboolean sender)
{
    dc_srtp_keys k = {.profile = profile};
    uint8_t k1[16], s1[14], k2[16], s2[14];
    fill(k1, sizeof k1, 11);
    fill(s1, sizeof s1, 12);
    fill(k2, sizeof k2, 13);
    fill(s2, sizeof s2, 14);
    memcpy(k.local_key, sender ? k1 : k2, 16);
    memcpy(k.local_salt, sender ? s1 : s2, 14);
    memcpy(k.remote_key, sender ? k2 : k1, 16);
    memcpy(k.remote_salt, sender ? s2 : s1, 14);
    int err = 0;
    dc_srtp *s = dc_srtp_new(&k, &err);
    g_assert_cmpint(err, ==, 0);
    g_assert_nonnull(s);
    return s;
}

/* Packet i of the interop stream: RTP of varying size crossing the 16-bit
 * sequence wrap, every tenth one an RTCP sender report. Returns its length
 * and sets *rtcp. */
static size_t make_packet(int i, uint8_t *buf, gboolean *rtcp)
{
    *rtcp = (i % 10) == 9;
    if (*rtcp) {
        memset(buf, 0, 28);
        buf[0] = 0x80;
        buf[1] = 200;
        buf[3] = 6;
        buf[7] = 0x42;
        buf[23] = (uint8_t)i;
        return 28;
    }
    uint16_t seq = (uint16_t)(65400 + i);
    uint32_t ssrc = (i & 1) ? 0x11223344u : 0xcafe0001u;
    size_t plen = 1 + (size_t)(i * 37) % 1178;
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[4] = buf[5] = buf[6] = 0;
    buf[7] = (uint8_t)i;
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    fill(buf + 12, plen, (uint8_t)i);
    return 12 + plen;
}

static void put_record(GByteArray *out, const uint8_t *p, int n)
{
    uint8_t hdr[2] = {(uint8_t)((unsigned)n >> 8), (uint8_t)n};
    g_byte_array_append(out, hdr, 2);
    if (n > 0)
        g_byte_array_append(out, p, (guint)n);
}

/* Reads the next record of file[*off..len) into buf; returns its length. */
static int get_record(const uint8_t *file, size_t len, size_t *off, uint8_t *buf)
{
    g_assert_cmpuint(*off + 2, <=, len);
    int n = (file[*off] << 8) | file[*off + 1];
    *off += 2;
    if (*off + (size_t)n > len || n > BUF_CAP)
        g_error("truncated or oversized record at %zu", *off);
    memcpy(buf, file + *off, (size_t)n);
    *off += (size_t)n;
    return n;
}

/* Protects the interop stream with the sender's session; records to out. */
static void protect_stream(dc_srtp_profile profile, GByteArray *out)
{
    dc_srtp *s = session(profile, TRUE);
    uint8_t buf[BUF_CAP];
    for (int i = 0; i < N_PKT; i++) {
        gboolean rtcp;
        size_t len = make_packet(i, buf, &rtcp);
        int n = rtcp ? dc_srtp_protect_rtcp(s, buf, len, sizeof buf)
                     : dc_srtp_protect_rtp(s, buf, len, sizeof buf);
        g_assert_cmpint(n, >, (int)len);
        put_record(out, buf, n);
    }
    dc_srtp_free(s);
}

/* Unprotects records of in with the receiver's session; writes each
 * plaintext (or an empty record on failure) to out. */
static void unprotect_stream(dc_srtp_profile profile, const uint8_t *in, size_t in_len,
                             GByteArray *out)
{
    dc_srtp *s = session(profile, FALSE);
    uint8_t buf[BUF_CAP];
    size_t off = 0;
    for (int i = 0; i < N_PKT; i++) {
        gboolean rtcp = (i % 10) == 9;
        int n = get_record(in, in_len, &off, buf);
        n = rtcp ? dc_srtp_unprotect_rtcp(s, buf, (size_t)n)
                 : dc_srtp_unprotect_rtp(s, buf, (size_t)n);
        put_record(out, buf, n > 0 ? n : 0);
    }
    dc_srtp_free(s);
}

/* Child mode: `--stock protect PROFILE OUT` or `--stock unprotect PROFILE IN OUT`. */
static int stock_main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    if (dc_srtp_global_init(DC_SRTP_CRYPTO_STOCK) != DC_SRTP_CRYPTO_STOCK)
        return 3;
    dc_srtp_profile profile = (dc_srtp_profile)atoi(argv[3]);
    g_autoptr(GByteArray) out = g_byte_array_new();
    const char *out_path = argv[4];
    if (strcmp(argv[2], "protect") == 0) {
        protect_stream(profile, out);
    } else if (strcmp(argv[2], "unprotect") == 0 && argc >= 6) {
        g_autofree char *in = NULL;
        gsize in_len = 0;
        if (!g_file_get_contents(argv[4], &in, &in_len, NULL))
            return 4;
        unprotect_stream(profile, (const uint8_t *)in, in_len, out);
        out_path = argv[5];
    } else {
        return 2;
    }
    return g_file_set_contents(out_path, (const char *)out->data, out->len, NULL) ? 0 : 5;
}

/* Runs this binary in stock mode with the given arguments. */
static void run_stock(const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer) "/proc/self/exe");
    g_ptr_array_add(argv, (gpointer) "--stock");
    for (size_t i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    g_autoptr(GError) err = NULL;
    int status = -1;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               NULL, &status, &err));
    g_assert_no_error(err);
    g_assert_true(g_spawn_check_wait_status(status, &err));
    g_assert_no_error(err);
}

static char *tmp_path(const char *dir, const char *name)
{
    return g_build_filename(dir, name, NULL);
}

/* ---- tests ---- */

static void test_installed(void)
{
    g_assert_cmpint(dc_srtp_global_init(DC_SRTP_CRYPTO_OPENSSL), ==, DC_SRTP_CRYPTO_OPENSSL);
    /* Later calls report and do not change it. */
    g_assert_cmpint(dc_srtp_global_init(DC_SRTP_CRYPTO_STOCK), ==, DC_SRTP_CRYPTO_OPENSSL);
    g_assert_cmpstr(dc_srtp_crypto_name(DC_SRTP_CRYPTO_OPENSSL), ==, "openssl");
    g_assert_cmpstr(dc_srtp_crypto_name(DC_SRTP_CRYPTO_STOCK), ==, "stock");
    g_assert_cmpint(srtp_cipher_type_self_test(&dc_srtp_openssl_aes_icm_128), ==,
                    srtp_err_status_ok);
    g_assert_cmpint(srtp_auth_type_self_test(&dc_srtp_openssl_hmac_sha1), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_type_self_test(&dc_srtp_openssl_aes_gcm_128), ==,
                    srtp_err_status_ok);

    /* A GCM session runs on the OpenSSL type, and frees what it made. */
    int before = dc_srtp_openssl_gcm_instances();
    dc_srtp *tx = session(DC_SRTP_AEAD_AES_128_GCM, TRUE);
    uint8_t pkt[BUF_CAP];
    gboolean rtcp;
    size_t len = make_packet(0, pkt, &rtcp);
    g_assert_cmpint(dc_srtp_protect_rtp(tx, pkt, len, sizeof pkt), ==, (int)len + 16);
    g_assert_cmpint(dc_srtp_openssl_gcm_instances(), >, before);
    dc_srtp_free(tx);
    g_assert_cmpint(dc_srtp_openssl_gcm_instances(), ==, before);
}

/* RFC 3711 appendix B.2: three blocks of key stream, set_iv resets the
 * counter even in the middle of a block. */
static void test_rfc3711_b2(void)
{
    static const uint8_t key[30] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
                                    0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3,
                                    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
    static const uint8_t stream[48] = {0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66,
                                       0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4, 0xd2, 0x35, 0x13, 0x16,
                                       0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f,
                                       0x97, 0xab, 0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd,
                                       0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0};
    srtp_cipher_t *c = NULL;
    uint8_t iv[16] = {0}, buf[48] = {0};
    uint32_t n = 5;
    g_assert_cmpint(srtp_cipher_type_alloc(&dc_srtp_openssl_aes_icm_128, &c, 30, 0), ==,
                    srtp_err_status_ok);
    g_assert_cmpint(c->algorithm, ==, SRTP_AES_ICM_128);
    g_assert_cmpint(srtp_cipher_init(c, key), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_encrypt(c, buf, &n), ==, srtp_err_status_ok);
    memset(buf, 0, sizeof buf);
    n = sizeof buf;
    g_assert_cmpint(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_encrypt(c, buf, &n), ==, srtp_err_status_ok);
    g_assert_cmpmem(buf, sizeof buf, stream, sizeof stream);
    /* Decrypting is the same XOR. */
    g_assert_cmpint(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_decrypt(c, buf, &n), ==, srtp_err_status_ok);
    for (size_t i = 0; i < sizeof buf; i++)
        g_assert_cmpuint(buf[i], ==, 0);
    g_assert_cmpint(srtp_cipher_dealloc(c), ==, srtp_err_status_ok);

    /* Wrong key lengths are refused. */
    g_assert_cmpint(srtp_cipher_type_alloc(&dc_srtp_openssl_aes_icm_128, &c, 16, 0), ==,
                    srtp_err_status_bad_param);
}

/* RFC 2202 test case 2 through the auth API, in two updates, twice. */
static void test_rfc2202(void)
{
    static const uint8_t tag2[20] = {0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
                                     0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79};
    const char *msg = "what do ya want for nothing?";
    srtp_auth_t *a = NULL;
    g_assert_cmpint(srtp_auth_type_alloc(&dc_srtp_openssl_hmac_sha1, &a, 4, 10), ==,
                    srtp_err_status_ok);
    g_assert_cmpint(srtp_auth_init(a, (const uint8_t *)"Jefe"), ==, srtp_err_status_ok);
    for (int round = 0; round < 2; round++) {
        uint8_t tag[20] = {0};
        g_assert_cmpint(srtp_auth_start(a), ==, srtp_err_status_ok);
        g_assert_cmpint(srtp_auth_update(a, (const uint8_t *)msg, 10), ==, srtp_err_status_ok);
        g_assert_cmpint(srtp_auth_compute(a, (const uint8_t *)msg + 10, (int)strlen(msg) - 10, tag),
                        ==, srtp_err_status_ok);
        g_assert_cmpmem(tag, 10, tag2, 10);
        g_assert_cmpuint(tag[10], ==, 0); /* out_len respected */
    }
    g_assert_cmpint(srtp_auth_dealloc(a), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_auth_type_alloc(&dc_srtp_openssl_hmac_sha1, &a, 20, 21), ==,
                    srtp_err_status_bad_param);
}

/* GCM through libsrtp's cipher API: test case 4 of the GCM specification
 * (McGrew and Viega) with its AAD given in two pieces, as libsrtp does for
 * SRTCP; the same with the tag cut to 8 bytes; test case 1 (nothing to
 * encrypt: the tag alone, as for SRTCP sent unencrypted); a flipped bit in
 * the ciphertext, the AAD or the tag is refused. */
static void test_gcm_spec(void)
{
    static const uint8_t key[28] = {0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
                                    0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};
    static const uint8_t aad[20] = {0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
                                    0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2};
    static const uint8_t plain[60] = {
        0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26,
        0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31,
        0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49,
        0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39};
    static const uint8_t sealed[76] = {
        0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84,
        0xd0, 0xd4, 0x9c, 0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1,
        0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e, 0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93,
        0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05, 0x1b, 0xa3, 0x0b, 0x39,
        0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91, 0x5b, 0xc9, 0x4f, 0xbc, 0x32,
        0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47};
    static const uint8_t empty_tag[16] = {0x58, 0xe2, 0xfc, 0xce, 0xfa, 0x7e, 0x30, 0x61,
                                          0x36, 0x7f, 0x1d, 0x57, 0xa4, 0xe7, 0x45, 0x5a};
    uint8_t iv[16] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
    const int tags[] = {16, 8};
    for (size_t t = 0; t < G_N_ELEMENTS(tags); t++) {
        srtp_cipher_t *c = NULL;
        uint8_t buf[96] = {0};
        uint32_t n = sizeof plain, tag_len = 0;
        g_assert_cmpint(srtp_cipher_type_alloc(&dc_srtp_openssl_aes_gcm_128, &c, 28, tags[t]), ==,
                        srtp_err_status_ok);
        g_assert_cmpint(c->algorithm, ==, SRTP_AES_GCM_128);
        g_assert_cmpint(srtp_cipher_init(c, key), ==, srtp_err_status_ok);
        for (int round = 0; round < 2; round++) { /* the key stays, only the IV is set again */
            memcpy(buf, plain, sizeof plain);
            n = sizeof plain;
            g_assert_cmpint(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), ==,
                            srtp_err_status_ok);
            g_assert_cmpint(srtp_cipher_set_aad(c, aad, 16), ==, srtp_err_status_ok);
            g_assert_cmpint(srtp_cipher_set_aad(c, aad + 16, 4), ==, srtp_err_status_ok);
            g_assert_cmpint(srtp_cipher_encrypt(c, buf, &n), ==, srtp_err_status_ok);
            g_assert_cmpuint(n, ==, sizeof plain);
            g_assert_cmpint(srtp_cipher_get_tag(c, buf + n, &tag_len), ==, srtp_err_status_ok);
            g_assert_cmpuint(tag_len, ==, (uint32_t)tags[t]);
            g_assert_cmpmem(buf, n + tag_len, sealed, sizeof plain + (size_t)tags[t]);
        }
        /* Decrypt, then each kind of tampering. */
        const size_t flips[] = {(size_t)-1, 0, 59, 60, 60 + (size_t)tags[t] - 1, 100};
        for (size_t f = 0; f < G_N_ELEMENTS(flips); f++) {
            uint8_t a[20];
            memcpy(a, aad, sizeof a);
            memcpy(buf, sealed, sizeof plain + (size_t)tags[t]);
            n = (uint32_t)(sizeof plain + (size_t)tags[t]);
            if (flips[f] == 100)
                a[7] ^= 0x01;
            else if (flips[f] != (size_t)-1)
                buf[flips[f]] ^= 0x80;
            g_assert_cmpint(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), ==,
                            srtp_err_status_ok);
            g_assert_cmpint(srtp_cipher_set_aad(c, a, sizeof a), ==, srtp_err_status_ok);
            srtp_err_status_t st = srtp_cipher_decrypt(c, buf, &n);
            if (flips[f] == (size_t)-1) {
                g_assert_cmpint(st, ==, srtp_err_status_ok);
                g_assert_cmpmem(buf, n, plain, sizeof plain);
            } else {
                g_assert_cmpint(st, ==, srtp_err_status_auth_fail);
            }
        }
        g_assert_cmpint(srtp_cipher_dealloc(c), ==, srtp_err_status_ok);
    }

    /* Test case 1: zero key, zero IV, nothing to encrypt, no AAD. */
    srtp_cipher_t *c = NULL;
    static const uint8_t zero_key[28];
    uint8_t zero_iv[16] = {0}, tag[16], buf[16];
    uint32_t n = 0, tag_len = 0;
    g_assert_cmpint(srtp_cipher_type_alloc(&dc_srtp_openssl_aes_gcm_128, &c, 28, 16), ==,
                    srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_init(c, zero_key), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_set_iv(c, zero_iv, srtp_direction_encrypt), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_encrypt(c, NULL, &n), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_get_tag(c, tag, &tag_len), ==, srtp_err_status_ok);
    g_assert_cmpmem(tag, tag_len, empty_tag, sizeof empty_tag);
    memcpy(buf, empty_tag, sizeof buf);
    n = sizeof buf;
    g_assert_cmpint(srtp_cipher_set_iv(c, zero_iv, srtp_direction_decrypt), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_decrypt(c, buf, &n), ==, srtp_err_status_ok);
    g_assert_cmpuint(n, ==, 0);
    /* Shorter than a tag, or encrypt on a decrypting IV: refused. */
    n = 15;
    g_assert_cmpint(srtp_cipher_set_iv(c, zero_iv, srtp_direction_decrypt), ==, srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_decrypt(c, buf, &n), ==, srtp_err_status_bad_param);
    g_assert_cmpint(srtp_cipher_set_iv(c, zero_iv, srtp_direction_decrypt), ==, srtp_err_status_ok);
    n = 0;
    g_assert_cmpint(srtp_cipher_encrypt(c, NULL, &n), ==, srtp_err_status_bad_param);
    g_assert_cmpint(srtp_cipher_dealloc(c), ==, srtp_err_status_ok);

    /* Wrong key or tag lengths are refused. */
    g_assert_cmpint(srtp_cipher_type_alloc(&dc_srtp_openssl_aes_gcm_128, &c, 16, 16), ==,
                    srtp_err_status_bad_param);
    g_assert_cmpint(srtp_cipher_type_alloc(&dc_srtp_openssl_aes_gcm_128, &c, 28, 12), ==,
                    srtp_err_status_bad_param);
}

/* Stock libsrtp protects, OpenSSL protects the same: equal bytes; the
 * OpenSSL side unprotects the stock packets. */
static void test_interop_stock_to_openssl(void)
{
    g_autofree char *dir = g_dir_make_tmp("dc-srtp-ossl-XXXXXX", NULL);
    g_assert_nonnull(dir);
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        g_autofree char *path = tmp_path(dir, "stock-protected");
        g_autofree char *prof = g_strdup_printf("%d", (int)profiles[p]);
        const char *args[] = {"protect", prof, path, NULL};
        run_stock(args);

        g_autofree char *stock = NULL;
        gsize stock_len = 0;
        g_assert_true(g_file_get_contents(path, &stock, &stock_len, NULL));
        g_autoptr(GByteArray) mine = g_byte_array_new();
        protect_stream(profiles[p], mine);
        g_assert_cmpmem(mine->data, mine->len, stock, stock_len);

        g_autoptr(GByteArray) plain = g_byte_array_new();
        unprotect_stream(profiles[p], (const uint8_t *)stock, stock_len, plain);
        size_t off = 0;
        for (int i = 0; i < N_PKT; i++) {
            uint8_t want[BUF_CAP], got[BUF_CAP];
            gboolean rtcp;
            size_t len = make_packet(i, want, &rtcp);
            int n = get_record(plain->data, plain->len, &off, got);
            g_assert_cmpmem(got, n, want, len);
        }
        g_unlink(path);
    }
    g_rmdir(dir);
}

/* OpenSSL protects; stock libsrtp, in the other process, unprotects. */
static void test_interop_openssl_to_stock(void)
{
    g_autofree char *dir = g_dir_make_tmp("dc-srtp-ossl-XXXXXX", NULL);
    g_assert_nonnull(dir);
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        g_autofree char *in = tmp_path(dir, "openssl-protected");
        g_autofree char *out = tmp_path(dir, "stock-plain");
        g_autofree char *prof = g_strdup_printf("%d", (int)profiles[p]);
        g_autoptr(GByteArray) mine = g_byte_array_new();
        protect_stream(profiles[p], mine);
        g_assert_true(g_file_set_contents(in, (const char *)mine->data, mine->len, NULL));
        const char *args[] = {"unprotect", prof, in, out, NULL};
        run_stock(args);

        g_autofree char *plain = NULL;
        gsize plain_len = 0;
        g_assert_true(g_file_get_contents(out, &plain, &plain_len, NULL));
        size_t off = 0;
        for (int i = 0; i < N_PKT; i++) {
            uint8_t want[BUF_CAP], got[BUF_CAP];
            gboolean rtcp;
            size_t len = make_packet(i, want, &rtcp);
            int n = get_record((const uint8_t *)plain, plain_len, &off, got);
            g_assert_cmpmem(got, n, want, len);
        }
        g_unlink(in);
        g_unlink(out);
    }
    g_rmdir(dir);
}

/* A flipped bit anywhere (header, payload, tag) is refused; the untouched
 * packet still passes afterwards. Both profiles. */
static void test_tamper(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(profiles); p++) {
        dc_srtp *tx = session(profiles[p], TRUE);
        dc_srtp *rx = session(profiles[p], FALSE);
        uint8_t pkt[BUF_CAP], copy[BUF_CAP];
        gboolean rtcp;
        size_t len = make_packet(4, pkt, &rtcp);
        int n = dc_srtp_protect_rtp(tx, pkt, len, sizeof pkt);
        g_assert_cmpint(n, ==, (int)len + (profiles[p] == DC_SRTP_AEAD_AES_128_GCM ? 16 : 10));
        const size_t where[] = {1, 3, 8, 12, len / 2, len - 1, len, (size_t)n - 1};
        for (size_t w = 0; w < G_N_ELEMENTS(where); w++) {
            memcpy(copy, pkt, (size_t)n);
            copy[where[w]] ^= 0x10;
            g_assert_cmpint(dc_srtp_unprotect_rtp(rx, copy, (size_t)n), ==, -EBADMSG);
        }
        memcpy(copy, pkt, (size_t)n);
        g_assert_cmpint(dc_srtp_unprotect_rtp(rx, copy, (size_t)n), ==, (int)len);
        dc_srtp_free(tx);
        dc_srtp_free(rx);
    }
}

/* The cipher does not allocate per packet; HMAC-SHA1 allocates at most two
 * digest states per packet (EVP_MD_CTX_copy_ex on OpenSSL 3.0); GCM
 * protects and unprotects without any. */
static void test_allocations(void)
{
    dc_srtp *tx = session(DC_SRTP_AES128_CM_SHA1_80, TRUE);
    uint8_t pkt[BUF_CAP];
    gboolean rtcp;
    size_t len = make_packet(2, pkt, &rtcp);
    g_assert_cmpint(dc_srtp_protect_rtp(tx, pkt, len, sizeof pkt), >, 0); /* new SSRC */

    srtp_cipher_t *c = NULL;
    uint8_t key[30] = {1}, iv[16] = {2};
    g_assert_cmpint(srtp_cipher_type_alloc(&dc_srtp_openssl_aes_icm_128, &c, 30, 0), ==,
                    srtp_err_status_ok);
    g_assert_cmpint(srtp_cipher_init(c, key), ==, srtp_err_status_ok);
    gint64 before = g_atomic_pointer_get(&ossl_allocs);
    for (int i = 0; i < 100; i++) {
        uint32_t n = 1190;
        iv[15] = (uint8_t)i;
        g_assert_cmpint(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), ==, srtp_err_status_ok);
        g_assert_cmpint(srtp_cipher_encrypt(c, pkt, &n), ==, srtp_err_status_ok);
    }
    g_assert_cmpint(g_atomic_pointer_get(&ossl_allocs) - before, ==, 0);
    srtp_cipher_dealloc(c);

    before = g_atomic_pointer_get(&ossl_allocs);
    for (int i = 0; i < 100; i++) {
        pkt[3] = (uint8_t)(pkt[3] + 1);
        g_assert_cmpint(dc_srtp_protect_rtp(tx, pkt, len, sizeof pkt), >, 0);
    }
    gint64 per100 = g_atomic_pointer_get(&ossl_allocs) - before;
    g_test_message("OpenSSL allocations per protected packet: %.2f", (double)per100 / 100);
    g_assert_cmpint(per100, <=, 200);
    dc_srtp_free(tx);

    /* GCM, whole packets in both directions: no allocation at all. */
    tx = session(DC_SRTP_AEAD_AES_128_GCM, TRUE);
    dc_srtp *rx = session(DC_SRTP_AEAD_AES_128_GCM, FALSE);
    g_assert_cmpint(dc_srtp_protect_rtp(tx, pkt, len, sizeof pkt), >, 0); /* new SSRC */
    g_assert_cmpint(dc_srtp_unprotect_rtp(rx, pkt, (size_t)len + 16), ==, (int)len);
    before = g_atomic_pointer_get(&ossl_allocs);
    for (int i = 0; i < 100; i++) {
        pkt[3] = (uint8_t)(pkt[3] + 1);
        g_assert_cmpint(dc_srtp_protect_rtp(tx, pkt, len, sizeof pkt), ==, (int)len + 16);
        g_assert_cmpint(dc_srtp_unprotect_rtp(rx, pkt, len + 16), ==, (int)len);
    }
    g_assert_cmpint(g_atomic_pointer_get(&ossl_allocs) - before, ==, 0);
    dc_srtp_free(tx);
    dc_srtp_free(rx);
}

int main(int argc, char **argv)
{
    if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free))
        g_printerr("could not install the OpenSSL allocation counter\n");
    if (argc >= 2 && strcmp(argv[1], "--stock") == 0)
        return stock_main(argc, argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/srtp-openssl/installed", test_installed);
    g_test_add_func("/srtp-openssl/rfc3711-b2", test_rfc3711_b2);
    g_test_add_func("/srtp-openssl/rfc2202", test_rfc2202);
    g_test_add_func("/srtp-openssl/gcm-spec", test_gcm_spec);
    g_test_add_func("/srtp-openssl/interop-stock-to-openssl", test_interop_stock_to_openssl);
    g_test_add_func("/srtp-openssl/interop-openssl-to-stock", test_interop_openssl_to_stock);
    g_test_add_func("/srtp-openssl/tamper", test_tamper);
    g_test_add_func("/srtp-openssl/allocations", test_allocations);
    return g_test_run();
}
