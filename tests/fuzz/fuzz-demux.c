/* Fuzz target for core/demux: classify any datagram; for STUN, walk every
 * attribute and check each one lies inside the message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/demux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dc_demux_class c = dc_demux_classify(data, size);
    if (dc_demux_class_name(c) == NULL)
        abort();
    dc_demux_stun_iter it;
    int r = dc_demux_stun_iter_init(&it, data, size);
    if ((r == 0) != (c == DC_DEMUX_STUN))
        abort();
    if (r < 0)
        return 0;
    uint16_t type, vlen;
    const uint8_t *v;
    unsigned sum = 0;
    while ((r = dc_demux_stun_iter_next(&it, &type, &v, &vlen)) == 0) {
        if (v < data + DC_DEMUX_STUN_HEADER_LEN + 4 || (size_t)(v - data) + vlen > size)
            abort();
        for (uint16_t i = 0; i < vlen; i++) /* touch every byte for ASan */
            sum += v[i];
    }
    if (r != -ENOENT && r != -EBADMSG)
        abort();
    (void)sum;
    return 0;
}
