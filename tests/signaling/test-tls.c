/* Unit tests of TLS for diemcau-signal: the HTTPS rule (common/tls), the
 * [signaling] tls keys of the config, fingerprints and pins, the
 * self-signed certificate (signaling/tls) checked with OpenSSL directly, and
 * the client-side options (common/tls-verify). No sockets. */
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/config.h"
#include "common/tls-verify.h"
#include "common/tls.h"
#include "signaling/tls.h"

/* ------------------------------------------------------------------------ */
/* The rule                                                                 */

static void test_decide(void)
{
    static const struct {
        const char *address;
        dc_tls_mode mode;
        dc_tls_decision want;
    } cases[] = {
        {"127.0.0.1", DC_TLS_AUTO, DC_TLS_PLAIN_LOOPBACK},
        {"127.3.2.1", DC_TLS_AUTO, DC_TLS_PLAIN_LOOPBACK},
        {"::1", DC_TLS_AUTO, DC_TLS_PLAIN_LOOPBACK},
        {"10.20.0.1", DC_TLS_AUTO, DC_TLS_HTTPS},
        {"192.168.1.5", DC_TLS_AUTO, DC_TLS_HTTPS},
        {"0.0.0.0", DC_TLS_AUTO, DC_TLS_HTTPS}, /* every interface: not loopback */
        {"::", DC_TLS_AUTO, DC_TLS_HTTPS},
        {"fe80::1", DC_TLS_AUTO, DC_TLS_HTTPS},
        {"127.0.0.1", DC_TLS_ON, DC_TLS_HTTPS},
        {"10.20.0.1", DC_TLS_ON, DC_TLS_HTTPS},
        {"10.20.0.1", DC_TLS_OFF, DC_TLS_PLAIN_EXPLICIT},
        {"127.0.0.1", DC_TLS_OFF, DC_TLS_PLAIN_EXPLICIT},
        {"not an address", DC_TLS_AUTO, DC_TLS_HTTPS},
        {NULL, DC_TLS_AUTO, DC_TLS_HTTPS},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s tls=%d", cases[i].address ? cases[i].address : "(null)", cases[i].mode);
        g_assert_cmpint(dc_tls_decide(cases[i].address, cases[i].mode), ==, cases[i].want);
    }
}

/* ------------------------------------------------------------------------ */
/* Config keys                                                              */

#define MEETING "[meeting]\nid = m1\n"
#define CHAIR "[site.tinh]\nname = T\nrole = chair\ncredential = abcdefgh12345678\n"

static dc_config *load(const char *text, GError **error)
{
    return dc_config_load_data(text, strlen(text), "mem.ini", "/srv/dc", error);
}

static void test_config_defaults(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_config) cfg = load(MEETING CHAIR, &error);
    g_assert_no_error(error);
    g_assert_cmpint(cfg->tls, ==, DC_TLS_AUTO);
    g_assert_cmpstr(cfg->tls_certificate, ==, "/srv/dc/diemcau-signal.crt");
    g_assert_cmpstr(cfg->tls_key, ==, "/srv/dc/diemcau-signal.key");
    g_assert_true(cfg->tls_generate);
    g_assert_cmpstr(dc_tls_scheme(cfg), ==, "http"); /* 127.0.0.1 */

    /* The default deployment file stays plain HTTP on loopback. */
    g_autofree char *path =
        g_build_filename(g_getenv("DC_SOURCE_ROOT"), "config", "hatinh.ini", NULL);
    g_autoptr(dc_config) hatinh = dc_config_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(hatinh->tls, ==, DC_TLS_AUTO);
    g_assert_cmpstr(dc_tls_scheme(hatinh), ==, "http");
    g_assert_true(hatinh->tls_generate);
}

