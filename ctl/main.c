/* diemcau-ctl: the technician's command-line view of a meeting's links.
 *
 *   diemcau-ctl [--server URL] [--credential C | --credential-file FILE]
 *               [--config FILE] [--json] VERB
 *     status      one row per site: state, bitrate, loss both ways, jitter,
 *                 RTT, frame rate, resolution, score; problems marked '!'
 *     watch       the same, refreshed every second, with sparklines
 *     site ID     everything known about one site's link
 *     roster      who is present, waiting, muted, has a hand up or the floor
 *     report [MEETING] [--db FILE] [--html FILE]
 *                 a meeting's record: attendance, the floor, incidents,
 *                 timeline (text, --json, or an HTML page with a plot)
 *     credential SITE | --technician
 *                 a new credential: the secret, and the hashed line for the
 *                 deployment file (ctl/credential.c)
 *     doctor      checks of the installation (ctl/doctor.c)
 *     backup OUT.db | restore IN.db
 *                 the meeting record copied while the service runs, and put
 *                 back while it is stopped (ctl/backup.c)
 *
 * Reads diemcau-signal's technician API (docs/protocol.md, "Technician
 * API"). Small files by concern: http.c (requests), table.c (text, pure),
 * sparkline.c, watch.c (the terminal). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/tls.h"
#include "ctl/backup.h"
#include "ctl/credential.h"
#include "ctl/doctor.h"
#include "ctl/http.h"
#include "ctl/report.h"
#include "ctl/roster.h"
#include "ctl/table.h"
#include "ctl/watch.h"

#define DEFAULT_SERVER "http://127.0.0.1:8080"

static const char description[] =
    "Verbs:\n"
    "  status      one row per site: state (ST), bitrate up/down, loss both ways,\n"
    "              jitter, RTT, camera fps and resolution, score (SC, 0-100);\n"
    "              '!' (red on a terminal) marks a problem: loss > 2 %, jitter > 30 ms,\n"
    "              RTT > 150 ms, fps < 10, score <= 40, no media, not connected\n"
    "  watch       the status table refreshed every second, with sparklines of\n"
    "              each site's loss and bitrate over the last minute (q quits)\n"
    "  site ID     everything known about one site's link: both directions,\n"
    "              audio and video, ICE pair, DTLS state, score, MOS\n"
    "  roster      the chair's view: present, lobby, muted (by the chair or the\n"
    "              site), hands raised in order, the floor (no credential needed)\n"
    "  report [MEETING]\n"
    "              a meeting's record (default: the newest) from the SQLite file\n"
    "              (--db FILE, else [record] path of --config FILE, else\n"
    "              ./diemcau.db): attendance, the floor, incidents, timeline;\n"
    "              --json; --html FILE writes a page with a plot of each site's\n"
    "              link quality over the meeting\n"
    "  credential SITE | credential --technician\n"
    "              a new credential: prints a random secret once, for the site\n"
    "              (or the technicians), and the line with its salted hash for\n"
    "              the deployment file; --stdin hashes a given secret instead\n"
    "              (see --help-credential and README, \"Credentials\")\n"
    "  doctor      checks the installation of --config FILE (default\n"
    "              " DC_DEFAULT_CONFIG "): the config loads, the certificate\n"
    "              is valid for 30 days more, the bridge's control link listens,\n"
    "              the UDP range is free, the clock, the page, the record's\n"
    "              integrity; one line each (ok, warn, fail) with what to do;\n"
    "              --json; exit status 1 when any check fails\n"
    "  backup OUT.db\n"
    "              copies the meeting record (--db FILE, else [record] path of\n"
    "              --config FILE) into a new file OUT.db, consistent while\n"
    "              diemcau-signal runs (SQLite online backup)\n"
    "  restore IN.db\n"
    "              puts a backup back as the meeting record; refused while\n"
    "              diemcau-signal of --config FILE answers: stop it first\n"
    "\n"
    "Up (↑) is site → bridge, down (↓) bridge → site.\n"
    "\n"
    "Server and credential: --server, else http[s]://[signaling] address:port of\n"
    "--config FILE (https unless the service serves plain HTTP there), else\n" DEFAULT_SERVER
    ". --credential, else $DIEMCAU_CREDENTIAL, else [technician] credential of\n"
    "--credential-file FILE (e.g. the demo file config/hatinh-demo-credentials.ini),\n"
    "else [signaling] technician_credential of --config FILE if that file keeps it\n"
    "in plain text (deprecated).\n"
    "\n"
    "Certificate (https://): --pin SHA256 accepts only the certificate with that\n"
    "fingerprint (diemcau-signal prints it at startup); --ca-file FILE trusts the\n"
    "CA certificates in FILE instead of the system's. With neither, --config FILE\n"
    "pins the certificate file its [signaling] tls_certificate names, when it is\n"
    "readable here; else the system's CAs decide.\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  other error (a bad answer from the service)\n"
    "  2  usage error (bad arguments or config file)\n"
    "  3  cannot reach diemcau-signal (down, wrong URL, no answer in 5 s)\n"
    "  4  credential refused by diemcau-signal\n"
    "  5  no such site\n"
    "  6  the service's certificate was refused (see Certificate above)\n";

typedef struct {
    char *server, *credential, *config, *credential_file;
    char *ca_file, *pin;
    char *db, *html; /* report */
    gboolean json, no_colour;
} options;

