/* dtls: DTLS-SRTP over OpenSSL 3 through custom in-memory BIOs; see dtls.h.
 *
 * Two small BIO types stand between OpenSSL and the caller:
 *  - the read BIO hands OpenSSL exactly the one datagram being fed;
 *  - the write BIO packs the records OpenSSL writes into datagrams of at most
 *    DC_DTLS_MTU bytes. It behaves like a buffered datagram BIO: BIO_wpending
 *    reports the open datagram so OpenSSL sizes fragments to fit what is
 *    left, and BIO_flush (or dc_dtls_poll_datagram) closes it. A plain
 *    BIO_s_mem would glue records together and break the MTU accounting, and
 *    BIO_s_dgram_pair only exists from OpenSSL 3.2.
 *
 * Timers. OpenSSL 3.0 keeps the DTLS retransmission deadline as a wall-clock
 * timeval it compares with gettimeofday(); DTLSv1_handle_timeout() does
 * nothing until that real time has passed. We keep our own deadline on the
 * caller's clock: OpenSSL calls timer_cb() whenever it arms the timer for a
 * new flight (previous duration 0) or doubles it after a timeout, and we set
 * deadline = now_us + duration there (now_us is stored before every OpenSSL
 * call). When the caller reaches the deadline, dc_dtls_handle_timeout() makes
 * OpenSSL's own timer due and calls DTLSv1_handle_timeout(). OpenSSL 3.0.x
 * announces the address of its deadline through the read BIO's
 * BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT; we set it to a past instant right before
 * DTLSv1_handle_timeout(), which then restarts it from its own clock. With
 * later OpenSSL versions (which pass a copy) this is skipped and the two
 * clocks, both running at real speed in production, expire together; only a
 * hand-advanced test clock would then see no retransmission.
 */
#include "core/dtls.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define SRTP_LABEL "EXTRACTOR-dtls_srtp"
#define FP_LEN 32 /* SHA-256 */
#define ERROR_LEN 384

struct dc_dtls_cert {
    SSL_CTX *ctx; /* holds the certificate and key; shared by connections */
    char fingerprint[DC_DTLS_FINGERPRINT_LEN];
};

struct dc_dtls {
    SSL *ssl; /* owns both BIOs */
    dc_dtls_role role;
    dc_dtls_state state;
    bool handshake_done;

    /* Caller's clock, as of the current call, and our retransmission deadline. */
    int64_t now_us;
    int64_t deadline_us;
    struct timeval *ossl_deadline; /* OpenSSL 3.0 only, see the top comment */

    /* Datagram being fed (read BIO), borrowed for the duration of one call. */
    const uint8_t *in;
    size_t in_len;

    /* Outgoing datagrams: closed ones in order, plus the one being filled. */
    GQueue out;
    GByteArray *open;

    /* Fingerprints: the one announced in SDP and the one of the certificate
     * the peer presented. */
    uint8_t expected_fp[FP_LEN];
    uint8_t peer_fp[FP_LEN];
    bool have_expected;
    bool have_peer;

    uint64_t dropped; /* datagrams refused before reaching OpenSSL */
    char error[ERROR_LEN];
};

/* ---- errors and state ---- */

