/* signaling/http: static files, /api/roster, the technician API and the /ws
 * upgrade. See http.h. */
#define G_LOG_DOMAIN "dc-http"

#include "signaling/http.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/ws-server.h"
#include "signaling/session.h"

/* The web page is small; anything bigger is not ours to serve. */
#define MAX_FILE (32 * 1024 * 1024)
/* Technician requests waiting for their credential check, in all; more get
 * 503. Per address: [limits] max_technician_checks_per_address. */
#define MAX_TECH_PENDING 32

struct dc_http {
    SoupServer *server;
    dc_service *svc;
    char *web_root;
    GHashTable *pending; /* tech_request * (owned) */
    dc_http_metrics_fn metrics_extra;
    void *metrics_user;
};

/* A technician request paused while its credential is checked. */
typedef struct {
    dc_http *http;
    SoupServerMessage *msg; /* a reference */
    char *path;
    char *key; /* the peer's address key (dc_auth_address_key()) */
    dc_auth_job *job;
} tech_request;

const char *dc_http_mime_type(const char *filename)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".txt", "text/plain; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".wasm", "application/wasm"},
        {".wav", "audio/wav"},
        {".y4m", "application/octet-stream"},
    };
    const char *dot = strrchr(filename, '.');
    if (dot && !strchr(dot, '/')) {
        for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
            if (g_ascii_strcasecmp(dot, types[i].ext) == 0) {
                return types[i].type;
            }
        }
    }
    return "application/octet-stream";
}

char *dc_http_relative_path(const char *path)
{
    if (!path || path[0] != '/') {
        return NULL;
    }
    /* Rejects %2F and %5C (so segments cannot be smuggled) and %00. */
    g_autofree char *decoded = g_uri_unescape_string(path, "/\\");
    if (!decoded || strchr(decoded, '\\')) {
        return NULL;
    }
    g_auto(GStrv) parts = g_strsplit(decoded, "/", -1);
    g_autoptr(GString) out = g_string_new(NULL);
    for (int i = 0; parts[i]; i++) {
        if (parts[i][0] == '\0') {
            continue;
        }
        if (parts[i][0] == '.' || !g_utf8_validate(parts[i], -1, NULL)) {
            return NULL;
        }
        if (out->len) {
            g_string_append_c(out, '/');
        }
        g_string_append(out, parts[i]);
    }
    if (out->len == 0 || g_str_has_suffix(path, "/")) {
        g_string_append(out, out->len ? "/index.html" : "index.html");
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static void respond_text(SoupServerMessage *msg, guint status, const char *type, char *body)
{
    SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "Cache-Control", "no-cache");
    soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
    soup_server_message_set_status(msg, status, NULL);
    soup_server_message_set_response(msg, type, SOUP_MEMORY_TAKE, body, strlen(body));
}

static void not_found(SoupServerMessage *msg)
{
    respond_text(msg, SOUP_STATUS_NOT_FOUND, "text/plain; charset=utf-8", g_strdup("not found\n"));
}

static bool method_ok(SoupServerMessage *msg)
{
    const char *m = soup_server_message_get_method(msg);
    if (m == SOUP_METHOD_GET || m == SOUP_METHOD_HEAD) {
        return true;
    }
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                 "GET, HEAD");
    respond_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                 g_strdup("method not allowed\n"));
    return false;
}

/* The real path of @rel under @root, or NULL when it does not exist or
 * escapes the root (through a symbolic link). */
static char *resolve(const char *root, const char *rel)
{
    char root_real[PATH_MAX], file_real[PATH_MAX];
    if (!realpath(root, root_real)) {
        return NULL;
    }
    g_autofree char *full = g_build_filename(root_real, rel, NULL);
    if (g_file_test(full, G_FILE_TEST_IS_DIR)) {
        char *index = g_build_filename(full, "index.html", NULL);
        g_free(full);
        full = index;
    }
    if (!realpath(full, file_real)) {
        return NULL;
    }
    size_t n = strlen(root_real);
    if (strncmp(file_real, root_real, n) != 0 || file_real[n] != '/') {
        return NULL;
    }
    return g_strdup(file_real);
}

static void file_handler(SoupServer *server, SoupServerMessage *msg, const char *path,
                         GHashTable *query, gpointer data)
{
    dc_http *http = data;
    if (!method_ok(msg)) {
        return;
    }
    g_autofree char *rel = dc_http_relative_path(path);
    g_autofree char *file = rel ? resolve(http->web_root, rel) : NULL;
    char *body = NULL;
    gsize len = 0;
    if (!file || !g_file_test(file, G_FILE_TEST_IS_REGULAR) ||
        !g_file_get_contents(file, &body, &len, NULL)) {
        not_found(msg);
        return;
    }
    if (len > MAX_FILE) {
        g_free(body);
        not_found(msg);
        return;
    }
    SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "Cache-Control", "no-cache");
    soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
    soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response(msg, dc_http_mime_type(file), SOUP_MEMORY_TAKE, body, len);
}