static void options_clear(options *o)
{
    g_free(o->server);
    g_free(o->credential);
    g_free(o->config);
    g_free(o->ca_file);
    g_free(o->pin);
    g_free(o->credential_file);
    g_free(o->db);
    g_free(o->html);
}

/* Fills server and credential from --config where the options left them. */
static bool apply_config(options *o, GError **error)
{
    if (!o->config) {
        return true;
    }
    g_autoptr(dc_config) cfg = dc_config_load(o->config, error);
    if (!cfg) {
        return false;
    }
    if (!o->server) {
        const char *a = cfg->signal_address;
        if (strcmp(a, "0.0.0.0") == 0) {
            a = "127.0.0.1";
        } else if (strcmp(a, "::") == 0) {
            a = "::1";
        }
        bool v6 = strchr(a, ':') != NULL;
        o->server = g_strdup_printf("%s://%s%s%s:%u", dc_tls_scheme(cfg), v6 ? "[" : "", a,
                                    v6 ? "]" : "", cfg->signal_port);
    }
    if (!o->pin && !o->ca_file && g_str_has_prefix(o->server, "https://") &&
        g_file_test(cfg->tls_certificate, G_FILE_TEST_EXISTS)) {
        /* The technician is on the service's machine (or has its
         * certificate): pin exactly that certificate. */
        o->pin = dc_tls_file_fingerprint(cfg->tls_certificate, error);
        if (!o->pin) {
            return false;
        }
    }
    if (!o->credential && dc_credential_plain(cfg->technician_credential)) {
        o->credential = g_strdup(dc_credential_plain(cfg->technician_credential));
    }
    if (!o->db && cfg->record_path) {
        o->db = g_strdup(cfg->record_path);
    }
    return true;
}

static void print_json(JsonNode *root);
static int fail(const char *message, int code);

static int do_doctor(const options *o)
{
    g_autoptr(GPtrArray) results = dc_ctl_doctor_check(o->config ? o->config : DC_DEFAULT_CONFIG);
    if (o->json) {
        g_autoptr(JsonNode) root = dc_ctl_doctor_json(results);
        print_json(root);
    } else {
        g_autofree char *text = dc_ctl_doctor_format(results);
        fputs(text, stdout);
    }
    return dc_ctl_doctor_failed(results) ? DC_CTL_EXIT_ERROR : DC_CTL_EXIT_OK;
}

/* backup OUT / restore IN: the record of --db, else of --config. */
static int do_backup(const options *o, bool restore, const char *file)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(dc_config) cfg = o->config ? dc_config_load(o->config, &e) : NULL;
    if (o->config && !cfg) {
        return fail(e->message, DC_CTL_EXIT_USAGE);
    }
    const char *db = o->db ? o->db : cfg ? cfg->record_path : NULL;
    if (!db) {
        return fail("which record? give --config FILE or --db FILE", DC_CTL_EXIT_USAGE);
    }
    if (restore && cfg && dc_ctl_doctor_tcp_answers(cfg->signal_address, cfg->signal_port)) {
        return fail("diemcau-signal is running (it answers on its port): stop it first "
                    "(systemctl stop diemcau-signal), then restore",
                    DC_CTL_EXIT_ERROR);
    }
    bool ok = restore ? dc_ctl_restore(file, db, &e) : dc_ctl_backup(db, file, &e);
    if (!ok) {
        return fail(e->message, DC_CTL_EXIT_ERROR);
    }
    printf("%s %s to %s\n", restore ? "restored" : "backed up", restore ? file : db,
           restore ? db : file);
    return DC_CTL_EXIT_OK;
}

static void print_json(JsonNode *root)
{
    g_autoptr(JsonGenerator) g = json_generator_new();
    json_generator_set_pretty(g, TRUE);
    json_generator_set_indent(g, 2);
    json_generator_set_root(g, root);
    g_autofree char *text = json_generator_to_data(g, NULL);
    printf("%s\n", text);
}

static int fail(const char *message, int code)
{
    fprintf(stderr, "diemcau-ctl: %s\n", message);
    return code;
}

