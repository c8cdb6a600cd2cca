/* srtp-openssl: OpenSSL AES-ICM-128 and HMAC-SHA1 for libsrtp2, and the
 * installation of all three types (AES-128-GCM is in srtp-openssl-gcm.c);
 * see srtp-openssl.h. Includes srtp2/cipher.h and srtp2/auth.h (which pull in
 * srtp.h for the status codes) but never calls the session API. */
#include "core/srtp-openssl.h"
#include "core/srtp-openssl-private.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#define AES128_KEY 16
#define ICM_SALT 14
#define ICM_KEY_WSALT (AES128_KEY + ICM_SALT) /* SRTP_AES_ICM_128_KEY_LEN_WSALT */
#define SHA1_LEN 20
#define SHA1_BLOCK 64
#define HMAC_MAX_KEY 128 /* libsrtp uses 20; RFC 2202 cases go to 80 */

/* Fetched once by dc_srtp_openssl_install(), kept for the process. */
static EVP_CIPHER *aes_ctr;
static EVP_MD *sha1;

/* ---- AES-ICM-128 (RFC 3711 section 4.1.1) as AES-128-CTR ---- */

typedef struct {
    EVP_CIPHER_CTX *ctx; /* keyed once by init, IV reset per packet */
    uint8_t salt[16];    /* master salt, last two bytes zero */
} icm_state;

static srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t c)
{
    if (c == NULL)
        return srtp_err_status_ok;
    icm_state *st = c->state;
    if (st != NULL) {
        EVP_CIPHER_CTX_free(st->ctx);
        OPENSSL_cleanse(st, sizeof *st);
        g_free(st);
    }
    g_free(c);
    return srtp_err_status_ok;
}

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
    (void)tag_len;
    *cp = NULL;
    if (key_len != ICM_KEY_WSALT || aes_ctr == NULL)
        return srtp_err_status_bad_param;
    srtp_cipher_t *c = g_new0(srtp_cipher_t, 1);
    icm_state *st = g_new0(icm_state, 1);
    c->type = &dc_srtp_openssl_aes_icm_128;
    c->state = st;
    c->key_len = key_len;
    c->algorithm = SRTP_AES_ICM_128;
    st->ctx = EVP_CIPHER_CTX_new();
    if (st->ctx == NULL) {
        icm_dealloc(c);
        return srtp_err_status_alloc_fail;
    }
    *cp = c;
    return srtp_err_status_ok;
}

/* key: 16-byte AES key followed by the 14-byte salt. */
static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
    icm_state *st = state;
    memset(st->salt, 0, sizeof st->salt);
    memcpy(st->salt, key + AES128_KEY, ICM_SALT);
    if (EVP_EncryptInit_ex(st->ctx, aes_ctr, NULL, key, NULL) != 1)
        return srtp_err_status_init_fail;
    return srtp_err_status_ok;
}

/* The counter block is salt XOR iv; libsrtp leaves the last 16 bits of
 * its iv zero for the block counter. */
static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
    (void)dir;
    icm_state *st = state;
    uint8_t ctr[16];
    for (size_t i = 0; i < sizeof ctr; i++)
        ctr[i] = st->salt[i] ^ iv[i];
    if (EVP_EncryptInit_ex(st->ctx, NULL, NULL, NULL, ctr) != 1)
        return srtp_err_status_cipher_fail;
    return srtp_err_status_ok;
}

/* Encrypts (and, being a stream cipher, decrypts) in place. */
static srtp_err_status_t icm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
    icm_state *st = state;
    int out = 0;
    if (*len > INT32_MAX)
        return srtp_err_status_bad_param;
    if (*len == 0)
        return srtp_err_status_ok;
    if (EVP_EncryptUpdate(st->ctx, buf, &out, buf, (int)*len) != 1 || out != (int)*len)
        return srtp_err_status_cipher_fail;
    return srtp_err_status_ok;
}

/* RFC 3711 appendix B.2: key stream for the session key and salt with a
 * zero index (the first two blocks), as in libsrtp's own test case. */
static const uint8_t icm_kat_key[ICM_KEY_WSALT] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
    0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm_kat_idx[16]; /* zero; libsrtp's struct wants it mutable */
static const uint8_t icm_kat_zero[32];
static const uint8_t icm_kat_stream[32] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const srtp_cipher_test_case_t icm_kat = {
    .key_length_octets = ICM_KEY_WSALT,
    .key = icm_kat_key,
    .idx = icm_kat_idx,
    .plaintext_length_octets = sizeof icm_kat_zero,
    .plaintext = icm_kat_zero,
    .ciphertext_length_octets = sizeof icm_kat_stream,
    .ciphertext = icm_kat_stream,
};