/* The technician API's pages: /api/stats, /api/stats/SITE, /metrics. */
static void serve_technician(dc_http *http, SoupServerMessage *msg, const char *path)
{
    if (strcmp(path, "/metrics") == 0) {
        g_autofree char *text = dc_service_metrics_text(http->svc);
        g_autofree char *extra =
            http->metrics_extra ? http->metrics_extra(http->metrics_user) : NULL;
        respond_text(msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                     g_strconcat(text, extra, NULL));
        return;
    }
    const char *site = NULL;
    if (g_str_has_prefix(path, "/api/stats/")) {
        site = path + strlen("/api/stats/");
    }
    char *body = dc_service_stats_json(http->svc, site);
    if (!body) {
        respond_text(msg, SOUP_STATUS_NOT_FOUND, "application/json",
                     g_strdup("{\"error\":\"unknown-site\",\"message\":\"no site with this id "
                              "in this meeting\"}"));
        return;
    }
    respond_text(msg, SOUP_STATUS_OK, "application/json; charset=utf-8", body);
}

static void refuse_technician(SoupServerMessage *msg, const char *path, const char *why)
{
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "WWW-Authenticate",
                                 "Bearer realm=\"diemcau technician\"");
    g_message("technician API: %s from %s refused: %s", path,
              soup_server_message_get_remote_host(msg), why);
    respond_text(msg, SOUP_STATUS_UNAUTHORIZED, "application/json",
                 g_strdup_printf("{\"error\":\"unauthorized\",\"message\":\"%s\"}", why));
}

static void busy(SoupServerMessage *msg)
{
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After", "5");
    respond_text(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "application/json",
                 g_strdup("{\"error\":\"busy\",\"message\":\"too many credential checks "
                          "under way; try again in a few seconds\"}"));
}

static void tech_request_free(gpointer p)
{
    tech_request *r = p;
    g_object_unref(r->msg);
    g_free(r->path);
    g_free(r->key);
    g_free(r);
}

/* The answer of a check that had to wait (signaling/auth). */
static void tech_checked(void *user, bool ok)
{
    tech_request *r = user;
    g_hash_table_steal(r->http->pending, r);
    if (ok) {
        serve_technician(r->http, r->msg, r->path);
    } else {
        refuse_technician(r->msg, r->path, "wrong technician credential");
    }
    soup_server_message_unpause(r->msg);
    tech_request_free(r);
}

/* Technician requests from @key waiting for their check. */
static unsigned pending_from(dc_http *http, const char *key)
{
    unsigned n = 0;
    GHashTableIter it;
    gpointer p;
    g_hash_table_iter_init(&it, http->pending);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        n += strcmp(((tech_request *)p)->key, key) == 0;
    }
    return n;
}

/* The technician role: "Authorization: Bearer <technician credential>",
 * checked by signaling/auth (cached once right; slowed down per address
 * after wrong ones). With @open_on_loopback, a loopback peer needs none.
 * Serves @path when allowed, else answers 401 with a JSON error (503 when
 * too many checks are under way: MAX_TECH_PENDING in all, or [limits]
 * max_technician_checks_per_address from the peer's address; a token that
 * was right before skips both). The message may be paused meanwhile. */
static void technician(dc_http *http, SoupServerMessage *msg, const char *path,
                       bool open_on_loopback)
{
    if (open_on_loopback) {
        GSocketAddress *a = soup_server_message_get_remote_address(msg);
        if (a && G_IS_INET_SOCKET_ADDRESS(a) &&
            g_inet_address_get_is_loopback(
                g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(a)))) {
            serve_technician(http, msg, path);
            return;
        }
    }
    const dc_config *cfg = dc_service_config(http->svc);
    const char *auth =
        soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
    const char *given = auth && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : NULL;
    if (!cfg->technician_credential) {
        refuse_technician(msg, path,
                          "no technician credential is configured ([signaling] "
                          "technician_credential)");
        return;
    }
    if (!given || !*given) {
        refuse_technician(msg, path, "technician credential required (Authorization: Bearer ...)");
        return;
    }
    /* A token that was right before is answered at once, never queued
     * behind wrong ones (even from the address that sends them). */
    if (dc_auth_known(dc_service_auth(http->svc), cfg->technician_credential, given)) {
        serve_technician(http, msg, path);
        return;
    }
    g_autofree char *key = dc_auth_address_key(soup_server_message_get_remote_host(msg));
    if (g_hash_table_size(http->pending) >= MAX_TECH_PENDING ||
        pending_from(http, key) >= cfg->max_tech_checks_per_address) {
        busy(msg);
        return;
    }
    tech_request *r = g_new0(tech_request, 1);
    r->http = http;
    r->msg = g_object_ref(msg);
    r->path = g_strdup(path);
    r->key = g_steal_pointer(&key);
    switch (dc_auth_check(dc_service_auth(http->svc), cfg->technician_credential, given,
                          "technician", soup_server_message_get_remote_host(msg), tech_checked, r,
                          &r->job)) {
    case DC_AUTH_PENDING:
        soup_server_message_pause(msg);
        g_hash_table_add(http->pending, r);
        return;
    case DC_AUTH_OK:
        serve_technician(http, msg, path);
        break;
    case DC_AUTH_WRONG:
        refuse_technician(msg, path, "wrong technician credential");
        break;
    case DC_AUTH_BUSY:
        busy(msg);
        break;
    }
    tech_request_free(r);
}

