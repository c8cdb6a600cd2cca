/* common/tls-verify: how diemcau-client and diemcau-ctl check the
 * certificate of diemcau-signal on https:// and wss:// URLs (libsoup-3.0).
 *
 * Three ways, one per object:
 *   - the system's certificate authorities (neither option): a certificate
 *     issued by a CA the machine trusts, for the URL's host name;
 *   - --ca-file FILE: only the CA certificates in FILE (PEM) are trusted,
 *     instead of the system's; FILE may also be the server's own
 *     self-signed certificate;
 *   - --pin FINGERPRINT: exactly the certificate whose DER has this SHA-256
 *     (as diemcau-signal prints it at startup) is accepted, whatever its
 *     issuer or names, as long as it is within its validity period; any
 *     other certificate is refused, even one a CA vouches for.
 * When a check fails, dc_tls_verify_explain() says why in words: which
 * fingerprint was expected and which was seen, and what to do. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct dc_tls_verify dc_tls_verify;

/* @ca_file and @pin may be NULL, but not both set. Returns NULL with @error
 * set (G_OPTION_ERROR_BAD_VALUE) when the pin does not parse, the CA file
 * cannot be read as PEM certificates, or both are given. Copies both. */
dc_tls_verify *dc_tls_verify_new(const char *ca_file, const char *pin, GError **error);
void dc_tls_verify_free(dc_tls_verify *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_tls_verify, dc_tls_verify_free)

/* Sets @session's TLS database: the CA file, none (a pin: every
 * certificate goes through the pin check), or the system's. @v NULL: the
 * system's. Call before the session's first request. */
void dc_tls_verify_session(const dc_tls_verify *v, SoupSession *session);

/* Checks @msg's server certificate when the session's database does not
 * vouch for it (the pin), and remembers what was seen for explain. @v
 * borrowed: it must outlive @msg's request. @v NULL: remembers only. */
void dc_tls_verify_message(dc_tls_verify *v, SoupMessage *msg);

/* After @msg failed with @error: a message for people when the failure was
 * the server's certificate, e.g.
 *   "the certificate of 127.0.0.1 is not the pinned one: expected SHA-256
 *    AB:..., seen 12:..."
 * NULL when @error is not about the certificate. Free with g_free(). */
char *dc_tls_verify_explain(const dc_tls_verify *v, SoupMessage *msg, const GError *error);

G_END_DECLS
