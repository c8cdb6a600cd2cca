/* signaling/tls: the service's certificate, made when missing. See tls.h. */
#define G_LOG_DOMAIN "dc-tls"

#include "signaling/tls.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>

#include "common/tls.h"

#define VALID_DAYS 825
#define BACKDATE_S 3600 /* clocks of the sites may be a little behind */

/* Letters, digits, '-' and '.', 1..253 bytes, no empty label: safe to put
 * in a subjectAltName list (no ',' or ':'). */
static bool dns_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' || strstr(s, "..")) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '.') {
            return false;
        }
    }
    return true;
}

char **dc_signal_tls_names(const char *address, const char *hostname)
{
    GPtrArray *names = g_ptr_array_new();
    const char *candidates[] = {address, hostname, "localhost", "127.0.0.1", "::1"};
    for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++) {
        const char *n = candidates[i];
        if (!n || (!g_hostname_is_ip_address(n) && !dns_name_ok(n))) {
            continue;
        }
        g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(n);
        if (ip && g_inet_address_get_is_any(ip)) {
            continue;
        }
        bool seen = false;
        for (guint k = 0; k < names->len && !seen; k++) {
            seen = g_ascii_strcasecmp(names->pdata[k], n) == 0;
        }
        if (!seen) {
            g_ptr_array_add(names, g_strdup(n));
        }
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

static void set_openssl_error(GError **error, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown error";
    if (e) {
        ERR_error_string_n(e, buf, sizeof buf);
    }
    ERR_clear_error();
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make a certificate: %s: %s", what,
                buf);
}

static bool add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) {
        return false;
    }
    bool ok = X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* "IP:127.0.0.1,DNS:localhost,..." */
static char *san_text(const char *const *names)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; names && names[i]; i++) {
        g_string_append_printf(s, "%s%s:%s", s->len ? "," : "",
                               g_hostname_is_ip_address(names[i]) ? "IP" : "DNS", names[i]);
    }
    return g_string_free(s, FALSE);
}

/* A random positive 127-bit serial number. */
static bool set_serial(X509 *x)
{
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        return false;
    }
    bytes[0] &= 0x7f;
    bytes[0] |= 0x40; /* never shorter than 16 bytes, never negative */
    BIGNUM *bn = BN_bin2bn(bytes, sizeof bytes, NULL);
    bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

static X509 *make_certificate(EVP_PKEY *key, const char *common_name, const char *const *names,
                              int64_t now_s, GError **error)
{
    X509 *x = X509_new();
    time_t now = (time_t)now_s;
    g_autofree char *san = san_text(names);
    X509_NAME *subject = x ? X509_get_subject_name(x) : NULL;
    const char *step = "X509_new";
    bool ok = x != NULL;
    if (ok) {
        step = "version, serial, validity";
        ok = X509_set_version(x, 2) == 1 && set_serial(x) &&
             X509_time_adj_ex(X509_getm_notBefore(x), 0, -BACKDATE_S, &now) &&
             X509_time_adj_ex(X509_getm_notAfter(x), VALID_DAYS, 0, &now) &&
             X509_set_pubkey(x, key) == 1;
    }
    if (ok) {
        step = "subject";
        ok = X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                                        (const unsigned char *)"diemcau", -1, -1, 0) == 1 &&
             X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                        (const unsigned char *)common_name, -1, -1, 0) == 1 &&
             X509_set_issuer_name(x, subject) == 1;
    }
    if (ok) {
        /* No keyUsage: with one, a self-signed certificate lacking
         * keyCertSign is not seen as its own issuer by OpenSSL-based
         * clients given it as their CA file. */
        step = "extensions";
        ok = add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, NID_ext_key_usage, "serverAuth") &&
             add_ext(x, NID_subject_key_identifier, "hash") &&
             (!*san || add_ext(x, NID_subject_alt_name, san));
    }
    if (ok) {
        step = "signature";
        ok = X509_sign(x, key, EVP_sha256()) > 0;
    }
    if (!ok) {
        set_openssl_error(error, step);
        X509_free(x);
        return NULL;
    }
    return x;
}

/* The PEM text of a BIO's contents. */
static char *bio_text(BIO *bio, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    *len = n > 0 ? (size_t)n : 0;
    return g_strndup(data ? data : "", *len);
}