static void metrics_handler(SoupServer *server, SoupServerMessage *msg, const char *path,
                            GHashTable *query, gpointer data)
{
    dc_http *http = data;
    if (method_ok(msg)) {
        technician(http, msg, "/metrics", dc_service_config(http->svc)->metrics_open);
    }
}

static void api_handler(SoupServer *server, SoupServerMessage *msg, const char *path,
                        GHashTable *query, gpointer data)
{
    dc_http *http = data;
    if (!method_ok(msg)) {
        return;
    }
    if (strcmp(path, "/api/stats") == 0 || g_str_has_prefix(path, "/api/stats/")) {
        technician(http, msg, path, false);
        return;
    }
    if (strcmp(path, "/api/roster") != 0) {
        respond_text(msg, SOUP_STATUS_NOT_FOUND, "application/json",
                     g_strdup("{\"error\":\"not found\"}"));
        return;
    }
    respond_text(msg, SOUP_STATUS_OK, "application/json", dc_service_roster_api_json(http->svc));
}

/* The session id of /ws?resume=ID (newly allocated), or NULL when there is
 * none or it cannot be one of ours (hex, at most 64 characters). */
static char *resume_param(SoupServerMessage *msg)
{
    const char *query = g_uri_get_query(soup_server_message_get_uri(msg));
    if (!query) {
        return NULL;
    }
    g_autoptr(GHashTable) params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL);
    const char *id = params ? g_hash_table_lookup(params, "resume") : NULL;
    size_t len = id ? strlen(id) : 0;
    if (len == 0 || len > 64) {
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isxdigit(id[i])) {
            return NULL;
        }
    }
    return g_strdup(id);
}

/* Browsers send Origin: a page may open /ws only when it was served by
 * this service (Origin names the Host it asked) or comes from a configured
 * [signaling] allowed_origins. Programs (the C client) send none. */
static const char *ws_check(SoupServerMessage *msg, gpointer data)
{
    dc_http *http = data;
    const char *origin = dc_ws_origin(msg);
    if (!origin || dc_ws_origin_is_same(msg)) {
        return NULL;
    }
    g_autofree char *lower = g_ascii_strdown(origin, -1);
    char **allowed = dc_service_config(http->svc)->allowed_origins;
    for (int i = 0; allowed[i]; i++) {
        if (strcmp(allowed[i], lower) == 0) {
            return NULL;
        }
    }
    g_autofree char *shown = dc_log_escape(origin, 128);
    g_message("refused a WebSocket from a page of %s: not this service's origin nor in "
              "[signaling] allowed_origins",
              shown);
    return "this page's origin may not join the meeting (see [signaling] allowed_origins)";
}

static void ws_accept(SoupServerMessage *msg, SoupWebsocketConnection *conn, gpointer data)
{
    dc_http *http = data;
    GSocketAddress *addr = soup_server_message_get_remote_address(msg);
    g_autofree char *peer =
        addr ? g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(addr)) : g_strdup("?");
    g_autofree char *resume = resume_param(msg);
    dc_service_accept(http->svc, conn, peer, soup_server_message_get_remote_host(msg), resume);
}

dc_http *dc_http_new(SoupServer *server, dc_service *svc, const char *web_root)
{
    dc_http *http = g_new0(dc_http, 1);
    http->server = server;
    http->svc = svc;
    http->web_root = g_strdup(web_root);
    http->pending = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (!g_file_test(web_root, G_FILE_TEST_IS_DIR)) {
        g_message("web_root %s does not exist (yet): / answers 404 until it does", web_root);
    }
    soup_server_add_handler(server, "/", file_handler, http, NULL);
    soup_server_add_handler(server, "/api", api_handler, http, NULL);
    soup_server_add_handler(server, "/metrics", metrics_handler, http, NULL);
    dc_ws_server_add(server, "/ws", DC_SESSION_MAX_MESSAGE, ws_check, ws_accept, http);
    return http;
}

void dc_http_set_metrics_extra(dc_http *http, dc_http_metrics_fn fn, void *user)
{
    http->metrics_extra = fn;
    http->metrics_user = user;
}

void dc_http_free(dc_http *http)
{
    if (!http) {
        return;
    }
    soup_server_remove_handler(http->server, "/ws");
    soup_server_remove_handler(http->server, "/metrics");
    soup_server_remove_handler(http->server, "/api");
    soup_server_remove_handler(http->server, "/");
    /* Requests still waiting for their check: answered "stopping". */
    GHashTableIter it;
    gpointer p;
    g_hash_table_iter_init(&it, http->pending);
    while (g_hash_table_iter_next(&it, &p, NULL)) {
        tech_request *r = p;
        dc_auth_cancel(dc_service_auth(http->svc), r->job);
        respond_text(r->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                     g_strdup("stopping\n"));
        soup_server_message_unpause(r->msg);
        tech_request_free(r);
    }
    g_hash_table_destroy(http->pending);
    g_free(http->web_root);
    g_free(http);
}