static void test_config_keys(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_config) cfg = load(MEETING "[signaling]\naddress = 10.1.2.3\ntls = on\n"
                                            "tls_certificate = tls/a.crt\n"
                                            "tls_key = /etc/dc/a.key\n" CHAIR,
                                    &error);
    g_assert_no_error(error);
    g_assert_cmpint(cfg->tls, ==, DC_TLS_ON);
    g_assert_cmpstr(cfg->tls_certificate, ==, "/srv/dc/tls/a.crt");
    g_assert_cmpstr(cfg->tls_key, ==, "/etc/dc/a.key");
    g_assert_false(cfg->tls_generate);
    g_assert_cmpstr(dc_tls_scheme(cfg), ==, "https");

    g_autoptr(dc_config) lan = load(MEETING "[signaling]\naddress = 10.1.2.3\n" CHAIR, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(dc_tls_scheme(lan), ==, "https");
    g_autoptr(dc_config) off =
        load(MEETING "[signaling]\naddress = 10.1.2.3\ntls = off\n" CHAIR, &error);
    g_assert_no_error(error);
    g_assert_cmpint(off->tls, ==, DC_TLS_OFF);
    g_assert_cmpstr(dc_tls_scheme(off), ==, "http");
}

static void test_config_bad(void)
{
    static const struct {
        const char *text;
        const char *want[3];
    } bad[] = {
        {MEETING "[signaling]\ntls = yes\n" CHAIR,
         {"mem.ini:4:", "[signaling] tls", "“yes” is not auto, on or off"}},
        {MEETING "[signaling]\ntls_certificate = a.crt\n" CHAIR,
         {"mem.ini:4:", "[signaling] tls_certificate", "no tls_key"}},
        {MEETING "[signaling]\ntls_key = a.key\n" CHAIR,
         {"mem.ini:4:", "[signaling] tls_key", "no tls_certificate"}},
        {MEETING "[signaling]\ntls_cert = a.crt\n" CHAIR,
         {"mem.ini:4:", "[signaling] tls_cert", "unknown key"}},
        {MEETING "[signaling]\ntls =\n" CHAIR, {"mem.ini:4:", "[signaling] tls", "empty value"}},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(dc_config) cfg = load(bad[i].text, &error);
        g_assert_null(cfg);
        g_assert_nonnull(error);
        g_test_message("%s", error->message);
        for (size_t k = 0; k < G_N_ELEMENTS(bad[i].want); k++) {
            if (!strstr(error->message, bad[i].want[k])) {
                g_error("“%s” lacks “%s”", error->message, bad[i].want[k]);
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Fingerprints and pins                                                    */

static void test_fingerprint_format(void)
{
    /* SHA-256 of "abc" (FIPS 180-2 example). */
    g_autofree char *fp = dc_tls_fingerprint((const uint8_t *)"abc", 3);
    g_assert_cmpstr(fp, ==,
                    "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:"
                    "10:FF:61:F2:00:15:AD");
    uint8_t a[DC_TLS_FINGERPRINT_LEN], b[DC_TLS_FINGERPRINT_LEN];
    g_assert_true(dc_tls_fingerprint_parse(fp, a));
    g_assert_cmpuint(a[0], ==, 0xba);
    g_assert_cmpuint(a[31], ==, 0xad);
    g_autofree char *lower = g_ascii_strdown(fp, -1);
    g_assert_true(dc_tls_fingerprint_parse(lower, b));
    g_assert_cmpmem(a, sizeof a, b, sizeof b);
    g_autofree char *bare = g_strdup(fp);
    char *w = bare;
    for (const char *r = fp; *r; r++) {
        if (*r != ':') {
            *w++ = *r;
        }
    }
    *w = '\0';
    g_assert_cmpuint(strlen(bare), ==, 64);
    g_assert_true(dc_tls_fingerprint_parse(bare, b));
    g_assert_cmpmem(a, sizeof a, b, sizeof b);

    static const char *const bad[] = {
        "",
        "abc",
        "BA:78",
        /* one pair short, one too many */
        "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:"
        "15",
        "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:"
        "15:"
        "AD:00",
        /* a separator in the wrong place, a non-hex digit */
        "BA:7816:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:"
        "15:"
        "AD",
        "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:"
        "15:"
        "AG",
        "SHA256:BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:"
        "61:"
        "F2:00:15:AD",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(dc_tls_fingerprint_parse(bad[i], a));
    }
    g_assert_false(dc_tls_fingerprint_parse(NULL, a));
}

/* ------------------------------------------------------------------------ */
/* The self-signed certificate                                              */

typedef struct {
    char *dir, *cert, *key;
} tmp;

static void tmp_init(tmp *t)
{
    g_autoptr(GError) error = NULL;
    t->dir = g_dir_make_tmp("dc-tls-XXXXXX", &error);
    g_assert_no_error(error);
    t->cert = g_build_filename(t->dir, "diemcau-signal.crt", NULL);
    t->key = g_build_filename(t->dir, "diemcau-signal.key", NULL);
}

static void tmp_clear(tmp *t)
{
    GDir *d = g_dir_open(t->dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(t->dir, name, NULL);
        g_unlink(p);
    }
    if (d) {
        g_dir_close(d);
    }
    g_rmdir(t->dir);
    g_free(t->dir);
    g_free(t->cert);
    g_free(t->key);
}

/* The certificate as OpenSSL reads it. */
static X509 *read_x509(const char *path)
{
    FILE *f = fopen(path, "r");
    g_assert_nonnull(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    g_assert_nonnull(x);
    return x;
}

/* `openssl x509 -fingerprint -sha256`, in C: the digest of the DER. */
static char *openssl_fingerprint(X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    g_assert_cmpint(X509_digest(x, EVP_sha256(), md, &n), ==, 1);
    g_assert_cmpuint(n, ==, 32);
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < n; i++) {
        g_string_append_printf(s, "%s%02X", i ? ":" : "", md[i]);
    }
    return g_string_free(s, FALSE);
}

static char *san_list(X509 *x)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    g_assert_nonnull(gens);
    GString *s = g_string_new(NULL);
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS) {
            g_string_append_printf(s, "%sDNS:%s", s->len ? "," : "",
                                   (const char *)ASN1_STRING_get0_data(g->d.dNSName));
        } else if (g->type == GEN_IPADD) {
            const unsigned char *ip = ASN1_STRING_get0_data(g->d.iPAddress);
            int len = ASN1_STRING_length(g->d.iPAddress);
            g_autoptr(GInetAddress) a = g_inet_address_new_from_bytes(
                ip, len == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
            g_autofree char *text = g_inet_address_to_string(a);
            g_string_append_printf(s, "%sIP:%s", s->len ? "," : "", text);
        }
    }
    GENERAL_NAMES_free(gens);
    return g_string_free(s, FALSE);
}

static void test_names(void)
{
    g_auto(GStrv) a = dc_signal_tls_names("10.20.0.1", "ubnd-ha-tinh");
    g_autofree char *ja = g_strjoinv(",", a);
    g_assert_cmpstr(ja, ==, "10.20.0.1,ubnd-ha-tinh,localhost,127.0.0.1,::1");
    g_auto(GStrv) b = dc_signal_tls_names("0.0.0.0", "bad host,name");
    g_autofree char *jb = g_strjoinv(",", b);
    g_assert_cmpstr(jb, ==, "localhost,127.0.0.1,::1");
    g_auto(GStrv) c = dc_signal_tls_names("127.0.0.1", "LOCALHOST");
    g_autofree char *jc = g_strjoinv(",", c);
    g_assert_cmpstr(jc, ==, "127.0.0.1,LOCALHOST,::1");
}

static void test_generate(void)
{
    tmp t;
    tmp_init(&t);
    const char *names[] = {"10.20.0.1", "sv-hatinh", "localhost", "127.0.0.1", "::1", NULL};
    const int64_t now = 1767225600; /* 2026-01-01 00:00:00 UTC */
    g_autoptr(GError) error = NULL;
    g_assert_true(
        dc_signal_tls_generate(t.cert, t.key, "diemcau-signal hatinh", names, now, &error));
    g_assert_no_error(error);

    /* The key is the owner's alone; the certificate is public. */
    GStatBuf st;
    g_assert_cmpint(g_stat(t.key, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpint(g_stat(t.cert, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 0777, ==, 0644);

    /* GIO loads the pair (what the service does). */
    g_autoptr(GTlsCertificate) gc = g_tls_certificate_new_from_files(t.cert, t.key, &error);
    g_assert_no_error(error);
    g_autofree char *fp = dc_tls_certificate_fingerprint(gc);
    g_autofree char *fp_file = dc_tls_file_fingerprint(t.cert, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(fp, ==, fp_file);

    /* OpenSSL agrees on the fingerprint and sees what was asked for. */
    X509 *x = read_x509(t.cert);
    g_autofree char *want = openssl_fingerprint(x);
    g_assert_cmpstr(fp, ==, want);
    g_assert_cmpint(X509_get_version(x), ==, 2); /* v3 */
    g_autofree char *san = san_list(x);
    g_assert_cmpstr(san, ==, "IP:10.20.0.1,DNS:sv-hatinh,DNS:localhost,IP:127.0.0.1,IP:::1");
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
    g_assert_cmpstr(subject, ==, "/O=diemcau/CN=diemcau-signal hatinh");
    g_assert_cmpint(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), ==, 0);
    EVP_PKEY *pub = X509_get0_pubkey(x);
    g_assert_cmpint(EVP_PKEY_get_base_id(pub), ==, EVP_PKEY_EC);
    char curve[64] = "";
    size_t curve_len = 0;
    g_assert_cmpint(EVP_PKEY_get_utf8_string_param(pub, "group", curve, sizeof curve, &curve_len),
                    ==, 1);
    g_assert_cmpstr(curve, ==, "prime256v1");
    g_assert_cmpint(X509_verify(x, pub), ==, 1); /* self-signed */
    /* A server certificate, not a CA. */
    g_assert_cmpint(X509_check_ca(x), ==, 0);
    g_assert_cmpint(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), ==, 1);
    /* Valid from an hour before now for 825 days. */
    int days = 0, secs = 0;
    ASN1_TIME *t0 = ASN1_TIME_new();
    ASN1_TIME_set(t0, (time_t)now);
    g_assert_cmpint(ASN1_TIME_diff(&days, &secs, t0, X509_get0_notBefore(x)), ==, 1);
    g_assert_cmpint(days, ==, 0);
    g_assert_cmpint(secs, ==, -3600);
    g_assert_cmpint(ASN1_TIME_diff(&days, &secs, t0, X509_get0_notAfter(x)), ==, 1);
    g_assert_cmpint(days, ==, 825);
    g_assert_cmpint(secs, ==, 0);
    ASN1_TIME_free(t0);
    X509_free(x);

    /* Two certificates never share a fingerprint (new key, new serial). */
    g_autofree char *cert2 = g_build_filename(t.dir, "b.crt", NULL);
    g_autofree char *key2 = g_build_filename(t.dir, "b.key", NULL);
    g_assert_true(dc_signal_tls_generate(cert2, key2, "x", names, now, &error));
    g_autofree char *fp2 = dc_tls_file_fingerprint(cert2, &error);
    g_assert_cmpstr(fp2, !=, fp);
    tmp_clear(&t);
}

/* A config in @dir with TLS on and, when @extra, more [signaling] keys. */
static dc_config *tls_config(const char *dir, const char *extra)
{
    g_autofree char *text = g_strdup_printf(MEETING "[signaling]\ntls = on\n%s" CHAIR, extra);
    g_autofree char *path = g_build_filename(dir, "m.ini", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    g_autoptr(GError) error = NULL;
    dc_config *cfg = dc_config_load(path, &error);
    g_assert_no_error(error);
    return cfg;
}

static void test_load(void)
{
    tmp t;
    tmp_init(&t);
    g_autoptr(dc_config) cfg = tls_config(t.dir, "");
    g_assert_cmpstr(cfg->tls_certificate, ==, t.cert);

    /* First start: made, printed. */
    bool generated = false;
    g_autoptr(GError) error = NULL;
    g_autoptr(GTlsCertificate) c1 = dc_signal_tls_load(cfg, &generated, &error);
    g_assert_no_error(error);
    g_assert_true(generated);
    g_autofree char *line = dc_signal_tls_describe(c1, cfg->tls_certificate, generated);
    g_test_message("%s", line);
    g_autofree char *fp = dc_tls_certificate_fingerprint(c1);
    g_assert_true(g_str_has_prefix(line, "TLS certificate "));
    g_assert_nonnull(strstr(line, "(self-signed, made now, valid until "));
    g_assert_true(g_str_has_suffix(line, fp));

    /* Next start: the same certificate, not made again. */
    g_autoptr(GTlsCertificate) c2 = dc_signal_tls_load(cfg, &generated, &error);
    g_assert_no_error(error);
    g_assert_false(generated);
    g_autofree char *fp2 = dc_tls_certificate_fingerprint(c2);
    g_assert_cmpstr(fp, ==, fp2);

    /* Half a pair is an error, never a silent new certificate. */
    g_assert_cmpint(g_unlink(t.key), ==, 0);
    g_autoptr(GTlsCertificate) c3 = dc_signal_tls_load(cfg, &generated, &error);
    g_assert_null(c3);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "tls_key"));
    g_assert_nonnull(strstr(error->message, "is missing while"));
    g_clear_error(&error);

    /* A certificate named in the config is never made. */
    g_autoptr(dc_config) named =
        tls_config(t.dir, "tls_certificate = prov.crt\ntls_key = prov.key\n");
    g_autoptr(GTlsCertificate) c4 = dc_signal_tls_load(named, &generated, &error);
    g_assert_null(c4);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "prov.crt"));
    g_assert_false(g_file_test(named->tls_certificate, G_FILE_TEST_EXISTS));
    g_clear_error(&error);

    /* Not PEM. */
    g_assert_true(g_file_set_contents(named->tls_certificate, "junk\n", -1, NULL));
    g_assert_true(g_file_set_contents(named->tls_key, "junk\n", -1, NULL));
    g_autoptr(GTlsCertificate) c5 = dc_signal_tls_load(named, &generated, &error);
    g_assert_null(c5);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "[signaling] tls_certificate"));
    tmp_clear(&t);
}

