/* common/control-auth: the control link's HMAC header and shared secret.
 * See control-auth.h. */
#include "common/control-auth.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEME "DC-HMAC"
#define LABEL "diemcau-control\n"
#define EMPTY_RETRY_US (2 * G_USEC_PER_SEC)
#define EMPTY_STEP_US (50 * 1000)

const char *dc_control_auth_result_name(dc_control_auth_result r)
{
    switch (r) {
    case DC_CONTROL_AUTH_OK:
        return "ok";
    case DC_CONTROL_AUTH_MISSING:
        return "no Authorization header";
    case DC_CONTROL_AUTH_MALFORMED:
        return "malformed Authorization header";
    case DC_CONTROL_AUTH_STALE:
        return "timestamp more than 60 s off";
    case DC_CONTROL_AUTH_BAD_MAC:
        return "bad mac (another secret?)";
    case DC_CONTROL_AUTH_REPLAYED:
        return "nonce replayed";
    case DC_CONTROL_AUTH_FULL:
        return "too many recent nonces";
    }
    return "?";
}

/* ---- parsing ---- */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static bool take(cursor *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Exactly n hex digits, followed by the end, a comma or whitespace. */
static bool take_hex(cursor *c, size_t n, char *lower, uint8_t *bytes)
{
    if ((size_t)(c->end - c->p) < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int v = hex_value(c->p[i]);
        if (v < 0)
            return false;
        if (lower)
            lower[i] = "0123456789abcdef"[v];
        if (bytes) {
            if (i % 2 == 0)
                bytes[i / 2] = (uint8_t)(v << 4);
            else
                bytes[i / 2] |= (uint8_t)v;
        }
    }
    c->p += n;
    if (lower)
        lower[n] = '\0';
    return c->p == c->end || *c->p == ',' || *c->p == ' ' || *c->p == '\t';
}

/* 1 to 12 decimal digits (unix seconds up to year 33658). */
static bool take_time(cursor *c, int64_t *t)
{
    int64_t v = 0;
    size_t n = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < 12) {
        v = v * 10 + (*c->p - '0');
        c->p++;
        n++;
    }
    if (n == 0 || (c->p < c->end && *c->p >= '0' && *c->p <= '9'))
        return false;
    *t = v;
    return true;
}

static bool take_comma(cursor *c)
{
    skip_ws(c);
    if (!take(c, ","))
        return false;
    skip_ws(c);
    return true;
}

int dc_control_auth_parse(const char *text, size_t len, dc_control_auth_header *out)
{
    if (!text || !out)
        return -EBADMSG;
    cursor c = {text, text + len};
    skip_ws(&c);
    if (!take(&c, SCHEME) || c.p == c.end || (*c.p != ' ' && *c.p != '\t'))
        return -EBADMSG;
    skip_ws(&c);
    if (!take(&c, "t=") || !take_time(&c, &out->t) || !take_comma(&c))
        return -EBADMSG;
    if (!take(&c, "n=") || !take_hex(&c, DC_CONTROL_AUTH_NONCE_HEX, out->nonce, NULL) ||
        !take_comma(&c))
        return -EBADMSG;
    if (!take(&c, "mac=") || !take_hex(&c, 64, NULL, out->mac))
        return -EBADMSG;
    skip_ws(&c);
    return c.p == c.end ? 0 : -EBADMSG;
}

/* ---- signing ---- */

void dc_control_auth_mac(const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], int64_t t,
                         const char *nonce, uint8_t mac[32])
{
    char msg[sizeof LABEL + 24 + DC_CONTROL_AUTH_NONCE_HEX + 1];
    int n = g_snprintf(msg, sizeof msg, LABEL "%" G_GINT64_FORMAT "\n%s", t, nonce);
    unsigned out_len = 32;
    HMAC(EVP_sha256(), secret, DC_CONTROL_AUTH_SECRET_LEN, (const unsigned char *)msg,
         (size_t)MIN(n, (int)sizeof msg - 1), mac, &out_len);
}