static void set_error(dc_dtls *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Records the first reason for failure; later ones are consequences. */
static void set_error(dc_dtls *d, const char *fmt, ...)
{
    if (d->error[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->error, sizeof d->error, fmt, ap);
    va_end(ap);
}

static int fail(dc_dtls *d)
{
    d->state = DC_DTLS_STATE_FAILED;
    d->deadline_us = DC_DTLS_NO_TIMEOUT;
    ERR_clear_error();
    return -EPROTO;
}

/* Fails with the reason OpenSSL left on its error queue. */
static int fail_ssl(dc_dtls *d, const char *what, int ssl_err)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    if (reason != NULL)
        set_error(d, "DTLS %s failed: %s", what, reason);
    else
        set_error(d, "DTLS %s failed (SSL error %d)", what, ssl_err);
    return fail(d);
}

const char *dc_dtls_state_name(dc_dtls_state s)
{
    switch (s) {
    case DC_DTLS_STATE_NEW:
        return "new";
    case DC_DTLS_STATE_CONNECTING:
        return "connecting";
    case DC_DTLS_STATE_CONNECTED:
        return "connected";
    case DC_DTLS_STATE_FAILED:
        return "failed";
    case DC_DTLS_STATE_CLOSED:
        return "closed";
    }
    return "unknown";
}

dc_dtls_state dc_dtls_get_state(const dc_dtls *d)
{
    return d->state;
}

const char *dc_dtls_error(const dc_dtls *d)
{
    return d->error[0] != '\0' ? d->error : NULL;
}

/* ---- fingerprints ---- */

static void format_fp(const uint8_t fp[FP_LEN], char out[DC_DTLS_FINGERPRINT_LEN])
{
    static const char hex[] = "0123456789ABCDEF";
    char *p = out + sprintf(out, "sha-256 ");
    for (size_t i = 0; i < FP_LEN; i++) {
        if (i > 0)
            *p++ = ':';
        *p++ = hex[fp[i] >> 4];
        *p++ = hex[fp[i] & 15];
    }
    *p = '\0';
}

/* Parses "sha-256 AB:CD:..." into fp. Returns 0, -EINVAL or -ENOTSUP. */
static int parse_fp(const char *s, uint8_t fp[FP_LEN])
{
    while (*s == ' ' || *s == '\t')
        s++;
    const char *sp = strchr(s, ' ');
    if (sp == NULL)
        return -EINVAL;
    if ((size_t)(sp - s) != 7 || g_ascii_strncasecmp(s, "sha-256", 7) != 0)
        return -ENOTSUP;
    s = sp;
    while (*s == ' ')
        s++;
    for (size_t i = 0; i < FP_LEN; i++) {
        if (i > 0 && *s++ != ':')
            return -EINVAL;
        int hi = g_ascii_xdigit_value(s[0]);
        int lo = hi < 0 ? -1 : g_ascii_xdigit_value(s[1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        fp[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == '\0' ? 0 : -EINVAL;
}

static void fp_mismatch(dc_dtls *d)
{
    char want[DC_DTLS_FINGERPRINT_LEN], got[DC_DTLS_FINGERPRINT_LEN];
    format_fp(d->expected_fp, want);
    format_fp(d->peer_fp, got);
    set_error(d, "DTLS peer certificate does not match the SDP fingerprint: expected %s, got %s",
              want, got);
}

/* Replaces OpenSSL's chain verification: WebRTC certificates are self-signed
 * and authenticated by the SDP fingerprint alone. Records the peer's
 * fingerprint and rejects the certificate if an expected one is known and
 * differs; if none is known yet the check happens in
 * dc_dtls_set_remote_fingerprint(). */
static int verify_cb(X509_STORE_CTX *xs, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    dc_dtls *d = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
    X509 *peer = X509_STORE_CTX_get0_cert(xs);
    unsigned int n = 0;
    if (d == NULL || peer == NULL || !X509_digest(peer, EVP_sha256(), d->peer_fp, &n) ||
        n != FP_LEN) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
    d->have_peer = true;
    if (d->have_expected && memcmp(d->expected_fp, d->peer_fp, FP_LEN) != 0) {
        fp_mismatch(d);
        X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    return 1;
}

/* ---- certificate ---- */

static X509 *make_cert(EVP_PKEY *key, int64_t unix_time_s)
{
    X509 *x = X509_new();
    uint64_t serial;
    time_t t = (time_t)unix_time_s;
    if (x == NULL || RAND_bytes((unsigned char *)&serial, sizeof serial) != 1)
        goto fail;
    serial &= INT64_MAX; /* positive */
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_set_version(x, 2) || !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) ||
        !X509_time_adj_ex(X509_getm_notBefore(x), -1, 0, &t) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), 365, 0, &t) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"diemcau", -1,
                                    -1, 0) ||
        !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key) ||
        !X509_sign(x, key, EVP_sha256()))
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

static SSL_CTX *make_ctx(X509 *x, EVP_PKEY *key)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, verify_cb, NULL);
    /* Chromium with OpenSSL 3.0 peers ends up at DTLS 1.2: pin it. */
    if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305") ||
        !SSL_CTX_set1_groups_list(ctx, "X25519:P-256") ||
        /* returns 0 on success */
        SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0 ||
        SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