const srtp_cipher_type_t dc_srtp_openssl_aes_icm_128 = {
    .alloc = icm_alloc,
    .dealloc = icm_dealloc,
    .init = icm_init,
    .set_aad = NULL,
    .encrypt = icm_encrypt,
    .decrypt = icm_encrypt,
    .set_iv = icm_set_iv,
    .get_tag = NULL,
    .description = "AES-128 integer counter mode (OpenSSL EVP, diemcau)",
    .test_data = &icm_kat,
    .id = SRTP_AES_ICM_128,
};

/* ---- HMAC-SHA1 (RFC 2104) over pre-keyed EVP_MD_CTX ---- */

typedef struct {
    EVP_MD_CTX *inner; /* SHA1 state after (key ^ ipad) */
    EVP_MD_CTX *outer; /* SHA1 state after (key ^ opad) */
    EVP_MD_CTX *work;  /* the message being authenticated */
} hmac_state;

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t a)
{
    if (a == NULL)
        return srtp_err_status_ok;
    hmac_state *st = a->state;
    if (st != NULL) {
        EVP_MD_CTX_free(st->inner);
        EVP_MD_CTX_free(st->outer);
        EVP_MD_CTX_free(st->work);
        g_free(st);
    }
    g_free(a);
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
    *ap = NULL;
    if (key_len < 0 || key_len > HMAC_MAX_KEY || out_len < 0 || out_len > SHA1_LEN || sha1 == NULL)
        return srtp_err_status_bad_param;
    srtp_auth_t *a = g_new0(srtp_auth_t, 1);
    hmac_state *st = g_new0(hmac_state, 1);
    a->type = &dc_srtp_openssl_hmac_sha1;
    a->state = st;
    a->key_len = key_len;
    a->out_len = out_len;
    a->prefix_len = 0;
    st->inner = EVP_MD_CTX_new();
    st->outer = EVP_MD_CTX_new();
    st->work = EVP_MD_CTX_new();
    if (st->inner == NULL || st->outer == NULL || st->work == NULL) {
        hmac_dealloc(a);
        return srtp_err_status_alloc_fail;
    }
    *ap = a;
    return srtp_err_status_ok;
}

static srtp_err_status_t hmac_start(void *state)
{
    hmac_state *st = state;
    if (EVP_MD_CTX_copy_ex(st->work, st->inner) != 1)
        return srtp_err_status_auth_fail;
    return srtp_err_status_ok;
}

/* Keys the inner and outer contexts and starts a message (libsrtp's
 * self-test computes right after init, without a start). */
static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
    hmac_state *st = state;
    uint8_t k[SHA1_BLOCK] = {0}, pad[SHA1_BLOCK];
    srtp_err_status_t rc = srtp_err_status_init_fail;

    if (key_len < 0 || key_len > HMAC_MAX_KEY)
        return srtp_err_status_bad_param;
    if (key_len > SHA1_BLOCK) {
        unsigned int n = 0;
        if (EVP_Digest(key, (size_t)key_len, k, &n, sha1, NULL) != 1)
            goto out;
    } else if (key_len > 0) {
        memcpy(k, key, (size_t)key_len);
    }
    for (size_t i = 0; i < SHA1_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    if (EVP_DigestInit_ex(st->inner, sha1, NULL) != 1 ||
        EVP_DigestUpdate(st->inner, pad, sizeof pad) != 1)
        goto out;
    for (size_t i = 0; i < SHA1_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    if (EVP_DigestInit_ex(st->outer, sha1, NULL) != 1 ||
        EVP_DigestUpdate(st->outer, pad, sizeof pad) != 1)
        goto out;
    rc = hmac_start(st);
out:
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    return rc;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len)
{
    hmac_state *st = state;
    if (len < 0)
        return srtp_err_status_bad_param;
    if (EVP_DigestUpdate(st->work, buf, (size_t)len) != 1)
        return srtp_err_status_auth_fail;
    return srtp_err_status_ok;
}

/* Adds buf to the message, finishes it and writes tag_len bytes of the MAC. */
static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
                                      uint8_t *tag)
{
    hmac_state *st = state;
    uint8_t h[SHA1_LEN];
    unsigned int n = 0;
    if (tag_len < 0 || tag_len > SHA1_LEN || len < 0)
        return srtp_err_status_bad_param;
    if (EVP_DigestUpdate(st->work, buf, (size_t)len) != 1 ||
        EVP_DigestFinal_ex(st->work, h, &n) != 1 || EVP_MD_CTX_copy_ex(st->work, st->outer) != 1 ||
        EVP_DigestUpdate(st->work, h, sizeof h) != 1 || EVP_DigestFinal_ex(st->work, h, &n) != 1)
        return srtp_err_status_auth_fail;
    memcpy(tag, h, (size_t)tag_len);
    return srtp_err_status_ok;
}

