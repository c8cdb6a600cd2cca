/* Fuzz target: the signaling service's JSON message parsers. The first byte
 * picks the direction (even: a site's message, odd: the bridge's), the rest
 * is the message text. Every outcome must be a parsed message or an error
 * naming its code; nothing may crash or leak. */
#include <stdint.h>
#include <glib.h>
#include <stdlib.h>

#include "signaling/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    dc_protocol_error err = {0};
    if (data[0] % 2 == 0) {
        dc_client_msg msg = {0};
        bool ok = dc_protocol_parse_client(text, len, &msg, &err);
        if (!ok && !err.code)
            abort();
        dc_client_msg_clear(&msg);
    } else {
        dc_bridge_msg msg = {0};
        bool ok = dc_protocol_parse_bridge(text, len, &msg, &err);
        if (!ok && !err.code)
            abort();
        if (ok && msg.type == DC_BRIDGE_OFFER) {
            char *json = dc_protocol_offer_json(&msg);
            if (!json)
                abort();
            g_free(json);
        }
        dc_bridge_msg_clear(&msg);
    }
    dc_protocol_error_clear(&err);
    return 0;
}
