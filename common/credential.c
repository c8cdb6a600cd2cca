/* common/credential: salted scrypt hashes of the sites' secrets. See
 * credential.h. */
#include "common/credential.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(dc - credential - error - quark, dc_credential_error)

#define PREFIX "scrypt$"

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

/* A decimal number without sign or leading zero in [min, max]. */
static bool parse_number(const char *text, guint64 min, guint64 max, guint64 *out)
{
    return text[0] != '0' && g_ascii_string_to_unsigned(text, 10, min, max, out, NULL);
}

/* Checks scrypt parameters; false with @error set. */
static bool check_params(uint64_t n, uint32_t r, uint32_t p, GError **error)
{
    if (n < DC_CREDENTIAL_N_MIN || n > DC_CREDENTIAL_N_MAX || (n & (n - 1)) != 0) {
        return invalid(error, "N must be a power of two from %u to %u", DC_CREDENTIAL_N_MIN,
                       DC_CREDENTIAL_N_MAX);
    }
    if (r < 1 || r > DC_CREDENTIAL_R_MAX || p < 1 || p > DC_CREDENTIAL_P_MAX) {
        return invalid(error, "r must be from 1 to %u and p from 1 to %u", DC_CREDENTIAL_R_MAX,
                       DC_CREDENTIAL_P_MAX);
    }
    if (128 * n * r > DC_CREDENTIAL_MEM_MAX) {
        return invalid(error, "N = %" G_GUINT64_FORMAT " and r = %u need more than %u MiB", n, r,
                       DC_CREDENTIAL_MEM_MAX >> 20);
    }
    return true;
}

static bool parse_hash(const char *text, dc_credential *c, GError **error)
{
    /* scrypt $ N $ r $ p $ SALT $ HASH */
    g_auto(GStrv) parts = g_strsplit(text + strlen(PREFIX), "$", -1);
    if (g_strv_length(parts) != 5) {
        return invalid(error, "a hash must read scrypt$N$r$p$SALT$HASH");
    }
    guint64 n = 0, r = 0, p = 0;
    if (!parse_number(parts[0], 1, DC_CREDENTIAL_N_MAX, &n) ||
        !parse_number(parts[1], 1, DC_CREDENTIAL_R_MAX, &r) ||
        !parse_number(parts[2], 1, DC_CREDENTIAL_P_MAX, &p)) {
        return invalid(error,
                       "the parameters “%s$%s$%s” are not N$r$p in range (N a power of "
                       "two from %u to %u, r from 1 to %u, p from 1 to %u)",
                       parts[0], parts[1], parts[2], DC_CREDENTIAL_N_MIN, DC_CREDENTIAL_N_MAX,
                       DC_CREDENTIAL_R_MAX, DC_CREDENTIAL_P_MAX);
    }
    if (!check_params(n, (uint32_t)r, (uint32_t)p, error)) {
        return false;
    }
    c->n = n;
    c->r = (uint32_t)r;
    c->p = (uint32_t)p;
    c->salt_len = b64_decode(parts[3], strlen(parts[3]), c->salt, sizeof c->salt);
    if (c->salt_len < DC_CREDENTIAL_SALT_LEN) {
        return invalid(error, "the salt is not base64 of %d to %d bytes", DC_CREDENTIAL_SALT_LEN,
                       DC_CREDENTIAL_SALT_MAX);
    }
    uint8_t hash[DC_CREDENTIAL_SALT_MAX];
    size_t len = b64_decode(parts[4], strlen(parts[4]), hash, sizeof hash);
    if (len != DC_CREDENTIAL_HASH_LEN) {
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
        c->kind = DC_CREDENTIAL_SCRYPT;
        if (!parse_hash(text, c, error)) {
            return NULL;
        }
        return g_steal_pointer(&c);
    }
    if (strchr(text, '$')) {
        invalid(error, "neither a hash (scrypt$N$r$p$SALT$HASH) nor a plain secret (which may "
                       "not contain '$')");
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

static bool derive(const char *secret, uint64_t n, uint32_t r, uint32_t p, const uint8_t *salt,
                   size_t salt_len, uint8_t out[DC_CREDENTIAL_HASH_LEN])
{
    /* The memory scrypt needs (128 * N * r, plus 128 * r * p and a little),
     * allowed explicitly: OpenSSL's default cap is 32 MiB. */
    uint64_t maxmem = 128 * n * r + 128 * (uint64_t)r * p + 1024 * 1024;
    return EVP_PBE_scrypt(secret, strlen(secret), salt, salt_len, n, r, p, maxmem, out,
                          DC_CREDENTIAL_HASH_LEN) == 1;
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
        ok = derive(given, stored->n, stored->r, stored->p, stored->salt, stored->salt_len, b);
    }
    bool same = ok && CRYPTO_memcmp(a, b, sizeof a) == 0;
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
    return same;
}

char *dc_credential_hash_salted(const char *secret, uint64_t n, uint32_t r, uint32_t p,
                                const uint8_t *salt, size_t salt_len, GError **error)
{
    if (!dc_credential_secret_valid(secret)) {
        invalid(error, "a secret must be 8 to 128 printable ASCII characters without spaces");
        return NULL;
    }
    if (!check_params(n, r, p, error)) {
        return NULL;
    }
    if (salt_len < DC_CREDENTIAL_SALT_LEN || salt_len > DC_CREDENTIAL_SALT_MAX) {
        invalid(error, "the salt must be %d to %d bytes", DC_CREDENTIAL_SALT_LEN,
                DC_CREDENTIAL_SALT_MAX);
        return NULL;
    }
    uint8_t key[DC_CREDENTIAL_HASH_LEN];
    if (!derive(secret, n, r, p, salt, salt_len, key)) {
        invalid(error, "scrypt failed (OpenSSL)");
        return NULL;
    }
    g_autofree char *s = g_base64_encode(salt, salt_len);
    g_autofree char *h = g_base64_encode(key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return g_strdup_printf(PREFIX "%" G_GUINT64_FORMAT "$%u$%u$%s$%s", n, r, p, s, h);
}

char *dc_credential_hash(const char *secret, uint64_t n, GError **error)
{
    uint8_t salt[DC_CREDENTIAL_SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        invalid(error, "no random salt (OpenSSL RAND_bytes failed)");
        return NULL;
    }
    return dc_credential_hash_salted(secret, n ? n : DC_CREDENTIAL_N, DC_CREDENTIAL_R,
                                     DC_CREDENTIAL_P, salt, sizeof salt, error);
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
