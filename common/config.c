/* common/config: strict loading of the deployment file. See config.h.
 *
 * GKeyFile parses values, but it forgets line numbers and silently merges a
 * repeated group or key. So the text is first scanned line by line here: that
 * scan rejects what GKeyFile would accept silently (duplicates) and remembers
 * where every group and key is, so that every later error can name its line. */
#include "common/config.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(dc - config - error - quark, dc_config_error)

/* ------------------------------------------------------------------------ */
/* Line index                                                               */

typedef struct {
    char *group;
    char *key; /* NULL for the group header itself */
    int line;  /* 1-based */
} line_entry;

typedef struct {
    const char *name; /* file name for messages */
    GArray *lines;    /* of line_entry */
} load_ctx;

static void line_entry_clear(gpointer p)
{
    line_entry *e = p;
    g_free(e->group);
    g_free(e->key);
}

/* The line of [group] (key NULL) or of "key =" inside it; 0 when unknown. */
static int find_line(const load_ctx *c, const char *group, const char *key)
{
    for (guint i = 0; c->lines && i < c->lines->len; i++) {
        const line_entry *e = &g_array_index(c->lines, line_entry, i);
        if (g_strcmp0(e->group, group) == 0 && g_strcmp0(e->key, key) == 0) {
            return e->line;
        }
    }
    return 0;
}

/* Sets "FILE:LINE: [GROUP] KEY: MESSAGE"; LINE, GROUP and KEY only when known. */
G_GNUC_PRINTF(6, 7)
static void fail(GError **error, const load_ctx *c, int code, const char *group, const char *key,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    int line = group ? find_line(c, group, key) : 0;
    if (line == 0 && group && key) {
        line = find_line(c, group, NULL);
    }
    g_autoptr(GString) s = g_string_new(c->name);
    if (line > 0) {
        g_string_append_printf(s, ":%d", line);
    }
    g_string_append(s, ": ");
    if (group) {
        g_string_append_printf(s, "[%s]", group);
        if (key) {
            g_string_append_printf(s, " %s", key);
        }
        g_string_append(s, ": ");
    }
    g_string_append(s, what);
    g_set_error_literal(error, DC_CONFIG_ERROR, code, s->str);
}

/* Scans the text: every line is blank, a comment, a [group] header or a
 * key = value pair; no key before the first group; no group or key twice;
 * UTF-8 throughout. Fills c->lines. */
static bool scan_lines(load_ctx *c, const char *data, size_t len, GError **error)
{
    g_autofree char *text = g_strndup(data, len);
    if (strlen(text) != len) {
        g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX, "%s: contains a NUL byte",
                    c->name);
        return false;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    const char *group = NULL;
    for (int i = 0; lines[i]; i++) {
        int no = i + 1;
        char *l = g_strstrip(lines[i]);
        if (!g_utf8_validate(l, -1, NULL)) {
            g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX,
                        "%s:%d: line is not valid UTF-8", c->name, no);
            return false;
        }
        if (*l == '\0' || *l == '#') {
            continue;
        }
        line_entry e = {0};
        e.line = no;
        size_t ll = strlen(l);
        if (l[0] == '[') {
            if (l[ll - 1] != ']' || ll < 3) {
                g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX,
                            "%s:%d: “%s” is not a [group] header", c->name, no, l);
                return false;
            }
            e.group = g_strndup(l + 1, ll - 2);
            int first = find_line(c, e.group, NULL);
            if (first > 0) {
                g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX,
                            "%s:%d: [%s]: duplicate group (first at line %d)%s", c->name, no,
                            e.group, first,
                            g_str_has_prefix(e.group, "site.") ? ": duplicate site id" : "");
                g_free(e.group);
                return false;
            }
            g_array_append_val(c->lines, e);
            group = g_array_index(c->lines, line_entry, c->lines->len - 1).group;
            continue;
        }
        const char *eq = strchr(l, '=');
        if (!eq) {
            g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX,
                        "%s:%d: “%s” is not “key = value”, a [group] or a # comment", c->name, no,
                        l);
            return false;
        }
        if (!group) {
            g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX,
                        "%s:%d: key outside any group (the file must start with a [group])",
                        c->name, no);
            return false;
        }
        e.key = g_strstrip(g_strndup(l, (size_t)(eq - l)));
        e.group = g_strdup(group);
        if (*e.key == '\0') {
            g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX, "%s:%d: [%s]: empty key",
                        c->name, no, group);
            line_entry_clear(&e);
            return false;
        }
        int first = find_line(c, e.group, e.key);
        if (first > 0) {
            g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX,
                        "%s:%d: [%s] %s: duplicate key (first at line %d)", c->name, no, group,
                        e.key, first);
            line_entry_clear(&e);
            return false;
        }
        g_array_append_val(c->lines, e);
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Schema                                                                   */

