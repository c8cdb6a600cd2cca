/* common/credential: the secrets that sites and the technician present, and
 * the form in which the deployment file keeps them.
 *
 * A secret is 8 to 128 printable ASCII characters without spaces. The file
 * keeps a salted, slow, memory-hard hash of it (scrypt, RFC 7914, OpenSSL):
 *
 *   scrypt$N$r$p$SALT$HASH
 *
 * N (the cost: a power of two, DC_CREDENTIAL_N_MIN..MAX), r (block size,
 * 1..32) and p (parallelism, 1..16) in decimal, with 128 * N * r at most
 * DC_CREDENTIAL_MEM_MAX bytes; SALT the random salt (16 to 64 bytes) and
 * HASH the 32-byte derived key, both in standard base64 with padding. The
 * parameters are in the string so that they can be raised later for new
 * credentials without breaking the old ones.
 *
 * A value without '$' is a secret kept in plain text: still accepted (older
 * files, tests), but diemcau-signal warns at startup. Anything else with a
 * '$' must be a well-formed hash, or loading fails.
 *
 * Verification derives the key from the presented secret and compares it in
 * constant time (CRYPTO_memcmp). It is slow on purpose (the default, N =
 * 16384, r = 8, p = 1, takes about 60 ms and 16 MiB): run it off the main
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

/* scrypt parameters of new hashes (the "interactive" ones of the scrypt
 * paper); see README, "Credentials", for why. */
#define DC_CREDENTIAL_N 16384u
#define DC_CREDENTIAL_R 8u
#define DC_CREDENTIAL_P 1u
/* Stored hashes must stay in these bounds: below is a mistake (cheap for an
 * attacker), above stalls every check or takes too much memory. */
#define DC_CREDENTIAL_N_MIN 4096u
#define DC_CREDENTIAL_N_MAX 1048576u
#define DC_CREDENTIAL_R_MAX 32u
#define DC_CREDENTIAL_P_MAX 16u
#define DC_CREDENTIAL_MEM_MAX (256u * 1024 * 1024) /* 128 * N * r */
#define DC_CREDENTIAL_SALT_LEN 16                  /* bytes of salt in new hashes */
#define DC_CREDENTIAL_SALT_MAX 64                  /* longest salt accepted */
#define DC_CREDENTIAL_HASH_LEN 32                  /* scrypt output, bytes */
#define DC_CREDENTIAL_SECRET_MIN 8                 /* shortest secret */
#define DC_CREDENTIAL_SECRET_MAX 128               /* longest secret */

typedef enum {
    DC_CREDENTIAL_SCRYPT, /* a salted hash (the normal form) */
    DC_CREDENTIAL_PLAIN,  /* the secret itself (deprecated) */
} dc_credential_kind;

/* A stored credential. Immutable once parsed, so worker threads may verify
 * against it while the main thread reads it. */
typedef struct {
    dc_credential_kind kind;
    uint64_t n;    /* scrypt only */
    uint32_t r, p; /* scrypt only */
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

/* True when @given is the secret of @stored. Slow for a hash (scrypt with the
 * stored parameters). The derived keys are compared in constant time; a plain
 * stored secret is compared through SHA-256 digests in constant time. NULL
 * never matches. Thread-safe. */
bool dc_credential_verify(const dc_credential *stored, const char *given);

/* The plain secret of a PLAIN credential; NULL for a hash or NULL @cred. */
const char *dc_credential_plain(const dc_credential *cred);

/* True for 8 to 128 printable ASCII characters without spaces. */
bool dc_credential_secret_valid(const char *secret);

/* The stored form of @secret: "scrypt$N$8$1$SALT$HASH" with cost @n (0 =
 * DC_CREDENTIAL_N) and a fresh random salt. NULL with @error set when @secret
 * is not a valid secret, @n is not a power of two in range, or the random
 * generator fails. Free with g_free(). */
char *dc_credential_hash(const char *secret, uint64_t n, GError **error);

/* The same with given parameters and salt (tests: a reproducible string). */
char *dc_credential_hash_salted(const char *secret, uint64_t n, uint32_t r, uint32_t p,
                                const uint8_t *salt, size_t salt_len, GError **error);

/* A new random secret: 20 characters from a 32-letter alphabet without
 * look-alikes (no i, l, o, u), in four groups of five joined by '-', e.g.
 * "k7qx9-mzt2a-06hcv-pw3ny" (100 random bits from RAND_bytes). NULL when the
 * random generator fails. Free with g_free() (after wiping it). */
char *dc_credential_generate(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_credential, dc_credential_free)

G_END_DECLS
