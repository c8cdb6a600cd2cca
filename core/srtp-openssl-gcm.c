/* srtp-openssl-gcm: AEAD_AES_128_GCM (RFC 7714) for libsrtp2 on OpenSSL's
 * AES-128-GCM; part of srtp-openssl (see srtp-openssl.h).
 *
 * libsrtp 2.5 drives an AEAD cipher as: init(key) once per session key;
 * per packet set_iv(12-byte IV, direction), set_aad (once for SRTP, twice
 * for SRTCP: header, then the E flag and index), then either encrypt(buf,
 * len) followed by get_tag(out) (len stays the plaintext length; the tag
 * goes where libsrtp says), or decrypt(buf, len) with the tag as the last
 * tag_len bytes of buf (len becomes the plaintext length, or auth_fail).
 * SRTCP without encryption encrypts or decrypts zero bytes to make or
 * check the tag.
 *
 * Each instance keeps one EVP_CIPHER_CTX per direction, keyed once by
 * init(); a packet only sets the IV on the right one, so the key schedule
 * and GHASH tables are never rebuilt and nothing is allocated per packet
 * (libsrtp's stock GCM on Debian, through NSS, creates and frees an NSS
 * context, a lock and several buffers per packet). */
#include "core/srtp-openssl-private.h"
#include "core/srtp-openssl.h"

#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#define GCM_KEY 16
#define GCM_IV 12
#define GCM_TAG_MAX 16

static EVP_CIPHER *gcm_evp; /* fetched once by dc_srtp_openssl_gcm_fetch() */
static gint live_instances;

typedef struct {
    EVP_CIPHER_CTX *enc, *dec;
    EVP_CIPHER_CTX *cur; /* the one set_iv chose; NULL before the first IV */
    int tag_len;         /* 16, or 8 for AEAD_AES_128_GCM_8 */
    uint8_t tag[GCM_TAG_MAX];
} gcm_state;

static srtp_err_status_t gcm_dealloc(srtp_cipher_pointer_t c)
{
    if (c == NULL)
        return srtp_err_status_ok;
    gcm_state *st = c->state;
    if (st != NULL) {
        EVP_CIPHER_CTX_free(st->enc);
        EVP_CIPHER_CTX_free(st->dec);
        OPENSSL_cleanse(st, sizeof *st);
        g_free(st);
        g_atomic_int_add(&live_instances, -1);
    }
    g_free(c);
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
    *cp = NULL;
    if (key_len != SRTP_AES_GCM_128_KEY_LEN_WSALT || (tag_len != 16 && tag_len != 8) ||
        gcm_evp == NULL)
        return srtp_err_status_bad_param;
    srtp_cipher_t *c = g_new0(srtp_cipher_t, 1);
    gcm_state *st = g_new0(gcm_state, 1);
    g_atomic_int_inc(&live_instances);
    c->type = &dc_srtp_openssl_aes_gcm_128;
    c->state = st;
    c->key_len = key_len;
    c->algorithm = SRTP_AES_GCM_128;
    st->tag_len = tag_len;
    st->enc = EVP_CIPHER_CTX_new();
    st->dec = EVP_CIPHER_CTX_new();
    if (st->enc == NULL || st->dec == NULL) {
        gcm_dealloc(c);
        return srtp_err_status_alloc_fail;
    }
    *cp = c;
    return srtp_err_status_ok;
}

/* key: the 16-byte AES key, then the 12-byte salt, which libsrtp itself
 * folds into each packet's IV (RFC 7714 section 8.1). */
static srtp_err_status_t gcm_init(void *state, const uint8_t *key)
{
    gcm_state *st = state;
    st->cur = NULL;
    if (EVP_EncryptInit_ex(st->enc, gcm_evp, NULL, key, NULL) != 1 ||
        EVP_DecryptInit_ex(st->dec, gcm_evp, NULL, key, NULL) != 1)
        return srtp_err_status_init_fail;
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
    gcm_state *st = state;
    if (dir == srtp_direction_encrypt)
        st->cur = st->enc;
    else if (dir == srtp_direction_decrypt)
        st->cur = st->dec;
    else
        return srtp_err_status_bad_param;
    /* cipher and key NULL: keep them; -1: keep the direction. */
    if (EVP_CipherInit_ex(st->cur, NULL, NULL, NULL, iv, -1) != 1) {
        st->cur = NULL;
        return srtp_err_status_cipher_fail;
    }
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_aad(void *state, const uint8_t *aad, uint32_t aad_len)
{
    gcm_state *st = state;
    int out = 0;
    if (st->cur == NULL || aad_len > INT32_MAX)
        return srtp_err_status_bad_param;
    if (aad_len > 0 && EVP_CipherUpdate(st->cur, NULL, &out, aad, (int)aad_len) != 1)
        return srtp_err_status_algo_fail;
    return srtp_err_status_ok;
}

/* Encrypts len bytes in place and keeps the tag for get_tag. */
static srtp_err_status_t gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
    gcm_state *st = state;
    uint8_t none[GCM_TAG_MAX];
    int out = 0;
    if (st->cur != st->enc || *len > INT32_MAX || (buf == NULL && *len > 0))
        return srtp_err_status_bad_param;
    if (*len > 0 &&
        (EVP_EncryptUpdate(st->enc, buf, &out, buf, (int)*len) != 1 || out != (int)*len))
        return srtp_err_status_cipher_fail;
    if (EVP_EncryptFinal_ex(st->enc, none, &out) != 1 ||
        EVP_CIPHER_CTX_ctrl(st->enc, EVP_CTRL_AEAD_GET_TAG, st->tag_len, st->tag) != 1)
        return srtp_err_status_cipher_fail;
    st->cur = NULL; /* one message per IV */
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
    gcm_state *st = state;
    memcpy(tag, st->tag, (size_t)st->tag_len);
    *len = (uint32_t)st->tag_len;
    return srtp_err_status_ok;
}

