/* Fuzz target: the bridge's parser of the control link's messages
 * (bridge/control-msg). Every outcome must be a typed message whose required
 * members are there, or an error with a message; nothing may crash, recurse
 * without bound (80 kB of '[' is in the corpus) or leak. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

#include "bridge/control-msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dc_control_msg m;
    dc_control_msg_error err = {0};
    bool ok = dc_control_msg_parse((const char *)data, size, &m, &err);
    if (!ok && !err.message)
        abort();
    if (ok) {
        if (!m.meeting || !*m.meeting)
            abort();
        if (m.op == DC_CONTROL_ANSWER && (!m.sdp || !m.session || !m.endpoint))
            abort();
        if (m.op == DC_CONTROL_CANDIDATE && !m.candidate)
            abort();
        if (m.op == DC_CONTROL_ENDPOINT_ADD && !m.session)
            abort();
    }
    dc_control_msg_clear(&m);
    return 0;
}
