/* Fuzz target: common/ws-guard, which reads the frame headers of every byte
 * a WebSocket client sends before libsoup does. The first byte sets the
 * read size (1..256) and the second the message bound in KiB; the rest is
 * the client's byte stream. Feeding it in pieces must give the same verdict
 * as feeding it whole, and a refusal must stay. */
#include <stdint.h>
#include <stdlib.h>

#include "common/ws-guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    size_t step = (size_t)data[0] + 1;
    uint64_t bound = ((uint64_t)data[1] + 1) * 1024;
    data += 2;
    size -= 2;
    dc_ws_guard whole, pieces;
    dc_ws_guard_init(&whole, bound);
    dc_ws_guard_init(&pieces, bound);
    int rc_whole = dc_ws_guard_feed(&whole, data, size);
    int rc = 0;
    for (size_t i = 0; i < size; i += step) {
        rc = dc_ws_guard_feed(&pieces, data + i, size - i < step ? size - i : step);
    }
    if (rc != rc_whole) {
        abort();
    }
    if (rc && dc_ws_guard_feed(&pieces, data, 1) != rc) {
        abort();
    }
    return 0;
}
