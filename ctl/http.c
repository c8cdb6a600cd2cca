/* ctl/http: requests to the technician API. See http.h. */
#include "ctl/http.h"
#include "common/json.h"

#include <libsoup/soup.h>
#include <stdbool.h>
#include <string.h>

#define TIMEOUT_S 5

struct dc_ctl_client {
    SoupSession *session;
    char *server; /* without a trailing '/' */
    char *credential;
    dc_tls_verify *tls; /* borrowed */
};

dc_ctl_client *dc_ctl_client_new(const char *server, const char *credential, dc_tls_verify *tls)
{
    dc_ctl_client *c = g_new0(dc_ctl_client, 1);
    c->session = soup_session_new_with_options("timeout", TIMEOUT_S, "idle-timeout", 30,
                                               "user-agent", "diemcau-ctl", NULL);
    c->tls = tls;
    dc_tls_verify_session(tls, c->session);
    c->server = g_strdup(server);
    size_t n = strlen(c->server);
    while (n > 0 && c->server[n - 1] == '/') {
        c->server[--n] = '\0';
    }
    c->credential = g_strdup(credential);
    return c;
}

void dc_ctl_client_free(dc_ctl_client *c)
{
    if (!c) {
        return;
    }
    g_clear_object(&c->session);
    g_free(c->server);
    g_free(c->credential);
    g_free(c);
}

/* A short reason for a transport error, lower case. */
static const char *transport_reason(const GError *e)
{
    if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
        return "connection refused";
    }
    if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
        return "no answer within 5 s";
    }
    if (g_error_matches(e, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND)) {
        return "unknown host";
    }
    return NULL;
}

/* The "message" member of a JSON error body, if any. */
static char *error_message(GBytes *body)
{
    gsize len = 0;
    const char *data = body ? g_bytes_get_data(body, &len) : NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    if (!data || !dc_json_load(p, data, len, 0, NULL)) {
        return NULL;
    }
    JsonNode *root = json_parser_get_root(p);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        return NULL;
    }
    const char *m =
        json_object_get_string_member_with_default(json_node_get_object(root), "message", NULL);
    return g_strdup(m);
}

JsonNode *dc_ctl_get_json(dc_ctl_client *c, const char *path, char **text, int *exit_code,
                          GError **error)
{
    g_autofree char *url = g_strconcat(c->server, path, NULL);
    g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
    if (!msg) {
        *exit_code = DC_CTL_EXIT_USAGE;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s is not a valid server URL (e.g. http://127.0.0.1:8080)", c->server);
        return NULL;
    }
    dc_tls_verify_message(c->tls, msg);
    if (c->credential) {
        g_autofree char *auth = g_strdup_printf("Bearer %s", c->credential);
        soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", auth);
    }
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) body = soup_session_send_and_read(c->session, msg, NULL, &e);
    g_autofree char *cert = body ? NULL : dc_tls_verify_explain(c->tls, msg, e);
    if (cert) {
        *exit_code = DC_CTL_EXIT_TLS;
        g_set_error(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                    "refusing diemcau-signal at %s: %s", c->server, cert);
        return NULL;
    }
    if (!body) {
        const char *why = transport_reason(e);
        /* The usual look of the wrong scheme: a TLS port reading plain
         * HTTP resets, a plain port answering a TLS hello is not TLS. */
        bool plain = g_str_has_prefix(c->server, "http://");
        bool tls_error = e->domain == G_TLS_ERROR;
        const char *hint = plain && !why ? " (if the service serves HTTPS, use https://)"
                           : !plain && tls_error
                               ? " (if the service serves plain HTTP, use http://)"
                               : "";
        *exit_code = DC_CTL_EXIT_UNREACHABLE;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot reach diemcau-signal at %s: %s%s",
                    c->server, why ? why : e->message, hint);
        return NULL;
    }
    guint status = soup_message_get_status(msg);
    if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN) {
        g_autofree char *why = error_message(body);
        *exit_code = DC_CTL_EXIT_CREDENTIAL;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "credential refused by diemcau-signal at %s: %s%s", c->server,
                    why ? why : "unauthorized",
                    c->credential ? ""
                                  : " (give --credential, DIEMCAU_CREDENTIAL or "
                                    "--credential-file)");
        return NULL;
    }
    if (status == SOUP_STATUS_NOT_FOUND) {
        g_autofree char *why = error_message(body);
        *exit_code = DC_CTL_EXIT_NOT_FOUND;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: %s", path,
                    why ? why : "not found (is this diemcau-signal, and new enough?)");
        return NULL;
    }
    if (status != SOUP_STATUS_OK) {
        *exit_code = DC_CTL_EXIT_ERROR;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "diemcau-signal at %s answered %u %s",
                    c->server, status, soup_message_get_reason_phrase(msg));
        return NULL;
    }
    gsize len = 0;
    const char *data = g_bytes_get_data(body, &len);
    g_autoptr(JsonParser) p = json_parser_new();
    if (!dc_json_load(p, data, len, 0, &e)) {
        *exit_code = DC_CTL_EXIT_ERROR;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "diemcau-signal at %s sent JSON that does not parse: %s", c->server,
                    e->message);
        return NULL;
    }
    if (text) {
        *text = g_strndup(data ? data : "", len);
    }
    return json_node_ref(json_parser_get_root(p));
}