/* RFC 2202 section 3, test cases 1 to 7 (5 with its 96-bit truncation). */
static const uint8_t kat_k1[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                   0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t kat_t1[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
                                   0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
static const uint8_t kat_t2[20] = {0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
                                   0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79};
static const uint8_t kat_k3[20] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
                                   0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t kat_d3[50] = {0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
                                   0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
                                   0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
                                   0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd,
                                   0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd};
static const uint8_t kat_t3[20] = {0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3,
                                   0x9a, 0xf4, 0x8a, 0xa1, 0x7b, 0x4f, 0x63, 0xf1, 0x75, 0xd3};
static const uint8_t kat_k4[25] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                   0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
                                   0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19};
static const uint8_t kat_d4[50] = {0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
                                   0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
                                   0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
                                   0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
                                   0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd};
static const uint8_t kat_t4[20] = {0x4c, 0x90, 0x07, 0xf4, 0x02, 0x62, 0x50, 0xc6, 0xbc, 0x84,
                                   0x14, 0xf9, 0xbf, 0x50, 0xc8, 0x6c, 0x2d, 0x72, 0x35, 0xda};
static const uint8_t kat_k5[20] = {0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c,
                                   0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c};
static const uint8_t kat_t5[20] = {0x4c, 0x1a, 0x03, 0x42, 0x4b, 0x55, 0xe0, 0x7f, 0xe7, 0xf2,
                                   0x7b, 0xe1, 0xd5, 0x8b, 0xb9, 0x32, 0x4a, 0x9a, 0x5a, 0x04};
static const uint8_t kat_k6[80] = {
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
static const uint8_t kat_t6[20] = {0xaa, 0x4a, 0xe5, 0xe1, 0x52, 0x72, 0xd0, 0x0e, 0x95, 0x70,
                                   0x56, 0x37, 0xce, 0x8a, 0x3b, 0x55, 0xed, 0x40, 0x21, 0x12};
static const uint8_t kat_t7[20] = {0xe8, 0xe9, 0x9d, 0x0f, 0x45, 0x23, 0x7d, 0x78, 0x6d, 0x6b,
                                   0xba, 0xa7, 0x96, 0x5c, 0x78, 0x08, 0xbb, 0xff, 0x1a, 0x91};

#define KAT_STR(s) (int)(sizeof(s) - 1), (const uint8_t *)(s)
static const srtp_auth_test_case_t kat7 = {
    80,
    kat_k6,
    KAT_STR("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
    20,
    kat_t7,
    NULL};
static const srtp_auth_test_case_t kat6 = {
    80, kat_k6, KAT_STR("Test Using Larger Than Block-Size Key - Hash Key First"),
    20, kat_t6, &kat7};
static const srtp_auth_test_case_t kat5b = {20, kat_k5, KAT_STR("Test With Truncation"),
                                            12, kat_t5, &kat6};
static const srtp_auth_test_case_t kat5 = {20, kat_k5, KAT_STR("Test With Truncation"),
                                           20, kat_t5, &kat5b};
static const srtp_auth_test_case_t kat4 = {25, kat_k4, 50, kat_d4, 20, kat_t4, &kat5};
static const srtp_auth_test_case_t kat3 = {20, kat_k3, 50, kat_d3, 20, kat_t3, &kat4};
static const srtp_auth_test_case_t kat2 = {
    4, (const uint8_t *)"Jefe", KAT_STR("what do ya want for nothing?"), 20, kat_t2, &kat3};
static const srtp_auth_test_case_t kat1 = {20, kat_k1, KAT_STR("Hi There"), 20, kat_t1, &kat2};

const srtp_auth_type_t dc_srtp_openssl_hmac_sha1 = {
    .alloc = hmac_alloc,
    .dealloc = hmac_dealloc,
    .init = hmac_init,
    .compute = hmac_compute,
    .update = hmac_update,
    .start = hmac_start,
    .description = "HMAC-SHA1 (OpenSSL EVP, pre-keyed contexts, diemcau)",
    .test_data = &kat1,
    .id = SRTP_HMAC_SHA1,
};

int dc_srtp_openssl_install(void)
{
    if (aes_ctr == NULL)
        aes_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
    if (sha1 == NULL)
        sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (aes_ctr == NULL || sha1 == NULL || dc_srtp_openssl_gcm_fetch() != 0)
        return -ENOTSUP;
    int rc = 0;
    if (srtp_replace_cipher_type(&dc_srtp_openssl_aes_icm_128, SRTP_AES_ICM_128) !=
        srtp_err_status_ok) {
        g_warning("libsrtp refused the OpenSSL AES-ICM-128");
        rc = -EIO;
    }
    if (srtp_replace_cipher_type(&dc_srtp_openssl_aes_gcm_128, SRTP_AES_GCM_128) !=
        srtp_err_status_ok) {
        g_warning("libsrtp refused the OpenSSL AES-128-GCM");
        rc = -EIO;
    }
    if (srtp_replace_auth_type(&dc_srtp_openssl_hmac_sha1, SRTP_HMAC_SHA1) != srtp_err_status_ok) {
        g_warning("libsrtp refused the OpenSSL HMAC-SHA1");
        rc = -EIO;
    }
    return rc;
}