static int do_status(dc_ctl_client *c, const options *o, bool colour)
{
    int code = 0;
    g_autoptr(GError) e = NULL;
    g_autoptr(JsonNode) root = dc_ctl_get_json(c, "/api/stats", NULL, &code, &e);
    if (!root) {
        return fail(e->message, code);
    }
    if (o->json) {
        print_json(root);
        return DC_CTL_EXIT_OK;
    }
    dc_ctl_meta meta = {0};
    g_autoptr(GPtrArray) rows = dc_ctl_rows_from_json(root, &meta, &e);
    if (!rows) {
        return fail(e->message, DC_CTL_EXIT_ERROR);
    }
    g_autofree char *title = dc_ctl_format_title(&meta);
    g_autofree char *table = dc_ctl_format_table(rows, colour);
    printf("%s\n%s%s\n", title, table, dc_ctl_table_legend());
    if (g_strcmp0(meta.stats, "none") == 0) {
        printf("note: the bridge has no stats yet (figures appear once it answers)\n");
    } else if (g_strcmp0(meta.link, "down") == 0) {
        printf("note: diemcau-signal has no control link to the bridge\n");
    }
    dc_ctl_meta_clear(&meta);
    return DC_CTL_EXIT_OK;
}

static int do_site(dc_ctl_client *c, const options *o, const char *id, bool colour)
{
    g_autofree char *escaped = g_uri_escape_string(id, NULL, FALSE);
    g_autofree char *path = g_strconcat("/api/stats/", escaped, NULL);
    int code = 0;
    g_autoptr(GError) e = NULL;
    g_autoptr(JsonNode) root = dc_ctl_get_json(c, path, NULL, &code, &e);
    if (!root) {
        if (code == DC_CTL_EXIT_NOT_FOUND) {
            g_autofree char *m = g_strdup_printf("no site “%s” in this meeting", id);
            return fail(m, code);
        }
        return fail(e->message, code);
    }
    if (o->json) {
        print_json(root);
        return DC_CTL_EXIT_OK;
    }
    JsonObject *top = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *sites = top ? json_object_get_member(top, "sites") : NULL;
    JsonObject *s = sites && JSON_NODE_HOLDS_OBJECT(sites)
                        ? json_object_get_object_member(json_node_get_object(sites), id)
                        : NULL;
    if (!s) {
        return fail("the service's answer does not describe that site", DC_CTL_EXIT_ERROR);
    }
    g_autofree char *text = dc_ctl_format_site(s, colour);
    fputs(text, stdout);
    return DC_CTL_EXIT_OK;
}

static int do_roster(dc_ctl_client *c, const options *o)
{
    int code = 0;
    g_autoptr(GError) e = NULL;
    g_autoptr(JsonNode) root = dc_ctl_get_json(c, "/api/roster", NULL, &code, &e);
    if (!root) {
        return fail(e->message, code);
    }
    if (o->json) {
        print_json(root);
        return DC_CTL_EXIT_OK;
    }
    g_autofree char *text = dc_ctl_roster_text(root);
    fputs(text, stdout);
    return DC_CTL_EXIT_OK;
}

static int do_report(const options *o, const char *meeting)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(JsonNode) root = dc_ctl_report_load(o->db ? o->db : "diemcau.db", meeting, &e);
    if (!root) {
        return fail(e->message, DC_CTL_EXIT_NOT_FOUND);
    }
    if (o->html) {
        g_autofree char *html = dc_ctl_report_html(root);
        if (!g_file_set_contents(o->html, html, -1, &e)) {
            return fail(e->message, DC_CTL_EXIT_ERROR);
        }
    }
    if (o->json) {
        print_json(root);
    } else if (!o->html) {
        g_autofree char *text = dc_ctl_report_text(root);
        fputs(text, stdout);
    }
    return DC_CTL_EXIT_OK;
}