dc_dtls_cert *dc_dtls_cert_new(int64_t unix_time_s)
{
    dc_dtls_cert *c = NULL;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key != NULL ? make_cert(key, unix_time_s) : NULL;
    SSL_CTX *ctx = x != NULL ? make_ctx(x, key) : NULL;
    uint8_t fp[FP_LEN];
    unsigned int n = 0;
    if (ctx != NULL && X509_digest(x, EVP_sha256(), fp, &n) && n == FP_LEN) {
        c = g_new0(dc_dtls_cert, 1);
        c->ctx = ctx;
        format_fp(fp, c->fingerprint);
        ctx = NULL;
    }
    SSL_CTX_free(ctx);
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return c;
}

void dc_dtls_cert_free(dc_dtls_cert *c)
{
    if (c == NULL)
        return;
    SSL_CTX_free(c->ctx);
    g_free(c);
}

const char *dc_dtls_cert_fingerprint(const dc_dtls_cert *c)
{
    return c->fingerprint;
}

/* ---- BIOs ---- */

/* OpenSSL 3.0.x passes &s->d1->next_timeout (a struct timeval) to the read
 * BIO; later versions pass a temporary copy, which must not be kept. */
static bool can_force_timer(void)
{
    return OpenSSL_version_num() < 0x30100000L;
}

bool dc_dtls_timer_follows_caller_clock(void)
{
    return can_force_timer();
}

static void close_datagram(dc_dtls *d)
{
    if (d->open->len == 0)
        return;
    g_queue_push_tail(&d->out, g_byte_array_free_to_bytes(d->open));
    d->open = g_byte_array_sized_new(DC_DTLS_MTU);
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int rbio_read(BIO *b, char *buf, int cap)
{
    dc_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (d == NULL || d->in == NULL || cap < 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    /* A datagram larger than the read buffer is truncated, as a socket does. */
    size_t n = MIN(d->in_len, (size_t)cap);
    memcpy(buf, d->in, n);
    d->in = NULL;
    d->in_len = 0;
    return (int)n;
}

static long rbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    dc_dtls *d = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        if (d != NULL && can_force_timer())
            d->ossl_deadline = ptr;
        return 1;
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return d != NULL && d->in != NULL ? (long)d->in_len : 0;
    default:
        return 0;
    }
}

static int wbio_write(BIO *b, const char *buf, int len)
{
    dc_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (d == NULL || len <= 0)
        return len < 0 ? -1 : 0;
    /* OpenSSL sizes records to the room left (BIO_CTRL_WPENDING), so this
     * only closes a datagram early for records it does not fragment. */
    if (d->open->len > 0 && d->open->len + (size_t)len > DC_DTLS_MTU)
        close_datagram(d);
    g_byte_array_append(d->open, (const guint8 *)buf, (guint)len);
    return len;
}

static long wbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    dc_dtls *d = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        if (d != NULL)
            close_datagram(d);
        return 1;
    case BIO_CTRL_WPENDING:
        return d != NULL ? (long)d->open->len : 0;
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return DC_DTLS_MTU;
    default:
        return 0;
    }
}

static BIO_METHOD *rbio_method;
static BIO_METHOD *wbio_method;

/* Creates the two BIO types once per process (they are never freed). */
static bool init_methods(void)
{
    static gsize done;
    if (g_once_init_enter(&done)) {
        rbio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dc_dtls_in");
        wbio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dc_dtls_out");
        if (rbio_method != NULL && wbio_method != NULL) {
            BIO_meth_set_create(rbio_method, bio_create);
            BIO_meth_set_read(rbio_method, rbio_read);
            BIO_meth_set_ctrl(rbio_method, rbio_ctrl);
            BIO_meth_set_create(wbio_method, bio_create);
            BIO_meth_set_write(wbio_method, wbio_write);
            BIO_meth_set_ctrl(wbio_method, wbio_ctrl);
        }
        g_once_init_leave(&done, 1);
    }
    return rbio_method != NULL && wbio_method != NULL;
}

