/* srtp: the libsrtp2 wrapper. This is the only file in diemcau that includes
 * <srtp2/srtp.h>; everything else sees dc_srtp and dc_srtp_keys.
 *
 * One dc_srtp per DTLS transport (one BUNDLE'd, rtcp-mux'd UDP flow): it holds
 * an outbound session keyed with the local master key (any SSRC we send) and
 * an inbound session keyed with the remote master key (any SSRC we receive).
 * Packets are protected and unprotected in place, in the caller's buffer; the
 * per-packet path does not allocate (libsrtp allocates once per new SSRC).
 *
 * Ownership: dc_srtp_new() returns an object the caller owns and frees with
 * dc_srtp_free(). Keys are copied; the caller may wipe its dc_srtp_keys after.
 * Not thread-safe: one dc_srtp is used by one thread at a time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* SRTP protection profiles, numbered as in the use_srtp extension (RFC 5764
 * section 4.1.2, RFC 7714 section 14.2). */
typedef enum {
    DC_SRTP_AES128_CM_SHA1_80 = 0x0001,
    DC_SRTP_AEAD_AES_128_GCM = 0x0007,
} dc_srtp_profile;

#define DC_SRTP_MAX_KEY_LEN 16
#define DC_SRTP_MAX_SALT_LEN 14

/* Headroom a protect call needs after the packet: libsrtp's documented
 * SRTP_MAX_TRAILER_LEN (maximum tag plus maximum MKI). The packet itself
 * grows by at most DC_SRTP_RTP_MAX_GROWTH (RTP: the 16-byte GCM tag) or
 * DC_SRTP_RTCP_MAX_GROWTH (RTCP: 4-byte E flag and index plus the tag). */
#define DC_SRTP_MAX_OVERHEAD 144
#define DC_SRTP_RTP_MAX_GROWTH 16
#define DC_SRTP_RTCP_MAX_GROWTH 20

/* Replay window for inbound SRTP, in packets (video bursts reorder a lot). */
#define DC_SRTP_REPLAY_WINDOW 1024

/* Keys for one transport, as exported from DTLS (RFC 5764 section 4.2) and
 * already assigned to directions: "local" protects what we send, "remote"
 * unprotects what we receive. Only the first dc_srtp_key_len(profile) bytes
 * of each key and dc_srtp_salt_len(profile) bytes of each salt are used. */
typedef struct {
    dc_srtp_profile profile;
    uint8_t local_key[DC_SRTP_MAX_KEY_LEN];
    uint8_t local_salt[DC_SRTP_MAX_SALT_LEN];
    uint8_t remote_key[DC_SRTP_MAX_KEY_LEN];
    uint8_t remote_salt[DC_SRTP_MAX_SALT_LEN];
} dc_srtp_keys;

/* Master key length of a profile in bytes (16 for both), 0 if unknown. */
size_t dc_srtp_key_len(dc_srtp_profile profile);

/* Master salt length of a profile in bytes (14 for AES-CM, 12 for GCM), 0 if
 * unknown. */
size_t dc_srtp_salt_len(dc_srtp_profile profile);

/* Profile name as in RFC 5764 / RFC 7714 ("SRTP_AES128_CM_SHA1_80",
 * "SRTP_AEAD_AES_128_GCM"); a static string, "unknown" otherwise. */
const char *dc_srtp_profile_name(dc_srtp_profile profile);

/* Which implementation of AES-ICM-128 and HMAC-SHA1 (the primitives of
 * SRTP_AES128_CM_SHA1_80) libsrtp uses in this process. */
typedef enum {
    DC_SRTP_CRYPTO_OPENSSL = 0, /* core/srtp-openssl: OpenSSL EVP (default) */
    DC_SRTP_CRYPTO_STOCK = 1,   /* whatever libsrtp2 was built with */
} dc_srtp_crypto;

/* Initialises libsrtp for the process, once (thread-safe): the first call,
 * or the first dc_srtp_new() (which asks for DC_SRTP_CRYPTO_OPENSSL),
 * decides; later calls only report. With DC_SRTP_CRYPTO_OPENSSL it installs
 * the OpenSSL primitives, or logs a warning and keeps the stock ones if
 * libsrtp refuses them. Returns the implementation in use, which may differ
 * from want, or -EIO if libsrtp could not be initialised. */
int dc_srtp_global_init(dc_srtp_crypto want);

/* "openssl" or "stock"; a static string. */
const char *dc_srtp_crypto_name(dc_srtp_crypto c);

typedef struct dc_srtp dc_srtp;

/* Creates the outbound and inbound sessions from keys (copied). Initialises
 * libsrtp on first use (dc_srtp_global_init(DC_SRTP_CRYPTO_OPENSSL)). On failure returns NULL and,
 * when err is not NULL, stores a negative errno in *err (-EINVAL: unknown profile, -ENOTSUP:
 * libsrtp lacks the cipher, -ENOMEM). Free with dc_srtp_free(). */
dc_srtp *dc_srtp_new(const dc_srtp_keys *keys, int *err);

/* Frees s and wipes its keys. NULL is allowed. */
void dc_srtp_free(dc_srtp *s);

/* Protects the RTP packet buf[0..len) in place. cap is the size of buf and
 * must be at least len + DC_SRTP_MAX_OVERHEAD. Returns the new length (at
 * most len + DC_SRTP_RTP_MAX_GROWTH) or a negative errno:
 *   -EINVAL   not an RTP packet libsrtp can parse (too short, bad header)
 *   -ENOSPC   cap too small
 *   -EALREADY the sequence number was already sent with a different packet
 *             index libsrtp refuses (resending the same index is allowed)
 *   -EIO      any other libsrtp failure */
int dc_srtp_protect_rtp(dc_srtp *s, uint8_t *buf, size_t len, size_t cap);

/* Unprotects the SRTP packet buf[0..len) in place. Returns the new (shorter)
 * length or a negative errno:
 *   -EBADMSG  authentication failed (tampered, or wrong keys)
 *   -EALREADY replayed, or older than the replay window
 *   -EINVAL   too short or not parseable
 *   -EIO      any other libsrtp failure
 * On error the content of buf is unspecified. */
int dc_srtp_unprotect_rtp(dc_srtp *s, uint8_t *buf, size_t len);

/* Same contract as dc_srtp_protect_rtp() for a (compound) RTCP packet; grows
 * it by at most DC_SRTP_RTCP_MAX_GROWTH. */
int dc_srtp_protect_rtcp(dc_srtp *s, uint8_t *buf, size_t len, size_t cap);

/* Same contract as dc_srtp_unprotect_rtp() for an SRTCP packet. */
int dc_srtp_unprotect_rtcp(dc_srtp *s, uint8_t *buf, size_t len);