/* watch --json: the document every second, for scripts that want a stream. */
static int do_watch_json(dc_ctl_client *c)
{
    for (;;) {
        int code = 0;
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) root = dc_ctl_get_json(c, "/api/stats", NULL, &code, &e);
        if (!root) {
            return fail(e->message, code);
        }
        print_json(root);
        fflush(stdout);
        g_usleep(G_USEC_PER_SEC);
    }
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    options o = {0};
    GOptionEntry entries[] = {
        {"server", 's', 0, G_OPTION_ARG_STRING, &o.server,
         "diemcau-signal's URL (default " DEFAULT_SERVER ")", "URL"},
        {"credential", 0, 0, G_OPTION_ARG_STRING, &o.credential,
         "The technician credential (or $DIEMCAU_CREDENTIAL)", "C"},
        {"credential-file", 0, 0, G_OPTION_ARG_FILENAME, &o.credential_file,
         "Take the credential from [technician] credential of this file", "FILE"},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config,
         "Take the server (and a plain-text credential) from this deployment file", "FILE"},
        {"pin", 0, 0, G_OPTION_ARG_STRING, &o.pin,
         "https://: accept only the certificate with this SHA-256 fingerprint", "SHA256"},
        {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &o.ca_file,
         "https://: trust the CA certificates in FILE (PEM) instead of the system's", "FILE"},
        {"json", 'j', 0, G_OPTION_ARG_NONE, &o.json, "Print the service's JSON (pretty)", NULL},
        {"no-colour", 0, 0, G_OPTION_ARG_NONE, &o.no_colour, "No colours (also $NO_COLOR)", NULL},
        {"db", 0, 0, G_OPTION_ARG_FILENAME, &o.db, "report: the meeting record (SQLite)", "FILE"},
        {"html", 0, 0, G_OPTION_ARG_FILENAME, &o.html, "report: write an HTML page", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("status | watch | site ID | roster | report [MEETING] | credential "
                             "[SITE] | doctor | backup OUT.db | restore IN.db - the "
                             "technician's view of the links and the meetings");
    g_option_context_add_main_entries(ctx, entries, NULL);
    dc_ctl_credential_opts copts = {0};
    g_option_context_add_group(ctx, dc_ctl_credential_options(&copts));
    g_option_context_set_description(ctx, description);
    g_autoptr(GError) e = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
        options_clear(&o);
        fprintf(stderr, "diemcau-ctl: %s (see --help)\n", e->message);
        return DC_CTL_EXIT_USAGE;
    }
    const char *verb = argc > 1 ? argv[1] : NULL;
    bool site = verb && strcmp(verb, "site") == 0;
    bool report = verb && strcmp(verb, "report") == 0;
    bool credential = verb && strcmp(verb, "credential") == 0;
    bool backup = verb && strcmp(verb, "backup") == 0;
    bool restore = verb && strcmp(verb, "restore") == 0;
    if (!verb ||
        (site || backup || restore ? argc != 3
         : report || credential    ? argc > 3
                                   : argc != 2) ||
        (!site && !report && !credential && !backup && !restore && strcmp(verb, "status") != 0 &&
         strcmp(verb, "watch") != 0 && strcmp(verb, "roster") != 0 &&
         strcmp(verb, "doctor") != 0)) {
        options_clear(&o);
        fprintf(stderr, "diemcau-ctl: expected one of: status, watch, site ID, roster, report "
                        "[MEETING], credential [SITE], doctor, backup OUT.db, restore IN.db "
                        "(see --help)\n");
        return DC_CTL_EXIT_USAGE;
    }
    if (credential) {
        int rc = dc_ctl_credential_run(&copts, argc > 2 ? argv[2] : NULL, o.config, o.json, stdin,
                                       stdout, stderr);
        options_clear(&o);
        return rc;
    }
    if (strcmp(verb, "doctor") == 0 || backup || restore) {
        int rc = backup || restore ? do_backup(&o, restore, argv[2]) : do_doctor(&o);
        options_clear(&o);
        return rc;
    }
    if (!o.credential && g_getenv("DIEMCAU_CREDENTIAL") && *g_getenv("DIEMCAU_CREDENTIAL")) {
        o.credential = g_strdup(g_getenv("DIEMCAU_CREDENTIAL"));
    }
    if (!o.credential && o.credential_file) {
        o.credential = dc_ctl_credential_file_technician(o.credential_file, &e);
        if (!o.credential) {
            options_clear(&o);
            fprintf(stderr, "diemcau-ctl: %s\n", e->message);
            return DC_CTL_EXIT_USAGE;
        }
    }
    if (!apply_config(&o, &e)) {
        options_clear(&o);
        fprintf(stderr, "diemcau-ctl: %s\n", e->message);
        return DC_CTL_EXIT_USAGE;
    }
    bool colour = !o.no_colour && isatty(STDOUT_FILENO) && !g_getenv("NO_COLOR") &&
                  g_strcmp0(g_getenv("TERM"), "dumb") != 0;
    g_autoptr(dc_tls_verify) tls = dc_tls_verify_new(o.ca_file, o.pin, &e);
    if (!tls) {
        options_clear(&o);
        fprintf(stderr, "diemcau-ctl: %s\n", e->message);
        return DC_CTL_EXIT_USAGE;
    }
    g_autoptr(dc_ctl_client) c =
        dc_ctl_client_new(o.server ? o.server : DEFAULT_SERVER, o.credential, tls);
    int rc;
    if (report) {
        rc = do_report(&o, argc > 2 ? argv[2] : NULL);
    } else if (strcmp(verb, "roster") == 0) {
        rc = do_roster(c, &o);
    } else if (site) {
        rc = do_site(c, &o, argv[2], colour);
    } else if (strcmp(verb, "status") == 0) {
        rc = do_status(c, &o, colour);
    } else if (o.json) {
        rc = do_watch_json(c);
    } else {
        rc = dc_ctl_watch_run(c, colour);
    }
    options_clear(&o);
    return rc;
}