static const char *const meeting_keys[] = {"id", "title", "lobby", NULL};
static const char *const signaling_keys[] = {
    "address",         "port", "web_root",        "technician_credential",
    "metrics_open",    "tls",  "tls_certificate", "tls_key",
    "allowed_origins", NULL};
static const char *const bridge_keys[] = {"control_address",
                                          "control_port",
                                          "udp_port_min",
                                          "udp_port_max",
                                          "workers",
                                          "local_addresses",
                                          "public_address",
                                          "control_secret_file",
                                          NULL};
static const char *const limits_keys[] = {"max_sites",
                                          "max_meetings",
                                          "max_pending_joins",
                                          "max_pending_joins_per_address",
                                          "join_timeout",
                                          "max_connections",
                                          "max_connections_per_address",
                                          "fd_reserve",
                                          "header_timeout",
                                          "max_technician_checks_per_address",
                                          NULL};
static const char *const record_keys[] = {"path", NULL};
static const char *const site_keys[] = {"name", "role", "credential", NULL};

static const char *const *keys_of_group(const char *group)
{
    if (strcmp(group, "meeting") == 0) {
        return meeting_keys;
    }
    if (strcmp(group, "signaling") == 0) {
        return signaling_keys;
    }
    if (strcmp(group, "bridge") == 0) {
        return bridge_keys;
    }
    if (strcmp(group, "limits") == 0) {
        return limits_keys;
    }
    if (strcmp(group, "record") == 0) {
        return record_keys;
    }
    if (g_str_has_prefix(group, "site.")) {
        return site_keys;
    }
    return NULL;
}

static bool check_known(GKeyFile *kf, load_ctx *c, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (int i = 0; groups[i]; i++) {
        const char *const *known = keys_of_group(groups[i]);
        if (!known) {
            fail(error, c, DC_CONFIG_ERROR_UNKNOWN, groups[i], NULL,
                 "unknown group (known: meeting, signaling, bridge, limits, record, site.<id>)");
            return false;
        }
        g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
        for (int k = 0; keys && keys[k]; k++) {
            if (!g_strv_contains(known, keys[k])) {
                g_autofree char *list = g_strjoinv(", ", (char **)known);
                fail(error, c, DC_CONFIG_ERROR_UNKNOWN, groups[i], keys[k],
                     "unknown key (known here: %s)", list);
                return false;
            }
        }
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Typed getters: each returns false with @error set on a bad value, and
 * leaves the default in *out when the key is absent.                       */

static bool get_string(GKeyFile *kf, load_ctx *c, const char *group, const char *key, bool required,
                       char **out, GError **error)
{
    if (!g_key_file_has_key(kf, group, key, NULL)) {
        if (required) {
            fail(error, c, DC_CONFIG_ERROR_MISSING, group, key, "required key is missing");
            return false;
        }
        return true;
    }
    g_autoptr(GError) e = NULL;
    char *v = g_key_file_get_string(kf, group, key, &e);
    if (!v) {
        fail(error, c, DC_CONFIG_ERROR_INVALID, group, key, "%s", e->message);
        return false;
    }
    g_strstrip(v);
    if (*v == '\0') {
        g_free(v);
        fail(error, c, DC_CONFIG_ERROR_INVALID, group, key, "empty value");
        return false;
    }
    g_free(*out);
    *out = v;
    return true;
}

static bool get_uint(GKeyFile *kf, load_ctx *c, const char *group, const char *key, guint64 min,
                     guint64 max, const char *what, guint64 *out, GError **error)
{
    g_autofree char *v = NULL;
    if (!get_string(kf, c, group, key, false, &v, error)) {
        return false;
    }
    if (!v) {
        return true;
    }
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(v, 10, min, max, &n, NULL)) {
        fail(error, c, DC_CONFIG_ERROR_INVALID, group, key,
             "“%s” is not %s (a whole number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ")",
             v, what, min, max);
        return false;
    }
    *out = n;
    return true;
}

