/* ctl/doctor: checks of an installation. See doctor.h. */
#include "ctl/doctor.h"

#include <errno.h>
#include <gio/gio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/tls.h"

#define EXPIRY_WARN_S (30 * 24 * 3600)
#define UDP_PROBES 16

static void result_free(gpointer p)
{
    dc_doctor_result *r = p;
    g_free(r->check);
    g_free(r->message);
    g_free(r);
}

G_GNUC_PRINTF(4, 5)
static void add(GPtrArray *out, const char *check, dc_doctor_level level, const char *fmt, ...)
{
    dc_doctor_result *r = g_new0(dc_doctor_result, 1);
    r->check = g_strdup(check);
    r->level = level;
    va_list ap;
    va_start(ap, fmt);
    r->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(out, r);
}

static char *date_text(int64_t t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);
    return d ? g_date_time_format(d, "%Y-%m-%d %H:%M UTC") : g_strdup("?");
}

dc_doctor_level dc_ctl_doctor_cert_verdict(const char *path, int64_t not_after_s, int64_t now_s,
                                           char **message)
{
    g_autofree char *when = date_text(not_after_s);
    if (not_after_s <= now_s) {
        *message = g_strdup_printf("%s expired on %s: renew it (README.md, \"TLS\") and restart "
                                   "diemcau-signal",
                                   path, when);
        return DC_DOCTOR_FAIL;
    }
    int64_t days = (not_after_s - now_s) / (24 * 3600);
    if (not_after_s - now_s < EXPIRY_WARN_S) {
        *message = g_strdup_printf("%s expires in %" G_GINT64_FORMAT " days (%s): renew it "
                                   "before then (README.md, \"TLS\"); every site must pin the new "
                                   "fingerprint",
                                   path, days, when);
        return DC_DOCTOR_WARN;
    }
    *message = g_strdup_printf("%s valid until %s (%" G_GINT64_FORMAT " days)", path, when, days);
    return DC_DOCTOR_OK;
}

/* The certificate's notAfter as Unix time; false when the file is not a
 * PEM certificate. */
static bool cert_not_after(const char *path, int64_t *not_after)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return false;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x) {
        return false;
    }
    struct tm tm = {0};
    bool ok = ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1;
    X509_free(x);
    *not_after = ok ? (int64_t)timegm(&tm) : 0;
    return ok;
}

static void check_certificate(GPtrArray *out, const dc_config *cfg)
{
    const char *c = "certificate";
    if (dc_tls_decide(cfg->signal_address, cfg->tls) != DC_TLS_HTTPS) {
        add(out, c, DC_DOCTOR_OK, "not needed: plain HTTP on %s (tls = %s)", cfg->signal_address,
            cfg->tls == DC_TLS_OFF ? "off" : "auto, loopback");
        return;
    }
    bool have_cert = g_file_test(cfg->tls_certificate, G_FILE_TEST_EXISTS);
    bool have_key = g_file_test(cfg->tls_key, G_FILE_TEST_EXISTS);
    if (!have_cert && !have_key && cfg->tls_generate) {
        g_autofree char *dir = g_path_get_dirname(cfg->tls_certificate);
        add(out, c, access(dir, W_OK) == 0 ? DC_DOCTOR_WARN : DC_DOCTOR_FAIL,
            "%s does not exist yet: diemcau-signal makes a self-signed one at its first start, "
            "which needs %s writable by the service (the Debian package: it is not; name a pair "
            "in /var/lib/diemcau, README.Debian)",
            cfg->tls_certificate, dir);
        return;
    }
    if (!have_cert || !have_key) {
        add(out, c, DC_DOCTOR_FAIL, "%s does not exist: install it, or see README.md, \"TLS\"",
            have_cert ? cfg->tls_key : cfg->tls_certificate);
        return;
    }
    int64_t not_after = 0;
    if (!cert_not_after(cfg->tls_certificate, &not_after)) {
        add(out, c, DC_DOCTOR_FAIL, "%s is not a PEM certificate (or unreadable here)",
            cfg->tls_certificate);
        return;
    }
    char *msg = NULL;
    dc_doctor_level level =
        dc_ctl_doctor_cert_verdict(cfg->tls_certificate, not_after, time(NULL), &msg);
    add(out, c, level, "%s", msg);
    g_free(msg);
}

bool dc_ctl_doctor_tcp_answers(const char *address, uint16_t port)
{
    if (strcmp(address, "0.0.0.0") == 0 || strcmp(address, "::") == 0) {
        address = strchr(address, ':') ? "::1" : "127.0.0.1";
    }
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_socket_client_set_timeout(client, 2);
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_to_host(client, address, port, NULL, NULL);
    return conn != NULL;
}