char *dc_control_auth_format(const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], int64_t now_s,
                             const uint8_t nonce[16])
{
    char n[DC_CONTROL_AUTH_NONCE_HEX + 1], m[65];
    for (int i = 0; i < 16; i++)
        g_snprintf(n + 2 * i, 3, "%02x", nonce[i]);
    uint8_t mac[32];
    dc_control_auth_mac(secret, now_s, n, mac);
    for (int i = 0; i < 32; i++)
        g_snprintf(m + 2 * i, 3, "%02x", mac[i]);
    return g_strdup_printf(SCHEME " t=%" G_GINT64_FORMAT ", n=%s, mac=%s", now_s, n, m);
}

char *dc_control_auth_sign(const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], int64_t now_s)
{
    uint8_t nonce[16];
    if (RAND_bytes(nonce, sizeof nonce) != 1)
        g_error("RAND_bytes failed: no randomness for the control link's nonce");
    return dc_control_auth_format(secret, now_s, nonce);
}

/* ---- verifying ---- */

typedef struct {
    char nonce[DC_CONTROL_AUTH_NONCE_HEX + 1];
    int64_t seen_s;
} replay_entry;

struct dc_control_auth_replay {
    unsigned capacity, len;
    replay_entry *entries; /* unordered; aged-out ones removed on each check */
};

dc_control_auth_replay *dc_control_auth_replay_new(unsigned capacity)
{
    dc_control_auth_replay *r = g_new0(dc_control_auth_replay, 1);
    r->capacity = capacity ? capacity : 1;
    r->entries = g_new0(replay_entry, r->capacity);
    return r;
}

void dc_control_auth_replay_free(dc_control_auth_replay *r)
{
    if (!r)
        return;
    g_free(r->entries);
    g_free(r);
}

static void replay_expire(dc_control_auth_replay *r, int64_t now_s)
{
    for (unsigned i = 0; i < r->len;) {
        /* Kept through now = seen + 120 inclusive: a header of t = seen + 60
         * is still fresh then. */
        if (now_s - r->entries[i].seen_s > DC_CONTROL_AUTH_REPLAY_S ||
            r->entries[i].seen_s > now_s + DC_CONTROL_AUTH_REPLAY_S) /* clock stepped back */
            r->entries[i] = r->entries[--r->len];
        else
            i++;
    }
}

dc_control_auth_result dc_control_auth_verify(const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN],
                                              dc_control_auth_replay *replay, const char *header,
                                              int64_t now_s)
{
    if (!header)
        return DC_CONTROL_AUTH_MISSING;
    dc_control_auth_header h;
    if (dc_control_auth_parse(header, strlen(header), &h) < 0)
        return DC_CONTROL_AUTH_MALFORMED;
    if (h.t > now_s + DC_CONTROL_AUTH_MAX_SKEW_S || h.t < now_s - DC_CONTROL_AUTH_MAX_SKEW_S)
        return DC_CONTROL_AUTH_STALE;
    uint8_t mac[32];
    dc_control_auth_mac(secret, h.t, h.nonce, mac);
    if (CRYPTO_memcmp(mac, h.mac, sizeof mac) != 0)
        return DC_CONTROL_AUTH_BAD_MAC;
    replay_expire(replay, now_s);
    for (unsigned i = 0; i < replay->len; i++)
        if (strcmp(replay->entries[i].nonce, h.nonce) == 0)
            return DC_CONTROL_AUTH_REPLAYED;
    if (replay->len >= replay->capacity)
        return DC_CONTROL_AUTH_FULL;
    replay_entry *e = &replay->entries[replay->len++];
    memcpy(e->nonce, h.nonce, sizeof e->nonce);
    e->seen_s = now_s;
    return DC_CONTROL_AUTH_OK;
}

/* ---- the secret file ---- */

static bool fail(GError **error, int code, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static bool fail(GError **error, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, G_FILE_ERROR, code, "control link secret %s: %s", path, what);
    return false;
}

