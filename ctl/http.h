/* ctl/http: diemcau-ctl's requests to diemcau-signal's technician API
 * (GET /api/stats, /api/stats/SITE with "Authorization: Bearer CREDENTIAL").
 * Blocking, with a bounded timeout; one session reused by watch. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "common/tls-verify.h"

/* diemcau-ctl's exit codes (also in --help). */
typedef enum {
    DC_CTL_EXIT_OK = 0,
    DC_CTL_EXIT_ERROR = 1,       /* anything else (bad answer, I/O) */
    DC_CTL_EXIT_USAGE = 2,       /* bad arguments or config */
    DC_CTL_EXIT_UNREACHABLE = 3, /* the service is down or not answering */
    DC_CTL_EXIT_CREDENTIAL = 4,  /* the technician credential was refused */
    DC_CTL_EXIT_NOT_FOUND = 5,   /* no such site */
    DC_CTL_EXIT_TLS = 6,         /* the service's certificate was refused */
} dc_ctl_exit;

typedef struct dc_ctl_client dc_ctl_client;

/* @server: "http://HOST:PORT" or "https://HOST:PORT" (a trailing '/' is
 * fine). @credential may be NULL (then the service answers 401). On
 * https://, the certificate is checked as @tls says (NULL: the system's
 * CAs); @tls is borrowed and must outlive the client. Copies the strings. */
dc_ctl_client *dc_ctl_client_new(const char *server, const char *credential, dc_tls_verify *tls);
void dc_ctl_client_free(dc_ctl_client *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_ctl_client, dc_ctl_client_free)

/* GETs @path and returns the parsed JSON (free with json_node_unref()) and,
 * in @text when not NULL, the body as received. On failure returns NULL,
 * sets *@exit_code and @error with a message for people, e.g.
 * "cannot reach diemcau-signal at http://127.0.0.1:8080: connection refused",
 * or, with DC_CTL_EXIT_TLS, why the certificate was refused. */
JsonNode *dc_ctl_get_json(dc_ctl_client *c, const char *path, char **text, int *exit_code,
                          GError **error);