static bool get_port(GKeyFile *kf, load_ctx *c, const char *group, const char *key, guint64 min,
                     uint16_t *out, GError **error)
{
    guint64 n = *out;
    if (!get_uint(kf, c, group, key, min, 65535, "a port number", &n, error)) {
        return false;
    }
    *out = (uint16_t)n;
    return true;
}

static bool get_bool(GKeyFile *kf, load_ctx *c, const char *group, const char *key, bool *out,
                     GError **error)
{
    g_autofree char *v = NULL;
    if (!get_string(kf, c, group, key, false, &v, error)) {
        return false;
    }
    if (!v) {
        return true;
    }
    if (strcmp(v, "true") == 0) {
        *out = true;
    } else if (strcmp(v, "false") == 0) {
        *out = false;
    } else {
        fail(error, c, DC_CONFIG_ERROR_INVALID, group, key, "“%s” is neither true nor false", v);
        return false;
    }
    return true;
}

static bool get_ip(GKeyFile *kf, load_ctx *c, const char *group, const char *key, char **out,
                   GError **error)
{
    g_autofree char *v = NULL;
    if (!get_string(kf, c, group, key, false, &v, error)) {
        return false;
    }
    if (!v) {
        return true;
    }
    if (!g_hostname_is_ip_address(v)) {
        fail(error, c, DC_CONFIG_ERROR_INVALID, group, key,
             "“%s” is not an IPv4 or IPv6 address literal", v);
        return false;
    }
    g_free(*out);
    *out = g_steal_pointer(&v);
    return true;
}

/* Ids: 1..max bytes of [a-z0-9-], neither starting nor ending with '-'. */
static bool valid_id(const char *id, size_t max)
{
    size_t n = strlen(id);
    if (n == 0 || n > max || id[0] == '-' || id[n - 1] == '-') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) {
            return false;
        }
    }
    return true;
}

/* A credential: a scrypt hash, or (deprecated) a plain secret; see
 * common/credential.h. Leaves *out NULL when the key is absent and not
 * required. */