/* ---- timers ---- */

/* Called by OpenSSL when it arms the timer for a new flight (prev_us == 0) or
 * after a timeout (prev_us is the duration we returned last). */
static unsigned int timer_cb(SSL *ssl, unsigned int prev_us)
{
    dc_dtls *d = SSL_get_app_data(ssl);
    unsigned int next =
        prev_us == 0 ? DC_DTLS_INITIAL_RTO_US : MIN(prev_us, DC_DTLS_MAX_RTO_US / 2) * 2;
    d->deadline_us = d->now_us + next;
    return next;
}

/* After every OpenSSL call: forget our deadline once OpenSSL stopped its
 * timer (flight acknowledged, handshake over). */
static void sync_timer(dc_dtls *d)
{
    struct timeval tv;
    if (d->state == DC_DTLS_STATE_FAILED || d->state == DC_DTLS_STATE_CLOSED ||
        !DTLSv1_get_timeout(d->ssl, &tv))
        d->deadline_us = DC_DTLS_NO_TIMEOUT;
}

/* ---- handshake ---- */

/* The handshake finished: check what was negotiated, then the fingerprint. */
static int handshake_done(dc_dtls *d)
{
    d->handshake_done = true;
    if (SSL_get_selected_srtp_profile(d->ssl) == NULL) {
        set_error(d, "DTLS peer did not negotiate an SRTP profile (use_srtp)");
        return fail(d);
    }
    if (!d->have_peer) {
        set_error(d, "DTLS peer sent no certificate");
        return fail(d);
    }
    if (d->have_expected)
        d->state = DC_DTLS_STATE_CONNECTED; /* verify_cb compared them */
    return 0;
}

/* Processes records after the handshake: alerts, retransmitted flights,
 * application data (discarded: no data channels here). */
static int read_records(dc_dtls *d)
{
    uint8_t scratch[2048];
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(d->ssl, scratch, sizeof scratch);
        if (r > 0)
            continue;
        int e = SSL_get_error(d->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return 0;
        if (e == SSL_ERROR_ZERO_RETURN) {
            set_error(d, "DTLS peer sent close_notify");
            d->state = DC_DTLS_STATE_CLOSED;
            return 0;
        }
        return fail_ssl(d, "connection", e);
    }
}