static bool make_secret(const char *path, uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN], int *err,
                        GError **error)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        *err = errno;
        return false;
    }
    if (RAND_bytes(secret, DC_CONTROL_AUTH_SECRET_LEN) != 1) {
        close(fd);
        unlink(path);
        *err = 0;
        return fail(error, G_FILE_ERROR_FAILED, path, "RAND_bytes failed");
    }
    g_autofree char *b64 = g_base64_encode(secret, DC_CONTROL_AUTH_SECRET_LEN);
    g_autofree char *line = g_strconcat(b64, "\n", NULL);
    size_t n = strlen(line);
    /* One write: a reader sees an empty file or the whole line. */
    ssize_t w = write(fd, line, n);
    int werr = errno;
    if (w != (ssize_t)n || fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        *err = 0;
        return fail(error, g_file_error_from_errno(werr), path, "cannot write it: %s",
                    g_strerror(werr));
    }
    *err = 0;
    return true;
}

/* The file's whole contents (at most 255 bytes) after checking its mode. */
static bool read_secret_text(const char *path, char *buf, size_t size, size_t *len, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        return fail(error, g_file_error_from_errno(e), path, "cannot open it: %s", g_strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(error, G_FILE_ERROR_INVAL, path, "not a regular file");
    }
    if (st.st_mode & 077) {
        close(fd);
        return fail(error, G_FILE_ERROR_PERM, path,
                    "mode %04o lets group or others read or write it; chmod 600 %s",
                    (unsigned)(st.st_mode & 07777), path);
    }
    ssize_t n = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return fail(error, g_file_error_from_errno(e), path, "cannot read it: %s", g_strerror(e));
    buf[n] = '\0';
    *len = (size_t)n;
    return true;
}

static bool decode_secret(const char *path, char *text, uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN],
                          GError **error)
{
    g_strstrip(text);
    size_t n = strlen(text);
    bool ok = n == 44 && text[43] == '=' && text[42] != '=';
    for (size_t i = 0; ok && i < 43; i++)
        ok = g_ascii_isalnum(text[i]) || text[i] == '+' || text[i] == '/';
    if (!ok)
        return fail(error, G_FILE_ERROR_INVAL, path,
                    "not the base64 of 32 bytes (remove it to have a new one made, then copy it "
                    "to the other host)");
    gsize out_len = 0;
    g_autofree guchar *raw = g_base64_decode(text, &out_len);
    if (out_len != DC_CONTROL_AUTH_SECRET_LEN)
        return fail(error, G_FILE_ERROR_INVAL, path, "not the base64 of 32 bytes");
    memcpy(secret, raw, DC_CONTROL_AUTH_SECRET_LEN);
    OPENSSL_cleanse(raw, out_len);
    return true;
}

bool dc_control_auth_load_secret(const char *path, uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN],
                                 bool *made, GError **error)
{
    if (made)
        *made = false;
    int64_t deadline = g_get_monotonic_time() + EMPTY_RETRY_US;
    for (;;) {
        int err = 0;
        if (make_secret(path, secret, &err, error)) {
            if (made)
                *made = true;
            return true;
        }
        if (err == 0)
            return false; /* made but not written: error set */
        if (err != EEXIST)
            return fail(error, g_file_error_from_errno(err), path, "cannot create it: %s",
                        g_strerror(err));
        char buf[256];
        size_t len = 0;
        if (!read_secret_text(path, buf, sizeof buf, &len, error))
            return false;
        if (len == 0 && g_get_monotonic_time() < deadline) {
            g_usleep(EMPTY_STEP_US); /* the other program is writing it */
            continue;
        }
        if (len == 0)
            return fail(error, G_FILE_ERROR_INVAL, path,
                        "empty (remove it to have a new one made)");
        bool ok = decode_secret(path, buf, secret, error);
        OPENSSL_cleanse(buf, sizeof buf);
        return ok;
    }
}