/* buf holds the ciphertext followed by the tag; decrypts in place and
 * leaves *len at the plaintext length, or fails with auth_fail. */
static srtp_err_status_t gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
    gcm_state *st = state;
    uint8_t none[GCM_TAG_MAX];
    int out = 0;
    if (st->cur != st->dec || *len > INT32_MAX || *len < (unsigned)st->tag_len)
        return srtp_err_status_bad_param;
    int n = (int)*len - st->tag_len;
    st->cur = NULL;
    if (EVP_CIPHER_CTX_ctrl(st->dec, EVP_CTRL_AEAD_SET_TAG, st->tag_len, buf + n) != 1)
        return srtp_err_status_cipher_fail;
    if (n > 0 && (EVP_DecryptUpdate(st->dec, buf, &out, buf, n) != 1 || out != n))
        return srtp_err_status_cipher_fail;
    if (EVP_DecryptFinal_ex(st->dec, none, &out) != 1)
        return srtp_err_status_auth_fail;
    *len = (unsigned)n;
    return srtp_err_status_ok;
}

/* Known answers: test case 4 of the GCM specification (McGrew and Viega,
 * "The Galois/Counter Mode of Operation", 2005: 60-byte plaintext, 20 bytes
 * of AAD, 96-bit IV), with the full 16-byte tag and truncated to 8 bytes.
 * The salt after the key is arbitrary: the cipher does not use it. */
static const uint8_t kat_key[SRTP_AES_GCM_128_KEY_LEN_WSALT] = {
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30,
    0x83, 0x08, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
};
static uint8_t kat_iv[16] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
                             0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88}; /* libsrtp wants it mutable */
static const uint8_t kat_aad[20] = {0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
                                    0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2};
static const uint8_t kat_plain[60] = {
    0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26,
    0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31,
    0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49,
    0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t kat_cipher_tag[76] = {
    0x42,
    0x83,
    0x1e,
    0xc2,
    0x21,
    0x77,
    0x74,
    0x24,
    0x4b,
    0x72,
    0x21,
    0xb7,
    0x84,
    0xd0,
    0xd4,
    0x9c,
    0xe3,
    0xaa,
    0x21,
    0x2f,
    0x2c,
    0x02,
    0xa4,
    0xe0,
    0x35,
    0xc1,
    0x7e,
    0x23,
    0x29,
    0xac,
    0xa1,
    0x2e,
    0x21,
    0xd5,
    0x14,
    0xb2,
    0x54,
    0x66,
    0x93,
    0x1c,
    0x7d,
    0x8f,
    0x6a,
    0x5a,
    0xac,
    0x84,
    0xaa,
    0x05,
    0x1b,
    0xa3,
    0x0b,
    0x39,
    0x6a,
    0x0a,
    0xac,
    0x97,
    0x3d,
    0x58,
    0xe0,
    0x91,
    /* tag */
    0x5b,
    0xc9,
    0x4f,
    0xbc,
    0x32,
    0x21,
    0xa5,
    0xdb,
    0x94,
    0xfa,
    0xe9,
    0x5a,
    0xe7,
    0x12,
    0x1a,
    0x47,
};
static const srtp_cipher_test_case_t kat_tag8 = {
    .key_length_octets = sizeof kat_key,
    .key = kat_key,
    .idx = kat_iv,
    .plaintext_length_octets = sizeof kat_plain,
    .plaintext = kat_plain,
    .ciphertext_length_octets = sizeof kat_plain + 8, /* the tag cut to 8 bytes */
    .ciphertext = kat_cipher_tag,
    .aad_length_octets = sizeof kat_aad,
    .aad = kat_aad,
    .tag_length_octets = 8,
};
static const srtp_cipher_test_case_t kat_tag16 = {
    .key_length_octets = sizeof kat_key,
    .key = kat_key,
    .idx = kat_iv,
    .plaintext_length_octets = sizeof kat_plain,
    .plaintext = kat_plain,
    .ciphertext_length_octets = sizeof kat_cipher_tag,
    .ciphertext = kat_cipher_tag,
    .aad_length_octets = sizeof kat_aad,
    .aad = kat_aad,
    .tag_length_octets = 16,
    .next_test_case = &kat_tag8,
};

const srtp_cipher_type_t dc_srtp_openssl_aes_gcm_128 = {
    .alloc = gcm_alloc,
    .dealloc = gcm_dealloc,
    .init = gcm_init,
    .set_aad = gcm_set_aad,
    .encrypt = gcm_encrypt,
    .decrypt = gcm_decrypt,
    .set_iv = gcm_set_iv,
    .get_tag = gcm_get_tag,
    .description = "AES-128 GCM (OpenSSL EVP, one context per direction, diemcau)",
    .test_data = &kat_tag16,
    .id = SRTP_AES_GCM_128,
};

int dc_srtp_openssl_gcm_fetch(void)
{
    if (gcm_evp == NULL)
        gcm_evp = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    return gcm_evp != NULL ? 0 : -1;
}

int dc_srtp_openssl_gcm_instances(void)
{
    return g_atomic_int_get(&live_instances);
}
