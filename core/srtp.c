/* srtp: libsrtp2 sessions for one transport; see srtp.h. */
#include "core/srtp.h"

#include "core/srtp-openssl.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <srtp2/srtp.h>

G_STATIC_ASSERT(DC_SRTP_MAX_OVERHEAD >= SRTP_MAX_TRAILER_LEN);
G_STATIC_ASSERT(DC_SRTP_MAX_KEY_LEN == SRTP_AES_128_KEY_LEN);
G_STATIC_ASSERT(DC_SRTP_MAX_SALT_LEN == SRTP_SALT_LEN);

/* What we send is spread over SEND_SHARDS libsrtp sessions with the same
 * key, by SSRC: libsrtp 2.5 finds a packet's stream by a linear search of
 * its session's streams, and a bridge sends a receiver two streams per
 * other site (26 in a 14-site meeting), which made that search 5-7 % of
 * the bridge's CPU. An SSRC always maps to the same shard, for its RTP and
 * its RTCP alike, so each stream's rollover counter, SRTCP index and
 * replay state live in one place, as RFC 3711 wants. Received streams are
 * few per peer (a site sends two or three), so one session does. */
#define SEND_SHARDS 8

struct dc_srtp {
    srtp_t send[SEND_SHARDS]; /* ssrc_any_outbound, local key */
    srtp_t recv;              /* ssrc_any_inbound, remote key */
};

static unsigned shard_of(uint32_t ssrc)
{
    return (ssrc * 2654435761u) >> 29; /* Fibonacci hashing: the top 3 bits */
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t dc_srtp_key_len(dc_srtp_profile profile)
{
    switch (profile) {
    case DC_SRTP_AES128_CM_SHA1_80:
    case DC_SRTP_AEAD_AES_128_GCM:
        return SRTP_AES_128_KEY_LEN;
    }
    return 0;
}

size_t dc_srtp_salt_len(dc_srtp_profile profile)
{
    switch (profile) {
    case DC_SRTP_AES128_CM_SHA1_80:
        return SRTP_SALT_LEN;
    case DC_SRTP_AEAD_AES_128_GCM:
        return SRTP_AEAD_SALT_LEN;
    }
    return 0;
}

const char *dc_srtp_profile_name(dc_srtp_profile profile)
{
    switch (profile) {
    case DC_SRTP_AES128_CM_SHA1_80:
        return "SRTP_AES128_CM_SHA1_80";
    case DC_SRTP_AEAD_AES_128_GCM:
        return "SRTP_AEAD_AES_128_GCM";
    }
    return "unknown";
}

/* srtp_init() once per process, then the crypto primitives; libsrtp is
 * never shut down (its crypto kernel is shared by every session of the
 * process). init_status is a srtp_err_status_t; crypto_in_use is valid
 * when it is srtp_err_status_ok. */
static int init_status;
static dc_srtp_crypto crypto_in_use = DC_SRTP_CRYPTO_STOCK;

int dc_srtp_global_init(dc_srtp_crypto want)
{
    static gsize done;
    if (g_once_init_enter(&done)) {
        init_status = srtp_init();
        if (init_status == srtp_err_status_ok && want == DC_SRTP_CRYPTO_OPENSSL) {
            int rc = dc_srtp_openssl_install();
            if (rc == 0)
                crypto_in_use = DC_SRTP_CRYPTO_OPENSSL;
            else
                g_warning("libsrtp refused OpenSSL's crypto (%s); using its stock "
                          "implementation where it did",
                          g_strerror(-rc));
        }
        g_once_init_leave(&done, 1);
    }
    if (init_status != srtp_err_status_ok)
        return -EIO;
    return (int)crypto_in_use;
}

const char *dc_srtp_crypto_name(dc_srtp_crypto c)
{
    return c == DC_SRTP_CRYPTO_OPENSSL ? "openssl" : "stock";
}

static int map_err(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
    case srtp_err_status_cipher_fail:
        return -EBADMSG;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_pkt_idx_old:
        return -EALREADY;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
    case srtp_err_status_no_ctx:
    case srtp_err_status_bad_mki:
        return -EINVAL;
    case srtp_err_status_alloc_fail:
        return -ENOMEM;
    case srtp_err_status_key_expired:
        return -EKEYEXPIRED;
    default:
        return -EIO;
    }
}