static bool get_credential(GKeyFile *kf, load_ctx *c, const char *group, const char *key,
                           bool required, dc_credential **out, GError **error)
{
    g_autofree char *v = NULL;
    if (!get_string(kf, c, group, key, required, &v, error)) {
        return false;
    }
    if (!v) {
        return true;
    }
    g_autoptr(GError) e = NULL;
    *out = dc_credential_parse(v, &e);
    OPENSSL_cleanse(v, strlen(v));
    if (!*out) {
        fail(error, c, DC_CONFIG_ERROR_INVALID, group, key, "%s", e->message);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Groups                                                                   */

static bool load_meeting(GKeyFile *kf, load_ctx *c, dc_config *cfg, GError **error)
{
    if (!g_key_file_has_group(kf, "meeting")) {
        fail(error, c, DC_CONFIG_ERROR_MISSING, "meeting", NULL,
             "required group is missing (it needs at least id = ...)");
        return false;
    }
    if (!get_string(kf, c, "meeting", "id", true, &cfg->meeting_id, error) ||
        !get_string(kf, c, "meeting", "title", false, &cfg->meeting_title, error) ||
        !get_bool(kf, c, "meeting", "lobby", &cfg->lobby, error)) {
        return false;
    }
    if (!valid_id(cfg->meeting_id, 64)) {
        fail(error, c, DC_CONFIG_ERROR_INVALID, "meeting", "id",
             "“%s” is not a valid id (1 to 64 of a-z, 0-9 and '-')", cfg->meeting_id);
        return false;
    }
    if (!cfg->meeting_title) {
        cfg->meeting_title = g_strdup(cfg->meeting_id);
    }
    return true;
}

/* A list of web origins separated by spaces or commas, each
 * http(s)://host[:port] with nothing after it; normalised to lower case
 * without a default port, as browsers send them. */
static bool get_origins(GKeyFile *kf, load_ctx *c, const char *group, const char *key, char ***out,
                        GError **error)
{
    g_autofree char *v = NULL;
    if (!get_string(kf, c, group, key, false, &v, error)) {
        return false;
    }
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) parts = g_strsplit_set(v ? v : "", " ,\t", -1);
    for (int i = 0; parts[i]; i++) {
        if (!*parts[i]) {
            continue;
        }
        g_autoptr(GUri) u = g_uri_parse(parts[i], G_URI_FLAGS_NONE, NULL);
        const char *scheme = u ? g_uri_get_scheme(u) : NULL;
        bool https = scheme && g_ascii_strcasecmp(scheme, "https") == 0;
        if (!u || !(https || g_ascii_strcasecmp(scheme, "http") == 0) || !g_uri_get_host(u) ||
            !*g_uri_get_host(u) || (*g_uri_get_path(u) && strcmp(g_uri_get_path(u), "/")) ||
            g_uri_get_query(u) || g_uri_get_fragment(u) || g_uri_get_userinfo(u)) {
            fail(error, c, DC_CONFIG_ERROR_INVALID, group, key,
                 "“%s” is not an origin like https://hoinghi.hatinh:8080", parts[i]);
            return false;
        }
        int port = g_uri_get_port(u);
        const char *host = g_uri_get_host(u);
        bool v6 = strchr(host, ':') != NULL;
        g_autofree char *h = g_ascii_strdown(host, -1);
        g_autofree char *base =
            g_strdup_printf(v6 ? "%s://[%s]" : "%s://%s", https ? "https" : "http", h);
        if (port < 0 || port == (https ? 443 : 80)) {
            g_ptr_array_add(list, g_steal_pointer(&base));
        } else {
            g_ptr_array_add(list, g_strdup_printf("%s:%d", base, port));
        }
    }
    g_ptr_array_add(list, NULL);
    g_strfreev(*out);
    *out = (char **)g_ptr_array_free(g_steal_pointer(&list), FALSE);
    return true;
}

static bool load_signaling(GKeyFile *kf, load_ctx *c, dc_config *cfg, const char *base_dir,
                           GError **error)
{
    g_autofree char *web = g_strdup("../web");
    if (!get_ip(kf, c, "signaling", "address", &cfg->signal_address, error) ||
        !get_port(kf, c, "signaling", "port", 0, &cfg->signal_port, error) ||
        !get_string(kf, c, "signaling", "web_root", false, &web, error) ||
        !get_credential(kf, c, "signaling", "technician_credential", false,
                        &cfg->technician_credential, error) ||
        !get_bool(kf, c, "signaling", "metrics_open", &cfg->metrics_open, error) ||
        !get_origins(kf, c, "signaling", "allowed_origins", &cfg->allowed_origins, error)) {
        return false;
    }
    cfg->web_root = g_canonicalize_filename(web, base_dir);
    return true;
}

/* [signaling] tls, tls_certificate, tls_key. The two paths are resolved
 * against the file's folder; both or neither: with neither, the defaults
 * next to the file are used and may be generated (tls_generate). */
static bool load_signaling_tls(GKeyFile *kf, load_ctx *c, dc_config *cfg, const char *base_dir,
                               GError **error)
{
    const char *g = "signaling";
    g_autofree char *mode = NULL, *cert = NULL, *key = NULL;
    if (!get_string(kf, c, g, "tls", false, &mode, error) ||
        !get_string(kf, c, g, "tls_certificate", false, &cert, error) ||
        !get_string(kf, c, g, "tls_key", false, &key, error)) {
        return false;
    }
    static const char *const modes[] = {
        [DC_TLS_AUTO] = "auto", [DC_TLS_ON] = "on", [DC_TLS_OFF] = "off"};
    if (mode) {
        size_t i = 0;
        while (i < G_N_ELEMENTS(modes) && strcmp(mode, modes[i]) != 0) {
            i++;
        }
        if (i == G_N_ELEMENTS(modes)) {
            fail(error, c, DC_CONFIG_ERROR_INVALID, g, "tls", "“%s” is not auto, on or off", mode);
            return false;
        }
        cfg->tls = (dc_tls_mode)i;
    }
    if ((cert == NULL) != (key == NULL)) {
        fail(error, c, DC_CONFIG_ERROR_MISSING, g, cert ? "tls_certificate" : "tls_key",
             "set with %s: give both tls_certificate and tls_key, or neither (then a "
             "self-signed pair is made next to this file)",
             cert ? "no tls_key" : "no tls_certificate");
        return false;
    }
    cfg->tls_generate = cert == NULL;
    cfg->tls_certificate = g_canonicalize_filename(cert ? cert : "diemcau-signal.crt", base_dir);
    cfg->tls_key = g_canonicalize_filename(key ? key : "diemcau-signal.key", base_dir);
    return true;
}

static bool load_bridge(GKeyFile *kf, load_ctx *c, dc_config *cfg, const char *base_dir,
                        GError **error)
{
    const char *g = "bridge";
    guint64 workers = cfg->workers;
    /* The control link's secret (common/control-auth.h), next to the file
     * unless named, as the TLS certificate is. */
    g_autofree char *secret = g_strdup("diemcau-control.secret");
    if (!get_string(kf, c, g, "control_secret_file", false, &secret, error)) {
        return false;
    }
    cfg->control_secret_file = g_canonicalize_filename(secret, base_dir);
    if (!get_ip(kf, c, g, "control_address", &cfg->bridge_address, error) ||
        !get_port(kf, c, g, "control_port", 1, &cfg->bridge_port, error) ||
        !get_port(kf, c, g, "udp_port_min", 1, &cfg->udp_port_min, error) ||
        !get_port(kf, c, g, "udp_port_max", 1, &cfg->udp_port_max, error) ||
        !get_uint(kf, c, g, "workers", 1, 64, "a worker count", &workers, error) ||
        !get_ip(kf, c, g, "public_address", &cfg->public_address, error)) {
        return false;
    }
    cfg->workers = (unsigned)workers;
    if (cfg->udp_port_max < cfg->udp_port_min) {
        fail(error, c, DC_CONFIG_ERROR_INVALID, g, "udp_port_max", "%u is below udp_port_min (%u)",
             cfg->udp_port_max, cfg->udp_port_min);
        return false;
    }
    if (g_key_file_has_key(kf, g, "local_addresses", NULL)) {
        g_autoptr(GError) e = NULL;
        gsize n = 0;
        g_auto(GStrv) list = g_key_file_get_string_list(kf, g, "local_addresses", &n, &e);
        if (!list) {
            fail(error, c, DC_CONFIG_ERROR_INVALID, g, "local_addresses", "%s", e->message);
            return false;
        }
        GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
        for (gsize i = 0; i < n; i++) {
            char *a = g_strstrip(list[i]);
            if (*a == '\0') {
                continue;
            }
            if (!g_hostname_is_ip_address(a)) {
                fail(error, c, DC_CONFIG_ERROR_INVALID, g, "local_addresses",
                     "“%s” is not an IPv4 or IPv6 address literal", a);
                g_ptr_array_free(out, TRUE);
                return false;
            }
            g_ptr_array_add(out, g_strdup(a));
        }
        g_ptr_array_add(out, NULL);
        g_strfreev(cfg->local_addresses);
        cfg->local_addresses = (char **)g_ptr_array_free(out, FALSE);
    }
    return true;
}

/* [record] path: the meeting record (SQLite), relative to the file's folder. */
static bool load_record(GKeyFile *kf, load_ctx *c, dc_config *cfg, const char *base_dir,
                        GError **error)
{
    g_autofree char *path = g_strdup("diemcau.db");
    if (!get_string(kf, c, "record", "path", false, &path, error)) {
        return false;
    }
    cfg->record_path = g_canonicalize_filename(path, base_dir);
    return true;
}

/* [limits]: diemcau-signal's connection limits (signaling/conn-guard.h,
 * signaling/service.h, signaling/http.c). */
static bool load_signal_limits(GKeyFile *kf, load_ctx *c, dc_config *cfg, GError **error)
{
    static const struct {
        const char *key;
        guint64 min, max;
        const char *what;
        size_t offset;
    } keys[] = {
        {"max_pending_joins_per_address", 1, 10000, "a connection count",
         G_STRUCT_OFFSET(dc_config, max_pending_joins_per_address)},
        {"join_timeout", 1, 3600, "a number of seconds",
         G_STRUCT_OFFSET(dc_config, join_timeout_s)},
        {"max_connections", 1, 1000000, "a connection count",
         G_STRUCT_OFFSET(dc_config, max_connections)},
        {"max_connections_per_address", 1, 1000000, "a connection count",
         G_STRUCT_OFFSET(dc_config, max_connections_per_address)},
        {"fd_reserve", 0, 100000, "a file descriptor count",
         G_STRUCT_OFFSET(dc_config, fd_reserve)},
        {"header_timeout", 1, 3600, "a number of seconds",
         G_STRUCT_OFFSET(dc_config, header_timeout_s)},
        {"max_technician_checks_per_address", 1, 10000, "a request count",
         G_STRUCT_OFFSET(dc_config, max_tech_checks_per_address)},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        unsigned *field = G_STRUCT_MEMBER_P(cfg, keys[i].offset);
        guint64 n = *field;
        if (!get_uint(kf, c, "limits", keys[i].key, keys[i].min, keys[i].max, keys[i].what, &n,
                      error)) {
            return false;
        }
        *field = (unsigned)n;
    }
    return true;
}

static bool load_limits(GKeyFile *kf, load_ctx *c, dc_config *cfg, GError **error)
{
    guint64 n = cfg->max_sites;
    if (!get_uint(kf, c, "limits", "max_sites", 1, 1000, "a site count", &n, error)) {
        return false;
    }
    cfg->max_sites = (unsigned)n;
    guint64 mm = cfg->max_meetings, pj = cfg->max_pending_joins;
    if (!get_uint(kf, c, "limits", "max_meetings", 1, 10000, "a meeting count", &mm, error) ||
        !get_uint(kf, c, "limits", "max_pending_joins", 1, 10000, "a connection count", &pj,
                  error)) {
        return false;
    }
    cfg->max_meetings = (unsigned)mm;
    cfg->max_pending_joins = (unsigned)pj;
    return load_signal_limits(kf, c, cfg, error);
}

static bool load_site(GKeyFile *kf, load_ctx *c, const char *group, dc_config_site *s,
                      GError **error)
{
    const char *id = group + strlen("site.");
    if (!valid_id(id, 32)) {
        fail(error, c, DC_CONFIG_ERROR_INVALID, group, NULL,
             "“%s” is not a valid site id (1 to 32 of a-z, 0-9 and '-')", id);
        return false;
    }
    s->id = g_strdup(id);
    g_autofree char *role = NULL;
    if (!get_string(kf, c, group, "name", true, &s->name, error) ||
        !get_string(kf, c, group, "role", true, &role, error) ||
        !get_credential(kf, c, group, "credential", true, &s->credential, error)) {
        return false;
    }
    if (!dc_config_role_parse(role, &s->role)) {
        fail(error, c, DC_CONFIG_ERROR_INVALID, group, "role",
             "unknown role “%s” (chair, district or observer)", role);
        return false;
    }
    return true;
}

/* The per-address limits the file did not set (0) follow the meeting's
 * size: all its sites may sit behind one address (a NAT, or loopback in
 * tests) and connect at once. */
static void size_default_limits(dc_config *cfg)
{
    if (cfg->max_pending_joins_per_address == 0) {
        cfg->max_pending_joins_per_address = MAX(8u, (unsigned)cfg->n_sites);
    }
    if (cfg->max_connections_per_address == 0) {
        cfg->max_connections_per_address = MAX(64u, 4u * (unsigned)cfg->n_sites);
    }
}

static bool load_sites(GKeyFile *kf, load_ctx *c, dc_config *cfg, GError **error)
{
    gsize n_groups = 0;
    g_auto(GStrv) groups = g_key_file_get_groups(kf, &n_groups);
    cfg->sites = g_new0(dc_config_site, n_groups + 1);
    const char *chair = NULL;
    for (gsize i = 0; i < n_groups; i++) {
        if (!g_str_has_prefix(groups[i], "site.")) {
            continue;
        }
        dc_config_site *s = &cfg->sites[cfg->n_sites++];
        if (!load_site(kf, c, groups[i], s, error)) {
            return false;
        }
        if (s->role == DC_ROLE_CHAIR) {
            if (chair) {
                fail(error, c, DC_CONFIG_ERROR_INVALID, groups[i], "role",
                     "a second chair (the chair is already site.%s); a meeting has exactly one",
                     chair);
                return false;
            }
            chair = s->id;
        }
    }
    if (cfg->n_sites == 0) {
        fail(error, c, DC_CONFIG_ERROR_MISSING, NULL, NULL,
             "no [site.<id>] group: a meeting needs at least its chair");
        return false;
    }
    if (!chair) {
        fail(error, c, DC_CONFIG_ERROR_MISSING, NULL, NULL,
             "missing chair: exactly one [site.<id>] must have role = chair");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Public                                                                   */

dc_config *dc_config_load_data(const char *data, size_t len, const char *name, const char *base_dir,
                               GError **error)
{
    g_return_val_if_fail(data != NULL && name != NULL, NULL);
    load_ctx c = {.name = name, .lines = g_array_new(FALSE, TRUE, sizeof(line_entry))};
    g_array_set_clear_func(c.lines, line_entry_clear);

    g_autoptr(dc_config) cfg = g_new0(dc_config, 1);
    cfg->path = g_strdup(name);
    cfg->signal_address = g_strdup("127.0.0.1");
    cfg->signal_port = 8080;
    cfg->bridge_address = g_strdup("127.0.0.1");
    cfg->bridge_port = 7400;
    cfg->udp_port_min = 40000;
    cfg->udp_port_max = 40999;
    cfg->workers = 2;
    cfg->local_addresses = g_new0(char *, 1);
    cfg->allowed_origins = g_new0(char *, 1);
    cfg->max_sites = 14;
    cfg->max_meetings = 64;
    cfg->max_pending_joins = 32;
    cfg->max_pending_joins_per_address = 0; /* size_default_limits() */
    cfg->join_timeout_s = 10;
    cfg->max_connections = 4096;
    cfg->max_connections_per_address = 0; /* size_default_limits() */
    cfg->fd_reserve = 64;
    cfg->header_timeout_s = 10;
    cfg->max_tech_checks_per_address = 8;

    g_autofree char *cwd = base_dir ? NULL : g_get_current_dir();
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    bool ok = scan_lines(&c, data, len, error);
    if (ok && !g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &e)) {
        g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_SYNTAX, "%s: %s", name, e->message);
        ok = false;
    }
    ok = ok && check_known(kf, &c, error) && load_meeting(kf, &c, cfg, error) &&
         load_signaling(kf, &c, cfg, base_dir ? base_dir : cwd, error) &&
         load_signaling_tls(kf, &c, cfg, base_dir ? base_dir : cwd, error) &&
         load_bridge(kf, &c, cfg, base_dir ? base_dir : cwd, error) &&
         load_limits(kf, &c, cfg, error) &&
         load_record(kf, &c, cfg, base_dir ? base_dir : cwd, error) &&
         load_sites(kf, &c, cfg, error);
    if (ok) {
        size_default_limits(cfg);
    }
    g_array_free(c.lines, TRUE);
    return ok ? g_steal_pointer(&cfg) : NULL;
}

dc_config *dc_config_load(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) e = NULL;
    if (!g_file_get_contents(path, &data, &len, &e)) {
        g_set_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_IO, "%s", e->message);
        return NULL;
    }
    g_autofree char *abs = g_canonicalize_filename(path, NULL);
    g_autofree char *dir = g_path_get_dirname(abs);
    return dc_config_load_data(data, len, path, dir, error);
}

