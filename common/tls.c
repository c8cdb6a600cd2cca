/* common/tls: the HTTPS rule and certificate fingerprints. See tls.h. */
#include "common/tls.h"

#include <string.h>

bool dc_tls_address_is_loopback(const char *address)
{
    g_autoptr(GInetAddress) a = address ? g_inet_address_new_from_string(address) : NULL;
    return a && g_inet_address_get_is_loopback(a);
}

dc_tls_decision dc_tls_decide(const char *address, dc_tls_mode mode)
{
    switch (mode) {
    case DC_TLS_ON:
        return DC_TLS_HTTPS;
    case DC_TLS_OFF:
        return DC_TLS_PLAIN_EXPLICIT;
    case DC_TLS_AUTO:
        break;
    }
    return dc_tls_address_is_loopback(address) ? DC_TLS_PLAIN_LOOPBACK : DC_TLS_HTTPS;
}

const char *dc_tls_scheme(const dc_config *cfg)
{
    return dc_tls_decide(cfg->signal_address, cfg->tls) == DC_TLS_HTTPS ? "https" : "http";
}

char *dc_tls_fingerprint(const uint8_t *der, size_t len)
{
    uint8_t digest[DC_TLS_FINGERPRINT_LEN];
    gsize n = sizeof digest;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, der, len);
    g_checksum_get_digest(sum, digest, &n);
    GString *s = g_string_sized_new(3 * DC_TLS_FINGERPRINT_LEN);
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(s, "%s%02X", i ? ":" : "", digest[i]);
    }
    return g_string_free(s, FALSE);
}

char *dc_tls_certificate_fingerprint(GTlsCertificate *cert)
{
    g_autoptr(GByteArray) der = NULL;
    g_object_get(cert, "certificate", &der, NULL);
    return der ? dc_tls_fingerprint(der->data, der->len) : NULL;
}

char *dc_tls_file_fingerprint(const char *path, GError **error)
{
    g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_file(path, error);
    if (!cert) {
        return NULL;
    }
    char *fp = dc_tls_certificate_fingerprint(cert);
    if (!fp) {
        g_set_error(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "%s: no certificate", path);
    }
    return fp;
}

bool dc_tls_fingerprint_parse(const char *text, uint8_t out[DC_TLS_FINGERPRINT_LEN])
{
    if (!text) {
        return false;
    }
    size_t len = strlen(text);
    bool colons = len == 3 * DC_TLS_FINGERPRINT_LEN - 1;
    if (!colons && len != 2 * DC_TLS_FINGERPRINT_LEN) {
        return false;
    }
    const char *p = text;
    for (size_t i = 0; i < DC_TLS_FINGERPRINT_LEN; i++) {
        if (colons && i > 0 && *p++ != ':') {
            return false;
        }
        int hi = g_ascii_xdigit_value(p[0]);
        int lo = hi < 0 ? -1 : g_ascii_xdigit_value(p[1]);
        if (lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return true;
}
