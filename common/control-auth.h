/* common/control-auth: authentication of the control link (docs/control.md,
 * "Authentication"), shared by diemcau-bridge (which checks) and
 * diemcau-signal (which signs).
 *
 * Both programs hold the same 32-byte secret, kept base64 in the file named
 * by [bridge] control_secret_file. The signal side sends, on its WebSocket
 * upgrade,
 *
 *   Authorization: DC-HMAC t=<unix seconds>, n=<32 hex nonce>, mac=<64 hex>
 *
 * where mac = HMAC-SHA256(secret, "diemcau-control\n" t "\n" n). The bridge
 * accepts it when |now - t| <= 60 s, the mac matches and the nonce was not
 * accepted in the last 120 s.
 *
 * Parsing, signing and verifying are sans-IO: they take the secret and `now`
 * as arguments and read no clock. Only dc_control_auth_load_secret() touches
 * the file system (and sleeps briefly while another program writes the file).
 * No locks: a replay table belongs to one thread.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define DC_CONTROL_AUTH_SECRET_LEN 32
#define DC_CONTROL_AUTH_NONCE_HEX 32
#define DC_CONTROL_AUTH_MAX_SKEW_S 60
#define DC_CONTROL_AUTH_REPLAY_S 120
#define DC_CONTROL_AUTH_REPLAY_ENTRIES 1024

/* A parsed Authorization header: views into nothing (copies). */
typedef struct {
    int64_t t;                                 /* unix seconds */
    char nonce[DC_CONTROL_AUTH_NONCE_HEX + 1]; /* lowercase hex, NUL-terminated */
    uint8_t mac[32];
} dc_control_auth_header;

typedef enum {
    DC_CONTROL_AUTH_OK = 0,
    DC_CONTROL_AUTH_MISSING,   /* no header */
    DC_CONTROL_AUTH_MALFORMED, /* not "DC-HMAC t=..., n=..., mac=..." */
    DC_CONTROL_AUTH_STALE,     /* |now - t| > 60 s */
    DC_CONTROL_AUTH_BAD_MAC,   /* signed with another secret, or altered */
    DC_CONTROL_AUTH_REPLAYED,  /* the nonce was accepted within 120 s */
    DC_CONTROL_AUTH_FULL,      /* the replay table is full: refused */
} dc_control_auth_result;

/* A short English phrase for logs ("stale timestamp", ...). Static. */
const char *dc_control_auth_result_name(dc_control_auth_result r);

/* Parses the header value (text, len bytes, not necessarily NUL-terminated)
 * into out. Whitespace around the parts is allowed; hex may be either case;
 * each of t, n and mac exactly once, in that order. Returns 0 or -EBADMSG.
 * Never allocates. */
int dc_control_auth_parse(const char *text, size_t len, dc_control_auth_header *out);

/* mac = HMAC-SHA256(secret, "diemcau-control\n" t "\n" nonce). */
void dc_control_auth_mac(const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], int64_t t,
                         const char *nonce, uint8_t mac[32]);

/* The header value for time now_s and a 16-byte nonce (tests pass their
 * own; dc_control_auth_sign() draws one). Free with g_free(). */
char *dc_control_auth_format(const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], int64_t now_s,
                             const uint8_t nonce[16]);

/* The header value with a fresh random nonce (RAND_bytes). Free with
 * g_free(). */
char *dc_control_auth_sign(const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], int64_t now_s);

/* The nonces accepted recently: a bounded table owned by the checker. */
typedef struct dc_control_auth_replay dc_control_auth_replay;

/* capacity: most nonces remembered (DC_CONTROL_AUTH_REPLAY_ENTRIES in the
 * bridge); a full table refuses until entries age out. */
dc_control_auth_replay *dc_control_auth_replay_new(unsigned capacity);
void dc_control_auth_replay_free(dc_control_auth_replay *r);

/* Checks a header value (NULL = no header) at time now_s. On OK, the nonce
 * is remembered in replay for 120 s. The mac is compared in constant time
 * (CRYPTO_memcmp) and checked before the nonce is remembered, so that only
 * holders of the secret can fill the table. */
dc_control_auth_result dc_control_auth_verify(const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN],
                                              dc_control_auth_replay *replay, const char *header,
                                              int64_t now_s);

/* Reads the secret from path, or makes it when the file does not exist
 * (O_CREAT|O_EXCL, mode 0600: whichever program starts first makes it, the
 * other reads it; a file still empty because the other is writing it is
 * read again for up to 2 s). Fails with a GError (G_FILE_ERROR) naming path
 * when the file is readable or writable by group or others, unreadable, or
 * not the base64 of 32 bytes. made, when not NULL, says whether this call
 * made the file. */
bool dc_control_auth_load_secret(const char *path, uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN],
                                 bool *made, GError **error);

G_END_DECLS
