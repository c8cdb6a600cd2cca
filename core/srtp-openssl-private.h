/* srtp-openssl-private.h: between the files of srtp-openssl. */
#pragma once

/* Fetches OpenSSL's AES-128-GCM for dc_srtp_openssl_aes_gcm_128 (once,
 * from dc_srtp_openssl_install(), before libsrtp self-tests the type).
 * Returns 0, or -1 when OpenSSL does not have it. */
int dc_srtp_openssl_gcm_fetch(void);