/* Runs OpenSSL as far as the input allows. */
static int advance(dc_dtls *d)
{
    int rc = 0;
    if (!d->handshake_done) {
        ERR_clear_error();
        int r = SSL_do_handshake(d->ssl);
        if (r == 1) {
            rc = handshake_done(d);
        } else {
            int e = SSL_get_error(d->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                rc = fail_ssl(d, "handshake", e);
        }
    }
    if (rc == 0 && d->handshake_done)
        rc = read_records(d);
    sync_timer(d);
    return rc;
}

/* ---- input filter ---- */

static size_t be16(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

static size_t be24(const uint8_t *p)
{
    return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

/* True if buf is a sequence of well-framed DTLS records, and every plaintext
 * handshake fragment in it is consistent. OpenSSL drops most bad records by
 * itself, but treats a malformed epoch-0 handshake message as fatal; random
 * or spoofed junk must not be able to kill a handshake (RFC 6347 4.1.2.7:
 * invalid records are silently discarded). */
static bool plausible(const uint8_t *p, size_t len)
{
    enum { RT_HEADER = 13, HM_HEADER = 12 };
    while (len > 0) {
        if (len < RT_HEADER || p[0] < 20 || p[0] > 25 || p[1] != 0xfe ||
            (p[2] != 0xfd && p[2] != 0xff))
            return false;
        size_t rlen = be16(p + 11);
        if (rlen == 0 || rlen > len - RT_HEADER)
            return false;
        if (p[0] == 22 && be16(p + 3) == 0) {
            const uint8_t *h = p + RT_HEADER;
            size_t left = rlen;
            while (left > 0) {
                if (left < HM_HEADER)
                    return false;
                size_t msg_len = be24(h + 1), off = be24(h + 6), frag = be24(h + 9);
                if (frag > left - HM_HEADER || off + frag > msg_len)
                    return false;
                h += HM_HEADER + frag;
                left -= HM_HEADER + frag;
            }
        }
        p += RT_HEADER + rlen;
        len -= RT_HEADER + rlen;
    }
    return true;
}

uint64_t dc_dtls_dropped(const dc_dtls *d)
{
    return d->dropped;
}

/* ---- public API ---- */

dc_dtls *dc_dtls_new(const dc_dtls_cert *c)
{
    if (c == NULL || !init_methods())
        return NULL;
    SSL *ssl = SSL_new(c->ctx);
    BIO *rb = BIO_new(rbio_method);
    BIO *wb = BIO_new(wbio_method);
    if (ssl == NULL || rb == NULL || wb == NULL) {
        SSL_free(ssl);
        BIO_free(rb);
        BIO_free(wb);
        ERR_clear_error();
        return NULL;
    }
    dc_dtls *d = g_new0(dc_dtls, 1);
    d->ssl = ssl;
    d->state = DC_DTLS_STATE_NEW;
    d->deadline_us = DC_DTLS_NO_TIMEOUT;
    g_queue_init(&d->out);
    d->open = g_byte_array_sized_new(DC_DTLS_MTU);
    BIO_set_data(rb, d);
    BIO_set_data(wb, d);
    SSL_set_bio(ssl, rb, wb);
    SSL_set_app_data(ssl, d);
    SSL_set_mtu(ssl, DC_DTLS_MTU);
    DTLS_set_timer_cb(ssl, timer_cb);
    return d;
}

void dc_dtls_free(dc_dtls *d)
{
    if (d == NULL)
        return;
    d->ossl_deadline = NULL;
    SSL_free(d->ssl); /* frees the BIOs, which point at d */
    g_queue_clear_full(&d->out, (GDestroyNotify)g_bytes_unref);
    g_byte_array_unref(d->open);
    g_free(d);
}

int dc_dtls_set_remote_fingerprint(dc_dtls *d, const char *fingerprint)
{
    uint8_t fp[FP_LEN];
    int rc = fingerprint != NULL ? parse_fp(fingerprint, fp) : -EINVAL;
    if (rc < 0)
        return rc;
    memcpy(d->expected_fp, fp, FP_LEN);
    d->have_expected = true;
    if (!d->have_peer || d->state == DC_DTLS_STATE_FAILED || d->state == DC_DTLS_STATE_CLOSED)
        return 0;
    if (memcmp(d->expected_fp, d->peer_fp, FP_LEN) != 0) {
        fp_mismatch(d);
        return fail(d);
    }
    if (d->handshake_done && d->state == DC_DTLS_STATE_CONNECTING)
        d->state = DC_DTLS_STATE_CONNECTED;
    return 0;
}

int dc_dtls_start(dc_dtls *d, dc_dtls_role role, int64_t now_us)
{
    if (d->state != DC_DTLS_STATE_NEW)
        return -EALREADY;
    d->role = role;
    d->state = DC_DTLS_STATE_CONNECTING;
    d->now_us = now_us;
    if (role == DC_DTLS_ROLE_CLIENT)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    return advance(d);
}

int dc_dtls_feed(dc_dtls *d, const uint8_t *buf, size_t len, int64_t now_us)
{
    if (buf == NULL || len == 0 || len > INT_MAX)
        return -EINVAL;
    if (d->state == DC_DTLS_STATE_NEW)
        return -EAGAIN;
    if (d->state == DC_DTLS_STATE_FAILED || d->state == DC_DTLS_STATE_CLOSED)
        return -ENOTCONN;
    if (!plausible(buf, len)) {
        d->dropped++;
        return 0;
    }
    d->now_us = now_us;
    d->in = buf;
    d->in_len = len;
    int rc = advance(d);
    d->in = NULL;
    d->in_len = 0;
    return rc;
}

int64_t dc_dtls_next_timeout(const dc_dtls *d)
{
    return d->deadline_us;
}

int dc_dtls_handle_timeout(dc_dtls *d, int64_t now_us)
{
    if (d->deadline_us == DC_DTLS_NO_TIMEOUT || now_us < d->deadline_us)
        return 0;
    if (d->state != DC_DTLS_STATE_CONNECTING) {
        d->deadline_us = DC_DTLS_NO_TIMEOUT;
        return 0;
    }
    d->now_us = now_us;
    struct timeval *t = d->ossl_deadline;
    if (t != NULL && (t->tv_sec != 0 || t->tv_usec != 0)) {
        t->tv_sec = 1; /* 1970: due */
        t->tv_usec = 0;
    }
    ERR_clear_error();
    int r = DTLSv1_handle_timeout(d->ssl);
    if (r < 0)
        return fail_ssl(d, "handshake", SSL_ERROR_SSL);
    if (r == 0) {
        /* OpenSSL's timer is not due on its own clock (no forcing on this
         * OpenSSL version): wait for what it says is left. */
        struct timeval tv;
        if (DTLSv1_get_timeout(d->ssl, &tv))
            d->deadline_us = now_us + MAX((int64_t)tv.tv_sec * 1000000 + tv.tv_usec, 1000);
        else
            d->deadline_us = DC_DTLS_NO_TIMEOUT;
        return 0;
    }
    return advance(d);
}

int dc_dtls_poll_datagram(dc_dtls *d, uint8_t *buf, size_t cap)
{
    close_datagram(d);
    GBytes *b = g_queue_peek_head(&d->out);
    if (b == NULL)
        return 0;
    size_t n = g_bytes_get_size(b);
    if (cap < n)
        return -ENOSPC;
    memcpy(buf, g_bytes_get_data(b, NULL), n);
    g_bytes_unref(g_queue_pop_head(&d->out));
    return (int)n;
}

int dc_dtls_close(dc_dtls *d)
{
    if (d->state == DC_DTLS_STATE_FAILED || d->state == DC_DTLS_STATE_CLOSED)
        return -ENOTCONN;
    if (d->handshake_done) {
        ERR_clear_error();
        SSL_shutdown(d->ssl);
        ERR_clear_error();
    }
    d->state = DC_DTLS_STATE_CLOSED;
    d->deadline_us = DC_DTLS_NO_TIMEOUT;
    return 0;
}

int dc_dtls_export_srtp_keys(const dc_dtls *d, dc_srtp_keys *keys)
{
    if (d->state != DC_DTLS_STATE_CONNECTED)
        return -ENOTCONN;
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    dc_srtp_profile profile = p != NULL ? (dc_srtp_profile)p->id : 0;
    size_t kl = dc_srtp_key_len(profile), sl = dc_srtp_salt_len(profile);
    if (kl == 0)
        return -ENOTSUP;
    uint8_t m[2 * (DC_SRTP_MAX_KEY_LEN + DC_SRTP_MAX_SALT_LEN)];
    size_t mlen = 2 * (kl + sl);
    if (SSL_export_keying_material(d->ssl, m, mlen, SRTP_LABEL, strlen(SRTP_LABEL), NULL, 0, 0) !=
        1) {
        ERR_clear_error();
        return -EIO;
    }
    /* RFC 5764 4.2: client_key | server_key | client_salt | server_salt. */
    const uint8_t *ck = m, *sk = m + kl, *cs = m + 2 * kl, *ss = m + 2 * kl + sl;
    bool client = d->role == DC_DTLS_ROLE_CLIENT;
    memset(keys, 0, sizeof *keys);
    keys->profile = profile;
    memcpy(keys->local_key, client ? ck : sk, kl);
    memcpy(keys->local_salt, client ? cs : ss, sl);
    memcpy(keys->remote_key, client ? sk : ck, kl);
    memcpy(keys->remote_salt, client ? ss : cs, sl);
    OPENSSL_cleanse(m, sizeof m);
    return 0;
}