/* Creates one session with a single template policy. */
static int make_session(srtp_t *out, dc_srtp_profile profile, srtp_ssrc_type_t dir,
                        const uint8_t *key, const uint8_t *salt)
{
    uint8_t master[SRTP_AES_128_KEY_LEN + SRTP_SALT_LEN];
    size_t klen = dc_srtp_key_len(profile);
    size_t slen = dc_srtp_salt_len(profile);
    srtp_policy_t pol;
    memset(&pol, 0, sizeof pol);

    if (profile == DC_SRTP_AES128_CM_SHA1_80) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
    } else if (profile == DC_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
    } else {
        return -EINVAL;
    }
    memcpy(master, key, klen);
    memcpy(master + klen, salt, slen);
    pol.ssrc.type = dir;
    pol.key = master;
    pol.window_size = DC_SRTP_REPLAY_WINDOW;
    /* An SFU answers NACKs by resending the very packet it sent (same
     * sequence number, same bytes), which libsrtp would otherwise refuse. */
    pol.allow_repeat_tx = 1;

    srtp_err_status_t st = srtp_create(out, &pol);
    memset(master, 0, sizeof master);
    if (st != srtp_err_status_ok) {
        *out = NULL;
        if (st == srtp_err_status_cipher_fail || st == srtp_err_status_bad_param)
            return -ENOTSUP;
        return map_err(st);
    }
    return 0;
}

dc_srtp *dc_srtp_new(const dc_srtp_keys *keys, int *err)
{
    int rc;
    dc_srtp *s = NULL;

    if (keys == NULL || dc_srtp_key_len(keys->profile) == 0) {
        rc = -EINVAL;
        goto fail;
    }
    if (dc_srtp_global_init(DC_SRTP_CRYPTO_OPENSSL) < 0) {
        rc = -EIO;
        goto fail;
    }
    s = g_new0(dc_srtp, 1);
    for (unsigned i = 0; i < SEND_SHARDS; i++) {
        rc = make_session(&s->send[i], keys->profile, ssrc_any_outbound, keys->local_key,
                          keys->local_salt);
        if (rc < 0)
            goto fail;
    }
    rc = make_session(&s->recv, keys->profile, ssrc_any_inbound, keys->remote_key,
                      keys->remote_salt);
    if (rc < 0)
        goto fail;
    if (err != NULL)
        *err = 0;
    return s;

fail:
    dc_srtp_free(s);
    if (err != NULL)
        *err = rc;
    return NULL;
}

void dc_srtp_free(dc_srtp *s)
{
    if (s == NULL)
        return;
    /* srtp_dealloc zeroes the session keys before freeing them. */
    for (unsigned i = 0; i < SEND_SHARDS; i++)
        if (s->send[i] != NULL)
            srtp_dealloc(s->send[i]);
    if (s->recv != NULL)
        srtp_dealloc(s->recv);
    g_free(s);
}

/* Minimum lengths before handing a packet to libsrtp: an RTP header, an RTCP
 * header plus sender SSRC. libsrtp checks the rest. */
#define RTP_MIN 12
#define RTCP_MIN 8

static int protect(srtp_t ctx, bool rtcp, uint8_t *buf, size_t len, size_t cap)
{
    if (buf == NULL || len < (rtcp ? RTCP_MIN : RTP_MIN))
        return -EINVAL;
    if (cap < len || cap - len < DC_SRTP_MAX_OVERHEAD)
        return -ENOSPC;
    if (len > INT_MAX - DC_SRTP_MAX_OVERHEAD)
        return -EINVAL;
    int n = (int)len;
    srtp_err_status_t st = rtcp ? srtp_protect_rtcp(ctx, buf, &n) : srtp_protect(ctx, buf, &n);
    if (st != srtp_err_status_ok)
        return map_err(st);
    return n;
}

static int unprotect(srtp_t ctx, bool rtcp, uint8_t *buf, size_t len)
{
    if (buf == NULL || len < (rtcp ? RTCP_MIN : RTP_MIN) || len > INT_MAX)
        return -EINVAL;
    int n = (int)len;
    srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(ctx, buf, &n) : srtp_unprotect(ctx, buf, &n);
    if (st != srtp_err_status_ok)
        return map_err(st);
    return n;
}

int dc_srtp_protect_rtp(dc_srtp *s, uint8_t *buf, size_t len, size_t cap)
{
    if (buf == NULL || len < RTP_MIN)
        return -EINVAL;
    return protect(s->send[shard_of(be32(buf + 8))], false, buf, len, cap);
}

int dc_srtp_unprotect_rtp(dc_srtp *s, uint8_t *buf, size_t len)
{
    return unprotect(s->recv, false, buf, len);
}

int dc_srtp_protect_rtcp(dc_srtp *s, uint8_t *buf, size_t len, size_t cap)
{
    if (buf == NULL || len < RTCP_MIN)
        return -EINVAL;
    return protect(s->send[shard_of(be32(buf + 4))], true, buf, len, cap);
}

int dc_srtp_unprotect_rtcp(dc_srtp *s, uint8_t *buf, size_t len)
{
    return unprotect(s->recv, true, buf, len);
}