static void check_control_link(GPtrArray *out, const dc_config *cfg)
{
    if (dc_ctl_doctor_tcp_answers(cfg->bridge_address, cfg->bridge_port)) {
        add(out, "control-link", DC_DOCTOR_OK, "diemcau-bridge listens on %s port %u",
            cfg->bridge_address, cfg->bridge_port);
    } else {
        add(out, "control-link", DC_DOCTOR_FAIL,
            "nothing listens on %s port %u: start diemcau-bridge (systemctl start "
            "diemcau-bridge; journalctl -u diemcau-bridge says why it stopped)",
            cfg->bridge_address, cfg->bridge_port);
    }
}

/* 0 when a UDP socket binds to @address:@port, else the errno. */
static int udp_bind_errno(const char *address, uint16_t port)
{
    g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(address);
    if (!ia) {
        return EINVAL;
    }
    g_autoptr(GSocket) s = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_DATAGRAM,
                                        G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(ia, port);
    g_autoptr(GError) e = NULL;
    if (s && g_socket_bind(s, sa, FALSE, &e)) {
        return 0;
    }
    return e && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) ? EADDRINUSE : EACCES;
}

/* The kernel's ephemeral port range, for a warning when the UDP range
 * overlaps it (any program's outgoing socket may then take a port). */
static bool ephemeral_range(unsigned *lo, unsigned *hi)
{
    g_autofree char *text = NULL;
    return g_file_get_contents("/proc/sys/net/ipv4/ip_local_port_range", &text, NULL, NULL) &&
           sscanf(text, "%u %u", lo, hi) == 2;
}

static void check_udp_range(GPtrArray *out, const dc_config *cfg)
{
    const char *c = "udp-range";
    unsigned min = cfg->udp_port_min, max = cfg->udp_port_max, n = max - min + 1;
    const char *addr = cfg->local_addresses[0] ? cfg->local_addresses[0] : "0.0.0.0";
    unsigned probes = n < UDP_PROBES ? n : UDP_PROBES, in_use = 0;
    GString *busy = g_string_new(NULL);
    for (unsigned i = 0; i < probes; i++) {
        unsigned port = min + (unsigned)((uint64_t)i * n / probes);
        if (udp_bind_errno(addr, (uint16_t)port) != 0) {
            g_string_append_printf(busy, "%s%u", in_use++ ? ", " : "", port);
        }
    }
    unsigned lo = 0, hi = 0;
    bool overlap = ephemeral_range(&lo, &hi) && min <= hi && max >= lo;
    if (in_use == probes) {
        add(out, c, DC_DOCTOR_FAIL,
            "%u..%u: none of %u probed ports binds on %s: another program holds the range, "
            "or the address is not this machine's; choose a free range ([bridge] udp_port_min, "
            "udp_port_max)",
            min, max, probes, addr);
    } else if (in_use) {
        add(out, c, DC_DOCTOR_WARN,
            "%u..%u: %u of %u probed ports in use (%s): by diemcau-bridge while a meeting runs, "
            "else by another program (ss -ulpn)",
            min, max, in_use, probes, busy->str);
    } else {
        /* The default range lies inside Linux's ephemeral ports: libnice
         * skips a port another socket took, so that is a note, not a
         * warning. */
        add(out, c, DC_DOCTOR_OK,
            "%u..%u (%u ports) free on %s (%u probed)%s; open it toward the sites in the "
            "firewall",
            min, max, n, addr, probes,
            overlap ? ", inside the kernel's ephemeral ports (ports other programs take are "
                      "skipped)"
                    : "");
    }
    g_string_free(busy, TRUE);
}

static void check_clock(GPtrArray *out)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    int year = g_date_time_get_year(now);
    if (year < 2024) {
        add(out, "clock", DC_DOCTOR_FAIL,
            "the clock says %d: certificates will not be valid; set the time and enable NTP "
            "(timedatectl set-ntp true)",
            year);
        return;
    }
    g_autofree char *sync = NULL;
    int status = -1;
    gchar *argv[] = {"timedatectl", "show", "-p", "NTPSynchronized", "--value", NULL};
    bool ran = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                            NULL, NULL, &sync, NULL, &status, NULL) &&
               g_spawn_check_wait_status(status, NULL);
    g_autofree char *when = g_date_time_format(now, "%Y-%m-%d %H:%M:%S UTC");
    if (!ran) {
        add(out, "clock", DC_DOCTOR_OK, "%s (NTP state unknown: no timedatectl answer)", when);
    } else if (strcmp(g_strstrip(sync), "yes") != 0) {
        add(out, "clock", DC_DOCTOR_WARN,
            "%s, not synchronised by NTP: RTT and the record's times drift; "
            "timedatectl set-ntp true",
            when);
    } else {
        add(out, "clock", DC_DOCTOR_OK, "%s, synchronised by NTP", when);
    }
}

