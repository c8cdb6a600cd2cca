/* common/tls: what diemcau-signal, diemcau-client and diemcau-ctl agree on
 * about TLS: when the signaling service must serve HTTPS, and certificate
 * fingerprints (SHA-256 of the DER, written as browsers show them:
 * "AB:CD:...:EF", 32 upper-case hex pairs).
 *
 * Pure functions, no I/O except dc_tls_file_fingerprint(), which reads one
 * PEM file. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

G_BEGIN_DECLS

#define DC_TLS_FINGERPRINT_LEN 32 /* SHA-256 */

typedef enum {
    DC_TLS_HTTPS,          /* serve HTTPS/WSS */
    DC_TLS_PLAIN_LOOPBACK, /* plain HTTP: the address is loopback and tls = auto */
    DC_TLS_PLAIN_EXPLICIT, /* plain HTTP because tls = off; warn when @address
                            * is not loopback */
} dc_tls_decision;

/* True when @address (an IP literal) is a loopback address (127.0.0.0/8,
 * ::1). Wildcards (0.0.0.0, ::) and anything unparsable are not. */
bool dc_tls_address_is_loopback(const char *address);

/* The rule for [signaling] tls: auto serves HTTPS on every address but
 * loopback; on always serves HTTPS; off never does. */
dc_tls_decision dc_tls_decide(const char *address, dc_tls_mode mode);

/* "https" or "http" for the service of @cfg (scheme of its URLs; "wss" or
 * "ws" for the WebSocket is the same choice). Static string. */
const char *dc_tls_scheme(const dc_config *cfg);

/* "AB:CD:...", 95 characters, of @der's SHA-256. Free with g_free(). */
char *dc_tls_fingerprint(const uint8_t *der, size_t len);

/* The fingerprint of @cert (its leaf), or NULL when it has no DER. */
char *dc_tls_certificate_fingerprint(GTlsCertificate *cert);

/* The fingerprint of the first certificate of the PEM file @path, or NULL
 * with @error set (file missing, not a certificate). */
char *dc_tls_file_fingerprint(const char *path, GError **error);

/* Parses a SHA-256 fingerprint given by a person: 64 hex digits, upper or
 * lower case, either all in pairs separated by ':' (as printed) or without
 * separators. Writes the 32 bytes to @out. False when it is anything else. */
bool dc_tls_fingerprint_parse(const char *text, uint8_t out[DC_TLS_FINGERPRINT_LEN]);

G_END_DECLS