/* ------------------------------------------------------------------------ */
/* Client options                                                           */

static void test_verify_options(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_tls_verify) none = dc_tls_verify_new(NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(none);
    const char *pin = "ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:96:17:7a:9c:b4:"
                      "10:ff:61:f2:00:15:ad";
    g_autoptr(dc_tls_verify) pinned = dc_tls_verify_new(NULL, pin, &error);
    g_assert_no_error(error);

    g_autoptr(dc_tls_verify) bad = dc_tls_verify_new(NULL, "12:34", &error);
    g_assert_null(bad);
    g_assert_nonnull(strstr(error->message, "--pin “12:34” is not a SHA-256 fingerprint"));
    g_clear_error(&error);
    g_autoptr(dc_tls_verify) both = dc_tls_verify_new("/etc/hostname", pin, &error);
    g_assert_null(both);
    g_assert_nonnull(strstr(error->message, "not both"));
    g_clear_error(&error);
    g_autoptr(dc_tls_verify) missing = dc_tls_verify_new("/nonexistent/ca.pem", NULL, &error);
    g_assert_null(missing);
    g_assert_nonnull(strstr(error->message, "--ca-file /nonexistent/ca.pem"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tls/decide", test_decide);
    g_test_add_func("/tls/config/defaults", test_config_defaults);
    g_test_add_func("/tls/config/keys", test_config_keys);
    g_test_add_func("/tls/config/bad", test_config_bad);
    g_test_add_func("/tls/fingerprint", test_fingerprint_format);
    g_test_add_func("/tls/names", test_names);
    g_test_add_func("/tls/generate", test_generate);
    g_test_add_func("/tls/load", test_load);
    g_test_add_func("/tls/verify-options", test_verify_options);
    return g_test_run();
}
