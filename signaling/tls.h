/* signaling/tls: diemcau-signal's TLS certificate.
 *
 * With [signaling] tls giving HTTPS (common/tls.h, dc_tls_decide()), the
 * service loads the PEM certificate and key named by tls_certificate and
 * tls_key. When neither key is in the config and neither default file
 * (diemcau-signal.crt, diemcau-signal.key next to the config) exists yet,
 * it makes a self-signed pair first: an EC P-256 key (written with mode
 * 0600) and an X.509 v3 certificate valid for 825 days, for the listen
 * address, the machine's host name, localhost, 127.0.0.1 and ::1. Its
 * SHA-256 fingerprint is printed at every start, so that technicians can
 * pin it (diemcau-client and diemcau-ctl --pin). A certificate named in the
 * config is never made: a missing one is an error. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

G_BEGIN_DECLS

/* The subjectAltName entries of a self-signed certificate for a service
 * listening on @address: @address itself unless it is a wildcard (0.0.0.0,
 * ::), @hostname when it is a valid DNS name (may be NULL), "localhost",
 * "127.0.0.1" and "::1", each once. NULL-terminated; g_strfreev(). */
char **dc_signal_tls_names(const char *address, const char *hostname);

/* Makes a self-signed certificate for @names (IP literals and DNS names),
 * subject "O=diemcau, CN=@common_name", valid from an hour before @now_s
 * (Unix seconds) for 825 days, and writes it to @cert_path (PEM, mode 0644)
 * and its EC P-256 key to @key_path (PKCS#8 PEM, mode 0600), each through
 * a temporary file renamed into place. Returns false with @error set. */
bool dc_signal_tls_generate(const char *cert_path, const char *key_path, const char *common_name,
                            const char *const *names, int64_t now_s, GError **error);

/* The certificate of @cfg (tls_certificate with its tls_key), made first
 * when @cfg->tls_generate and both files are missing; *@generated tells.
 * Returns a new reference, or NULL with @error set naming the files. */
GTlsCertificate *dc_signal_tls_load(const dc_config *cfg, bool *generated, GError **error);

/* One line for the startup log, e.g.
 *   "TLS certificate /etc/dc/diemcau-signal.crt (self-signed, made now,
 *    valid until 2028-06-01), SHA-256 fingerprint AB:CD:..."
 * Free with g_free(). */
char *dc_signal_tls_describe(GTlsCertificate *cert, const char *path, bool generated);

G_END_DECLS
