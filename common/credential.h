/* common/credential: the secrets that sites and the technician present, and
 * the form in which the deployment file keeps them.
 *
 * A secret is 8 to 128 printable ASCII characters without spaces. The file
 * keeps a salted, slow hash of it (PBKDF2-HMAC-SHA256, OpenSSL):
 *
 *   pbkdf2-sha256$ITERATIONS$SALT$HASH
 *
 * ITERATIONS in decimal (DC_CREDENTIAL_ITERATIONS_MIN..MAX), SALT the random
 * salt (16 to 64 bytes) and HASH the 32-byte derived key, both in standard
 * base64 with padding. The count is in the string so that it can be raised
 * later for new credentials without breaking the old ones.
 *
 * A value without '$' is a secret kept in plain text: still accepted (older
 * files, tests), but diemcau-signal warns at startup. Anything else with a
 * '$' must be a well-formed hash, or loading fails.
 *
 * Verification derives the key from the presented secret and compares it in
 * constant time (CRYPTO_memcmp). It is slow on purpose (DC_CREDENTIAL_ITERATIONS
 * is about 60 ms on one core of the reference machine): run it off the main
 * loop (signaling/auth). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define DC_CREDENTIAL_ERROR (dc_credential_error_quark())
GQuark dc_credential_error_quark(void);

/* The one error code: the text is not a valid credential or secret. */
#define DC_CREDENTIAL_ERROR_INVALID 0

/* PBKDF2 iterations of new hashes; see README, "Credentials", for why. */
#define DC_CREDENTIAL_ITERATIONS 100000u
/* Stored hashes must use a count in this range: below is a mistake (too fast
 * for an attacker), above stalls every check for seconds. */
#define DC_CREDENTIAL_ITERATIONS_MIN 10000u
#define DC_CREDENTIAL_ITERATIONS_MAX 10000000u
#define DC_CREDENTIAL_SALT_LEN 16    /* bytes of salt in new hashes */
#define DC_CREDENTIAL_SALT_MAX 64    /* longest salt accepted */
#define DC_CREDENTIAL_HASH_LEN 32    /* PBKDF2 output, bytes */
#define DC_CREDENTIAL_SECRET_MIN 8   /* shortest secret */
#define DC_CREDENTIAL_SECRET_MAX 128 /* longest secret */

typedef enum {
    DC_CREDENTIAL_PBKDF2_SHA256, /* a salted hash (the normal form) */
    DC_CREDENTIAL_PLAIN,         /* the secret itself (deprecated) */
} dc_credential_kind;

/* A stored credential. Immutable once parsed, so worker threads may verify
 * against it while the main thread reads it. */
typedef struct {
    dc_credential_kind kind;
    unsigned iterations; /* PBKDF2 only */
    uint8_t salt[DC_CREDENTIAL_SALT_MAX];
    size_t salt_len;
    uint8_t hash[DC_CREDENTIAL_HASH_LEN];
    char *plain; /* PLAIN only: the secret */
} dc_credential;

/* Parses a stored credential (a hash string, or a plain secret without '$').
 * Returns a new credential (dc_credential_free()) or NULL with @error set
 * (DC_CREDENTIAL_ERROR) saying what is wrong, without the file position. */
dc_credential *dc_credential_parse(const char *text, GError **error);

/* Wipes and frees. NULL is fine. */
void dc_credential_free(dc_credential *cred);

/* True when @given is the secret of @stored. Slow for a hash (PBKDF2 with the
 * stored count). The derived keys are compared in constant time; a plain
 * stored secret is compared through SHA-256 digests in constant time. NULL
 * never matches. Thread-safe. */
bool dc_credential_verify(const dc_credential *stored, const char *given);

/* The plain secret of a PLAIN credential; NULL for a hash or NULL @cred. */
const char *dc_credential_plain(const dc_credential *cred);

/* True for 8 to 128 printable ASCII characters without spaces. */
bool dc_credential_secret_valid(const char *secret);

/* The stored form of @secret: "pbkdf2-sha256$ITERATIONS$SALT$HASH" with a
 * fresh random salt. NULL with @error set when @secret is not a valid secret,
 * @iterations is out of range, or the random generator fails. Free with
 * g_free(). */
char *dc_credential_hash(const char *secret, unsigned iterations, GError **error);

/* The same with a given salt (tests: a reproducible string). */
char *dc_credential_hash_salted(const char *secret, unsigned iterations, const uint8_t *salt,
                                size_t salt_len, GError **error);

/* A new random secret: 20 characters from a 32-letter alphabet without
 * look-alikes (no i, l, o, u), in four groups of five joined by '-', e.g.
 * "k7qx9-mzt2a-06hcv-pw3ny" (100 random bits from RAND_bytes). NULL when the
 * random generator fails. Free with g_free() (after wiping it). */
char *dc_credential_generate(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_credential, dc_credential_free)

G_END_DECLS