bool dc_signal_tls_generate(const char *cert_path, const char *key_path, const char *common_name,
                            const char *const *names, int64_t now_s, GError **error)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (!key) {
        set_openssl_error(error, "EC P-256 key");
        return false;
    }
    X509 *x = make_certificate(key, common_name, names, now_s, error);
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    bool ok = x && kb && cb && PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) == 1 &&
              PEM_write_bio_X509(cb, x) == 1;
    if (x && !ok) {
        set_openssl_error(error, "PEM");
    }
    size_t klen = 0, clen = 0;
    char *ktext = ok ? bio_text(kb, &klen) : NULL;
    g_autofree char *ctext = ok ? bio_text(cb, &clen) : NULL;
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(key);
    if (!ok) {
        return false;
    }
    g_autoptr(GError) e = NULL;
    ok = g_file_set_contents_full(key_path, ktext, (gssize)klen, G_FILE_SET_CONTENTS_CONSISTENT,
                                  0600, &e);
    OPENSSL_cleanse(ktext, klen);
    g_free(ktext);
    if (ok && !g_file_set_contents_full(cert_path, ctext, (gssize)clen,
                                        G_FILE_SET_CONTENTS_CONSISTENT, 0644, &e)) {
        g_unlink(key_path);
        ok = false;
    }
    if (!ok) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write the new certificate: %s",
                    e->message);
    }
    return ok;
}

/* Warns when the key file is readable by anyone but its owner. */
static void check_key_mode(const char *key_path)
{
    GStatBuf st;
    if (g_stat(key_path, &st) == 0 && (st.st_mode & 077)) {
        g_warning("TLS key %s is readable by others (mode %04o): chmod 600 %s", key_path,
                  (unsigned)(st.st_mode & 07777), key_path);
    }
}

GTlsCertificate *dc_signal_tls_load(const dc_config *cfg, bool *generated, GError **error)
{
    const char *cert = cfg->tls_certificate, *key = cfg->tls_key;
    bool have_cert = g_file_test(cert, G_FILE_TEST_EXISTS);
    bool have_key = g_file_test(key, G_FILE_TEST_EXISTS);
    *generated = false;
    if (cfg->tls_generate && !have_cert && !have_key) {
        g_auto(GStrv) names = dc_signal_tls_names(cfg->signal_address, g_get_host_name());
        g_autofree char *cn = g_strdup_printf("diemcau-signal %s", cfg->meeting_id);
        g_autoptr(GError) e = NULL;
        if (!dc_signal_tls_generate(cert, key, cn, (const char *const *)names,
                                    g_get_real_time() / G_USEC_PER_SEC, &e)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "%s: [signaling] tls: no certificate yet, and %s (%s, %s)", cfg->path,
                        e->message, cert, key);
            return NULL;
        }
        *generated = true;
    } else if (!cfg->tls_generate && (!have_cert || !have_key)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: [signaling] %s %s does not exist: install the certificate and key "
                    "there, or remove tls_certificate and tls_key from the config to have a "
                    "self-signed pair made (a certificate named in the config is never made)",
                    cfg->path, have_cert ? "tls_key" : "tls_certificate", have_cert ? key : cert);
        return NULL;
    } else if (have_cert != have_key) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: [signaling] %s %s is missing while %s exists: restore it, or %s",
                    cfg->path, have_cert ? "tls_key" : "tls_certificate", have_cert ? key : cert,
                    have_cert ? cert : key, "remove both to have a new self-signed pair made");
        return NULL;
    }
    g_autoptr(GError) e = NULL;
    GTlsCertificate *c = g_tls_certificate_new_from_files(cert, key, &e);
    if (!c) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "%s: [signaling] tls_certificate %s with tls_key %s: %s", cfg->path, cert, key,
                    e->message);
        return NULL;
    }
    check_key_mode(key);
    return c;
}

char *dc_signal_tls_describe(GTlsCertificate *cert, const char *path, bool generated)
{
    g_autofree char *fp = dc_tls_certificate_fingerprint(cert);
    g_autofree char *subject = NULL, *issuer = NULL;
    g_autoptr(GDateTime) until = NULL;
    g_object_get(cert, "subject-name", &subject, "issuer-name", &issuer, "not-valid-after", &until,
                 NULL);
    g_autofree char *date = until ? g_date_time_format(until, "%Y-%m-%d") : g_strdup("?");
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    bool expired = until && g_date_time_compare(now, until) > 0;
    g_autofree char *origin = g_strcmp0(subject, issuer) == 0
                                  ? g_strdup("self-signed")
                                  : g_strdup_printf("issued by %s", issuer ? issuer : "?");
    return g_strdup_printf("TLS certificate %s (%s%s, %s %s), SHA-256 fingerprint %s", path, origin,
                           generated ? ", made now" : "", expired ? "EXPIRED on" : "valid until",
                           date, fp ? fp : "?");
}
