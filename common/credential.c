/* common/credential: salted PBKDF2 hashes of the sites' secrets. See
 * credential.h. */
#include "common/credential.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(dc - credential - error - quark, dc_credential_error)

#define PREFIX "pbkdf2-sha256$"

/* 32 letters, none that reads like another: no i, l, o, u. */
static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static bool invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool invalid(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *m = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, DC_CREDENTIAL_ERROR, DC_CREDENTIAL_ERROR_INVALID, m);
    return false;
}

bool dc_credential_secret_valid(const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n < DC_CREDENTIAL_SECRET_MIN || n > DC_CREDENTIAL_SECRET_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (secret[i] < 0x21 || secret[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

/* Strict base64: the alphabet, padding only at the end, and the canonical
 * encoding of what it decodes to (g_base64_decode() skips junk silently).
 * Fills @out with up to @max bytes; returns the length, or 0 when bad. */
static size_t b64_decode(const char *text, size_t len, uint8_t *out, size_t max)
{
    if (len == 0 || len % 4 != 0) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool pad = c == '=' && (i == len - 1 || (i == len - 2 && text[len - 1] == '='));
        if (!g_ascii_isalnum(c) && c != '+' && c != '/' && !pad) {
            return 0;
        }
    }
    g_autofree char *copy = g_strndup(text, len);
    gsize n = 0;
    g_autofree guchar *bytes = g_base64_decode(copy, &n);
    g_autofree char *again = bytes ? g_base64_encode(bytes, n) : NULL;
    if (!again || strcmp(again, copy) != 0 || n == 0 || n > max) {
        return 0;
    }
    memcpy(out, bytes, n);
    return n;
}

static bool parse_hash(const char *text, dc_credential *c, GError **error)
{
    /* pbkdf2-sha256 $ ITERATIONS $ SALT $ HASH */
    g_auto(GStrv) parts = g_strsplit(text + strlen(PREFIX), "$", -1);
    if (g_strv_length(parts) != 3) {
        return invalid(error, "a hash must read pbkdf2-sha256$ITERATIONS$SALT$HASH");
    }
    guint64 it = 0;
    if (!g_ascii_string_to_unsigned(parts[0], 10, DC_CREDENTIAL_ITERATIONS_MIN,
                                    DC_CREDENTIAL_ITERATIONS_MAX, &it, NULL) ||
        parts[0][0] == '0') {
        return invalid(error, "the iteration count “%s” is not a number from %u to %u", parts[0],
                       DC_CREDENTIAL_ITERATIONS_MIN, DC_CREDENTIAL_ITERATIONS_MAX);
    }
    c->iterations = (unsigned)it;
    c->salt_len = b64_decode(parts[1], strlen(parts[1]), c->salt, sizeof c->salt);
    if (c->salt_len < DC_CREDENTIAL_SALT_LEN) {
        return invalid(error, "the salt is not base64 of %d to %d bytes", DC_CREDENTIAL_SALT_LEN,
                       DC_CREDENTIAL_SALT_MAX);
    }
    uint8_t hash[DC_CREDENTIAL_SALT_MAX];
    size_t n = b64_decode(parts[2], strlen(parts[2]), hash, sizeof hash);
    if (n != DC_CREDENTIAL_HASH_LEN) {
        return invalid(error, "the hash is not base64 of %d bytes", DC_CREDENTIAL_HASH_LEN);
    }
    memcpy(c->hash, hash, sizeof c->hash);
    return true;
}

dc_credential *dc_credential_parse(const char *text, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    g_autoptr(dc_credential) c = g_new0(dc_credential, 1);
    if (g_str_has_prefix(text, PREFIX)) {
        c->kind = DC_CREDENTIAL_PBKDF2_SHA256;
        if (!parse_hash(text, c, error)) {
            return NULL;
        }
        return g_steal_pointer(&c);
    }
    if (strchr(text, '$')) {
        invalid(error, "neither a hash (pbkdf2-sha256$ITERATIONS$SALT$HASH) nor a plain secret "
                       "(which may not contain '$')");
        return NULL;
    }
    if (!dc_credential_secret_valid(text)) {
        invalid(error, "must be 8 to 128 printable ASCII characters without spaces");
        return NULL;
    }
    c->kind = DC_CREDENTIAL_PLAIN;
    c->plain = g_strdup(text);
    return g_steal_pointer(&c);
}

void dc_credential_free(dc_credential *cred)
{
    if (!cred) {
        return;
    }
    if (cred->plain) {
        OPENSSL_cleanse(cred->plain, strlen(cred->plain));
        g_free(cred->plain);
    }
    OPENSSL_cleanse(cred, sizeof *cred);
    g_free(cred);
}

const char *dc_credential_plain(const dc_credential *cred)
{
    return cred && cred->kind == DC_CREDENTIAL_PLAIN ? cred->plain : NULL;
}

static bool derive(const char *secret, unsigned iterations, const uint8_t *salt, size_t salt_len,
                   uint8_t out[DC_CREDENTIAL_HASH_LEN])
{
    return PKCS5_PBKDF2_HMAC(secret, (int)strlen(secret), salt, (int)salt_len, (int)iterations,
                             EVP_sha256(), DC_CREDENTIAL_HASH_LEN, out) == 1;
}

static bool sha256(const char *s, uint8_t out[32])
{
    unsigned int n = 32;
    return EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

bool dc_credential_verify(const dc_credential *stored, const char *given)
{
    if (!stored || !given) {
        return false;
    }
    uint8_t a[DC_CREDENTIAL_HASH_LEN], b[DC_CREDENTIAL_HASH_LEN];
    bool ok;
    if (stored->kind == DC_CREDENTIAL_PLAIN) {
        /* Digests first, so that the time depends on neither secret. */
        ok = sha256(stored->plain, a) && sha256(given, b);
    } else {
        memcpy(a, stored->hash, sizeof a);
        ok = derive(given, stored->iterations, stored->salt, stored->salt_len, b);
    }
    bool same = ok && CRYPTO_memcmp(a, b, sizeof a) == 0;
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
    return same;
}

char *dc_credential_hash_salted(const char *secret, unsigned iterations, const uint8_t *salt,
                                size_t salt_len, GError **error)
{
    if (!dc_credential_secret_valid(secret)) {
        invalid(error, "a secret must be 8 to 128 printable ASCII characters without spaces");
        return NULL;
    }
    if (iterations < DC_CREDENTIAL_ITERATIONS_MIN || iterations > DC_CREDENTIAL_ITERATIONS_MAX) {
        invalid(error, "the iteration count must be from %u to %u", DC_CREDENTIAL_ITERATIONS_MIN,
                DC_CREDENTIAL_ITERATIONS_MAX);
        return NULL;
    }
    if (salt_len < DC_CREDENTIAL_SALT_LEN || salt_len > DC_CREDENTIAL_SALT_MAX) {
        invalid(error, "the salt must be %d to %d bytes", DC_CREDENTIAL_SALT_LEN,
                DC_CREDENTIAL_SALT_MAX);
        return NULL;
    }
    uint8_t key[DC_CREDENTIAL_HASH_LEN];
    if (!derive(secret, iterations, salt, salt_len, key)) {
        invalid(error, "PBKDF2 failed (OpenSSL)");
        return NULL;
    }
    g_autofree char *s = g_base64_encode(salt, salt_len);
    g_autofree char *h = g_base64_encode(key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return g_strdup_printf(PREFIX "%u$%s$%s", iterations, s, h);
}

char *dc_credential_hash(const char *secret, unsigned iterations, GError **error)
{
    uint8_t salt[DC_CREDENTIAL_SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        invalid(error, "no random salt (OpenSSL RAND_bytes failed)");
        return NULL;
    }
    return dc_credential_hash_salted(secret, iterations, salt, sizeof salt, error);
}

char *dc_credential_generate(void)
{
    uint8_t r[20];
    G_STATIC_ASSERT(sizeof alphabet - 1 == 32);
    if (RAND_bytes(r, sizeof r) != 1) {
        return NULL;
    }
    char *out = g_malloc(sizeof r + 3 + 1);
    size_t n = 0;
    for (size_t i = 0; i < sizeof r; i++) {
        if (i > 0 && i % 5 == 0) {
            out[n++] = '-';
        }
        out[n++] = alphabet[r[i] & 31]; /* 256 is a multiple of 32: no bias */
    }
    out[n] = '\0';
    OPENSSL_cleanse(r, sizeof r);
    return out;
}