void dc_config_free(dc_config *config)
{
    if (!config) {
        return;
    }
    for (size_t i = 0; i < config->n_sites; i++) {
        g_free(config->sites[i].id);
        g_free(config->sites[i].name);
        dc_credential_free(config->sites[i].credential);
    }
    /* A site that failed half way is counted but may hold partial strings:
     * the loop above frees those too (g_free(NULL) is fine). */
    g_free(config->sites);
    g_free(config->path);
    g_free(config->meeting_id);
    g_free(config->meeting_title);
    g_free(config->signal_address);
    dc_credential_free(config->technician_credential);
    g_free(config->web_root);
    g_free(config->tls_certificate);
    g_free(config->tls_key);
    g_free(config->record_path);
    g_free(config->bridge_address);
    g_free(config->control_secret_file);
    g_strfreev(config->local_addresses);
    g_strfreev(config->allowed_origins);
    g_free(config->public_address);
    g_free(config);
}

const dc_config_site *dc_config_find_site(const dc_config *config, const char *id)
{
    if (!config || !id) {
        return NULL;
    }
    for (size_t i = 0; i < config->n_sites; i++) {
        if (strcmp(config->sites[i].id, id) == 0) {
            return &config->sites[i];
        }
    }
    return NULL;
}

const dc_config_site *dc_config_chair(const dc_config *config)
{
    for (size_t i = 0; config && i < config->n_sites; i++) {
        if (config->sites[i].role == DC_ROLE_CHAIR) {
            return &config->sites[i];
        }
    }
    return NULL;
}

