/* ctl/credential: new credentials and credential files. See credential.h. */
#include "ctl/credential.h"

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <string.h>

#include "common/config.h"
#include "common/credential.h"
#include "ctl/http.h"

GOptionGroup *dc_ctl_credential_options(dc_ctl_credential_opts *o)
{
    GOptionEntry entries[] = {
        {"technician", 0, 0, G_OPTION_ARG_NONE, &o->technician,
         "credential: the technician API's credential instead of a site's", NULL},
        {"stdin", 0, 0, G_OPTION_ARG_NONE, &o->from_stdin,
         "credential: hash the secret read from standard input (one line) instead of making "
         "one",
         NULL},
        {"cost", 0, 0, G_OPTION_ARG_INT, &o->cost,
         "credential: scrypt's N, a power of two (default " G_STRINGIFY(DC_CREDENTIAL_N) ")", "N"},
        G_OPTION_ENTRY_NULL,
    };
    GOptionGroup *g = g_option_group_new("credential", "Options of the credential verb:",
                                         "Show the options of the credential verb", NULL, NULL);
    g_option_group_add_entries(g, entries);
    return g;
}

/* One line from @in without its line end; NULL at end of input. */
static char *read_secret(FILE *in)
{
    char buf[DC_CREDENTIAL_SECRET_MAX + 3];
    if (!fgets(buf, sizeof buf, in)) {
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    char *s = g_strdup(buf);
    OPENSSL_cleanse(buf, sizeof buf);
    return s;
}

static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        g_free(s);
    }
}

/* Checks the site id (and that @config_path has it); the site's name when
 * known, else an empty string. NULL with @error set on a bad id. */
static char *site_name(const char *site, const char *config_path, GError **error)
{
    size_t n = strlen(site);
    bool ok = n > 0 && n <= 32 && site[0] != '-' && site[n - 1] != '-';
    for (size_t i = 0; ok && i < n; i++) {
        ok = g_ascii_islower(site[i]) || g_ascii_isdigit(site[i]) || site[i] == '-';
    }
    if (!ok) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "“%s” is not a site id (1 to 32 of a-z, 0-9 and '-')", site);
        return NULL;
    }
    if (!config_path) {
        return g_strdup("");
    }
    g_autoptr(dc_config) cfg = dc_config_load(config_path, error);
    if (!cfg) {
        return NULL;
    }
    const dc_config_site *s = dc_config_find_site(cfg, site);
    if (!s) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s has no [site.%s]",
                    config_path, site);
        return NULL;
    }
    return g_strdup(s->name);
}

static void print_json(FILE *out, const char *site, const char *group, const char *line,
                       const char *secret)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "site");
    if (site) {
        json_builder_add_string_value(b, site);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_set_member_name(b, "group");
    json_builder_add_string_value(b, group);
    json_builder_set_member_name(b, "line");
    json_builder_add_string_value(b, line);
    if (secret) {
        json_builder_set_member_name(b, "secret");
        json_builder_add_string_value(b, secret);
    }
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) g = json_generator_new();
    json_generator_set_pretty(g, TRUE);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(g, root);
    g_autofree char *text = json_generator_to_data(g, NULL);
    fprintf(out, "%s\n", text);
    OPENSSL_cleanse(text, strlen(text));
}

int dc_ctl_credential_run(const dc_ctl_credential_opts *o, const char *site,
                          const char *config_path, bool json, FILE *in, FILE *out, FILE *err)
{
    if (!o->technician == !site) {
        fprintf(err, "diemcau-ctl: credential needs a SITE, or --technician (one of the two; "
                     "see --help-credential)\n");
        return DC_CTL_EXIT_USAGE;
    }
    uint64_t n = o->cost > 0 ? (uint64_t)o->cost : DC_CREDENTIAL_N;
    if (o->cost < 0 || n < DC_CREDENTIAL_N_MIN || n > DC_CREDENTIAL_N_MAX || (n & (n - 1)) != 0) {
        fprintf(err, "diemcau-ctl: --cost must be a power of two from %u to %u\n",
                DC_CREDENTIAL_N_MIN, DC_CREDENTIAL_N_MAX);
        return DC_CTL_EXIT_USAGE;
    }
    g_autoptr(GError) e = NULL;
    g_autofree char *name = site ? site_name(site, config_path, &e) : g_strdup("");
    if (!name) {
        fprintf(err, "diemcau-ctl: %s\n", e->message);
        return DC_CTL_EXIT_USAGE;
    }
    char *secret = o->from_stdin ? read_secret(in) : dc_credential_generate();
    if (!secret) {
        fprintf(err, o->from_stdin ? "diemcau-ctl: no secret on standard input\n"
                                   : "diemcau-ctl: the random generator failed\n");
        return o->from_stdin ? DC_CTL_EXIT_USAGE : DC_CTL_EXIT_ERROR;
    }
    g_autofree char *hash = dc_credential_hash(secret, n, &e);
    if (!hash) {
        fprintf(err, "diemcau-ctl: %s\n", e->message);
        wipe_free(secret);
        return o->from_stdin ? DC_CTL_EXIT_USAGE : DC_CTL_EXIT_ERROR;
    }
    g_autofree char *group = site ? g_strdup_printf("site.%s", site) : g_strdup("signaling");
    g_autofree char *line =
        g_strdup_printf("%s = %s", site ? "credential" : "technician_credential", hash);
    const char *shown = o->from_stdin ? NULL : secret; /* never echo a given secret */
    if (json) {
        print_json(out, site, group, line, shown);
    } else if (!shown) {
        fprintf(out, "%s\n", line);
    } else {
        const char *who = site ? site : "the technician API";
        fprintf(out,
                "New credential for %s%s%s%s.\n\n"
                "The secret, for %s over a trusted channel (shown only now,\n"
                "kept nowhere):\n\n"
                "    %s\n\n"
                "The line for [%s] of the deployment file (it replaces the %s\n"
                "line there; then restart diemcau-signal):\n\n"
                "%s\n",
                site ? "site " : "", who, *name ? " · " : "", name,
                site ? "the site's operator" : "the technicians", secret, group,
                site ? "credential" : "technician_credential", line);
    }
    wipe_free(secret);
    return DC_CTL_EXIT_OK;
}

char *dc_ctl_credential_file_technician(const char *path, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path, e->message);
        return NULL;
    }
    char *v = g_key_file_get_string(kf, "technician", "credential", NULL);
    if (!v || !dc_credential_secret_valid(g_strstrip(v))) {
        wipe_free(v);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "%s: no valid [technician] credential (8 to 128 printable ASCII characters)",
                    path);
        return NULL;
    }
    return v;
}
