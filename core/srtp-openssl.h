/* srtp-openssl: OpenSSL's AES-128-CTR, AES-128-GCM and HMAC-SHA1 as libsrtp2
 * crypto-kernel types, replacing the stock AES-ICM-128, AES-GCM-128 and
 * HMAC-SHA1 (on Debian those are built on NSS: AES-ICM and HMAC cost about
 * four times more per packet, and every GCM packet creates and frees an NSS
 * context, a lock and buffers).
 *
 * The replacement is process-global. core/srtp.c installs it once, from
 * dc_srtp_global_init(), after srtp_init(); nothing else needs to call this
 * module. libsrtp runs its known-answer self-tests on each type (RFC 3711
 * B.2 for AES-ICM, RFC 2202 for HMAC-SHA1, test case 4 of the GCM
 * specification with 16- and 8-byte tags for GCM) before accepting it.
 *
 * Per packet, AES-ICM reuses one EVP_CIPHER_CTX per cipher instance and
 * AES-GCM one per direction; neither allocates. HMAC-SHA1 keeps pre-keyed inner and outer
 * EVP_MD_CTX (the ipad and opad blocks already hashed) and copies them into a working context per
 * packet; on OpenSSL 3.0 EVP_MD_CTX_copy_ex() allocates the provider's small digest state (two
 * malloc/free pairs per packet), which is the cheapest deprecation-free way OpenSSL 3.0 offers.
 */
#pragma once

#include <stdbool.h>

/* libsrtp's type descriptors (srtp2/cipher.h, srtp2/auth.h), for tests that
 * drive them through libsrtp's cipher and auth API. Static; never NULL. */
struct srtp_cipher_type_t;
struct srtp_auth_type_t;
extern const struct srtp_cipher_type_t dc_srtp_openssl_aes_icm_128;
extern const struct srtp_cipher_type_t dc_srtp_openssl_aes_gcm_128;
extern const struct srtp_auth_type_t dc_srtp_openssl_hmac_sha1;

/* Replaces libsrtp's AES-ICM-128, AES-GCM-128 and HMAC-SHA1 with the OpenSSL
 * ones. Call after srtp_init(), once, before any session exists. Returns 0
 * when all three were accepted; -EIO when libsrtp refused one (its
 * self-test failed; a warning names it) and -ENOTSUP when OpenSSL lacks
 * AES-128-CTR, AES-128-GCM or SHA1; in those cases the stock type stays in
 * place for whatever was refused. Not thread-safe. */
int dc_srtp_openssl_install(void);

/* How many OpenSSL AES-GCM cipher instances exist now (libsrtp makes one
 * for SRTP and one for SRTCP per stream and per session template). For
 * tests: it shows that libsrtp's GCM sessions run on this module. */
int dc_srtp_openssl_gcm_instances(void);