static void check_web_root(GPtrArray *out, const dc_config *cfg)
{
    g_autofree char *index = g_build_filename(cfg->web_root, "index.html", NULL);
    if (g_file_test(index, G_FILE_TEST_IS_REGULAR)) {
        add(out, "web-root", DC_DOCTOR_OK, "%s", cfg->web_root);
    } else {
        add(out, "web-root", DC_DOCTOR_FAIL,
            "%s has no index.html: set [signaling] web_root to the page's folder "
            "(the Debian package: /usr/share/diemcau/web)",
            cfg->web_root);
    }
}

static void check_record(GPtrArray *out, const dc_config *cfg)
{
    const char *c = "record";
    const char *path = cfg->record_path;
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_autofree char *dir = g_path_get_dirname(path);
        add(out, c, g_file_test(dir, G_FILE_TEST_IS_DIR) ? DC_DOCTOR_OK : DC_DOCTOR_FAIL,
            g_file_test(dir, G_FILE_TEST_IS_DIR)
                ? "%s not made yet (diemcau-signal makes it at its first start)"
                : "%s cannot be made: its folder does not exist",
            path);
        return;
    }
    sqlite3 *db = NULL;
    GString *answer = g_string_new(NULL);
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    }
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && answer->len < 400) {
        g_string_append_printf(answer, "%s%s", answer->len ? "; " : "",
                               (const char *)sqlite3_column_text(st, 0));
    }
    if (rc != SQLITE_OK || answer->len == 0) {
        add(out, c, DC_DOCTOR_FAIL, "%s cannot be read: %s", path,
            db ? sqlite3_errmsg(db) : "out of memory");
    } else if (strcmp(answer->str, "ok") != 0) {
        add(out, c, DC_DOCTOR_FAIL,
            "%s is damaged (%s): stop diemcau-signal and restore the last backup "
            "(diemcau-ctl restore)",
            path, answer->str);
    } else {
        add(out, c, DC_DOCTOR_OK, "%s: integrity ok", path);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    g_string_free(answer, TRUE);
}

GPtrArray *dc_ctl_doctor_check(const char *config_path)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(result_free);
    g_autoptr(GError) e = NULL;
    g_autoptr(dc_config) cfg = dc_config_load(config_path, &e);
    if (!cfg) {
        add(out, "config", DC_DOCTOR_FAIL, "%s", e->message);
        return out;
    }
    g_auto(GStrv) plain = dc_config_plain_credentials(cfg);
    if (plain) {
        g_autofree char *keys = g_strjoinv(", ", plain);
        add(out, "config", DC_DOCTOR_WARN,
            "%s loads (meeting %s, %zu sites), but keeps secrets in plain text: %s; replace "
            "them with hashes (diemcau-ctl credential)",
            config_path, cfg->meeting_id, cfg->n_sites, keys);
    } else {
        add(out, "config", DC_DOCTOR_OK, "%s loads (meeting %s, %zu sites)", config_path,
            cfg->meeting_id, cfg->n_sites);
    }
    check_certificate(out, cfg);
    check_control_link(out, cfg);
    check_udp_range(out, cfg);
    check_clock(out);
    check_web_root(out, cfg);
    check_record(out, cfg);
    return out;
}

static const char *level_name(dc_doctor_level l)
{
    return l == DC_DOCTOR_OK ? "ok" : l == DC_DOCTOR_WARN ? "warn" : "fail";
}

char *dc_ctl_doctor_format(const GPtrArray *results)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < results->len; i++) {
        const dc_doctor_result *r = g_ptr_array_index(results, i);
        g_string_append_printf(s, "%-5s %-13s %s\n", level_name(r->level), r->check, r->message);
    }
    return g_string_free(s, FALSE);
}

bool dc_ctl_doctor_failed(const GPtrArray *results)
{
    for (guint i = 0; i < results->len; i++) {
        if (((const dc_doctor_result *)g_ptr_array_index(results, i))->level == DC_DOCTOR_FAIL) {
            return true;
        }
    }
    return false;
}

JsonNode *dc_ctl_doctor_json(const GPtrArray *results)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, !dc_ctl_doctor_failed(results));
    json_builder_set_member_name(b, "checks");
    json_builder_begin_array(b);
    for (guint i = 0; i < results->len; i++) {
        const dc_doctor_result *r = g_ptr_array_index(results, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "check");
        json_builder_add_string_value(b, r->check);
        json_builder_set_member_name(b, "level");
        json_builder_add_string_value(b, level_name(r->level));
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, r->message);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
