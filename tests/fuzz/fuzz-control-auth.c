/* Fuzz target: the control link's Authorization header (common/control-auth).
 * The input is the header value. A parsed header must verify (or not) without
 * crashing, and one that parses must be refused unless it is signed with the
 * secret; nothing may crash, read out of bounds or leak. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/control-auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t secret[DC_CONTROL_AUTH_SECRET_LEN] = {1, 2, 3};
    dc_control_auth_header h;
    /* Unterminated: the parser must honour size alone. */
    uint8_t *copy = g_memdup2(data, size);
    int rc = dc_control_auth_parse((const char *)copy, size, &h);
    g_free(copy);
    if (rc != 0)
        return 0;
    if (strlen(h.nonce) != DC_CONTROL_AUTH_NONCE_HEX)
        abort();
    char *text = g_strndup((const char *)data, size);
    dc_control_auth_replay *r = dc_control_auth_replay_new(4);
    dc_control_auth_result res = dc_control_auth_verify(secret, r, text, h.t);
    uint8_t mac[32];
    dc_control_auth_mac(secret, h.t, h.nonce, mac);
    /* OK only with the right mac (the text may hold a NUL: then malformed). */
    if (res == DC_CONTROL_AUTH_OK && memcmp(mac, h.mac, sizeof mac) != 0)
        abort();
    dc_control_auth_replay_free(r);
    g_free(text);
    return 0;
}