const char *dc_config_role_name(dc_role role)
{
    switch (role) {
    case DC_ROLE_CHAIR:
        return "chair";
    case DC_ROLE_DISTRICT:
        return "district";
    case DC_ROLE_OBSERVER:
        return "observer";
    }
    return "unknown";
}

bool dc_config_role_parse(const char *name, dc_role *role)
{
    static const dc_role all[] = {DC_ROLE_CHAIR, DC_ROLE_DISTRICT, DC_ROLE_OBSERVER};
    for (size_t i = 0; name && i < G_N_ELEMENTS(all); i++) {
        if (strcmp(name, dc_config_role_name(all[i])) == 0) {
            *role = all[i];
            return true;
        }
    }
    return false;
}

char **dc_config_plain_credentials(const dc_config *config)
{
    GPtrArray *out = g_ptr_array_new();
    if (dc_credential_plain(config->technician_credential)) {
        g_ptr_array_add(out, g_strdup("[signaling] technician_credential"));
    }
    for (size_t i = 0; i < config->n_sites; i++) {
        if (dc_credential_plain(config->sites[i].credential)) {
            g_ptr_array_add(out, g_strdup_printf("[site.%s] credential", config->sites[i].id));
        }
    }
    if (out->len == 0) {
        g_ptr_array_free(out, TRUE);
        return NULL;
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}
