/* common/tls-verify: the client's check of diemcau-signal's certificate.
 * See tls-verify.h.
 *
 * libsoup asks the session's GTlsDatabase first; only a certificate the
 * database does not vouch for reaches the message's "accept-certificate"
 * signal. A pin therefore sets no database at all (GIO then reports every
 * certificate as of unknown issuer), so that every certificate, even one a
 * system CA issued, is compared with the pin. */
#include "common/tls-verify.h"

#include <string.h>

#include "common/tls.h"

#define SEEN_KEY "dc-tls-seen"         /* char *: fingerprint of what the server sent */
#define ERRORS_KEY "dc-tls-errors"     /* GTlsCertificateFlags + 1 (0: never asked) */
#define EXPIRED_KEY "dc-tls-not-valid" /* set: the pinned certificate is out of date */

struct dc_tls_verify {
    char *ca_file;
    GTlsDatabase *database; /* from ca_file, or NULL */
    bool pinned;
    uint8_t pin[DC_TLS_FINGERPRINT_LEN];
    char *pin_text; /* normalised "AB:CD:..." */
};

dc_tls_verify *dc_tls_verify_new(const char *ca_file, const char *pin, GError **error)
{
    if (ca_file && pin) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "give either --ca-file or --pin, not both");
        return NULL;
    }
    g_autoptr(dc_tls_verify) v = g_new0(dc_tls_verify, 1);
    if (pin) {
        if (!dc_tls_fingerprint_parse(pin, v->pin)) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--pin “%s” is not a SHA-256 fingerprint (64 hex digits, in pairs "
                        "separated by ':' as diemcau-signal prints it, or without)",
                        pin);
            return NULL;
        }
        v->pinned = true;
        GString *s = g_string_new(NULL);
        for (size_t i = 0; i < DC_TLS_FINGERPRINT_LEN; i++) {
            g_string_append_printf(s, "%s%02X", i ? ":" : "", v->pin[i]);
        }
        v->pin_text = g_string_free(s, FALSE);
    }
    if (ca_file) {
        g_autoptr(GError) e = NULL;
        v->database = g_tls_file_database_new(ca_file, &e);
        if (!v->database) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--ca-file %s: %s (a PEM file of CA certificates)", ca_file, e->message);
            return NULL;
        }
        v->ca_file = g_strdup(ca_file);
    }
    return g_steal_pointer(&v);
}

void dc_tls_verify_free(dc_tls_verify *v)
{
    if (!v) {
        return;
    }
    g_clear_object(&v->database);
    g_free(v->ca_file);
    g_free(v->pin_text);
    g_free(v);
}

void dc_tls_verify_session(const dc_tls_verify *v, SoupSession *session)
{
    if (v && v->pinned) {
        soup_session_set_tls_database(session, NULL);
    } else if (v && v->database) {
        soup_session_set_tls_database(session, v->database);
    }
}

/* True when now is within @cert's validity period (unknown bounds pass). */
static bool in_validity(GTlsCertificate *cert)
{
    g_autoptr(GDateTime) before = NULL, after = NULL;
    g_object_get(cert, "not-valid-before", &before, "not-valid-after", &after, NULL);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    return (!before || g_date_time_compare(now, before) >= 0) &&
           (!after || g_date_time_compare(now, after) <= 0);
}

static gboolean on_accept_certificate(SoupMessage *msg, GTlsCertificate *cert,
                                      GTlsCertificateFlags errors, gpointer data)
{
    const dc_tls_verify *v = data;
    char *seen = dc_tls_certificate_fingerprint(cert);
    g_object_set_data_full(G_OBJECT(msg), SEEN_KEY, seen, g_free);
    g_object_set_data(G_OBJECT(msg), ERRORS_KEY, GUINT_TO_POINTER((guint)errors + 1));
    if (!v || !v->pinned || !seen) {
        return FALSE;
    }
    uint8_t got[DC_TLS_FINGERPRINT_LEN];
    if (!dc_tls_fingerprint_parse(seen, got) || memcmp(got, v->pin, sizeof got) != 0) {
        return FALSE;
    }
    if (!in_validity(cert)) {
        g_object_set_data(G_OBJECT(msg), EXPIRED_KEY, GINT_TO_POINTER(1));
        return FALSE;
    }
    return TRUE;
}

void dc_tls_verify_message(dc_tls_verify *v, SoupMessage *msg)
{
    g_signal_connect(msg, "accept-certificate", G_CALLBACK(on_accept_certificate), v);
}

/* The certificate problems GIO reported, in words, e.g. "unknown issuer,
 * not issued for this host name". */
static char *flags_text(GTlsCertificateFlags f)
{
    static const struct {
        GTlsCertificateFlags flag;
        const char *text;
    } names[] = {
        {G_TLS_CERTIFICATE_UNKNOWN_CA, "unknown issuer (self-signed, or a CA not trusted here)"},
        {G_TLS_CERTIFICATE_BAD_IDENTITY, "not issued for this host name"},
        {G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet"},
        {G_TLS_CERTIFICATE_EXPIRED, "expired"},
        {G_TLS_CERTIFICATE_REVOKED, "revoked"},
        {G_TLS_CERTIFICATE_INSECURE, "insecure algorithm"},
        {G_TLS_CERTIFICATE_GENERIC_ERROR, "invalid"},
    };
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (f & names[i].flag) {
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", names[i].text);
        }
    }
    if (s->len == 0) {
        g_string_append(s, "not trusted");
    }
    return g_string_free(s, FALSE);
}

char *dc_tls_verify_explain(const dc_tls_verify *v, SoupMessage *msg, const GError *error)
{
    const char *seen = g_object_get_data(G_OBJECT(msg), SEEN_KEY);
    guint errors = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(msg), ERRORS_KEY));
    bool cert_error = g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
    if (!cert_error && errors == 0) {
        return NULL;
    }
    GUri *uri = soup_message_get_uri(msg);
    const char *host = uri && g_uri_get_host(uri) ? g_uri_get_host(uri) : "the server";
    seen = seen ? seen : "(unknown)";
    if (v && v->pinned) {
        if (g_object_get_data(G_OBJECT(msg), EXPIRED_KEY)) {
            return g_strdup_printf("the pinned certificate of %s (SHA-256 %s) is outside its "
                                   "validity period: diemcau-signal needs a new certificate",
                                   host, v->pin_text);
        }
        return g_strdup_printf("the certificate of %s is not the pinned one: expected SHA-256 "
                               "%s (--pin), seen %s",
                               host, v->pin_text, seen);
    }
    g_autofree char *why = flags_text(errors ? (GTlsCertificateFlags)(errors - 1) : 0);
    if (v && v->ca_file) {
        return g_strdup_printf("the certificate of %s (SHA-256 %s) is not trusted with --ca-file "
                               "%s: %s",
                               host, seen, v->ca_file, why);
    }
    return g_strdup_printf(
        "the certificate of %s (SHA-256 %s) is not trusted by this machine's certificate "
        "authorities: %s. If diemcau-signal uses its self-signed certificate, check that this "
        "fingerprint is the one it prints at startup and give --pin FINGERPRINT; if a "
        "provincial CA issued it, give --ca-file with that CA's certificate (PEM)",
        host, seen, why);
}
