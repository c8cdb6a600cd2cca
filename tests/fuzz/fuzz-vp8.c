/* Fuzz target for core/vp8: parse the descriptor, read a keyframe size,
 * rewrite picture id and TL0PICIDX on a copy and check that nothing else
 * changed, write the parsed descriptor back and reparse it, and packetize the
 * input as a frame. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/vp8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rewrite(const uint8_t *data, size_t size, const dc_vp8_descriptor *d)
{
    uint8_t *copy = malloc(size);
    if (!copy)
        return;
    memcpy(copy, data, size);
    uint16_t id = size > 1 ? (uint16_t)(data[size - 1] << 8 | data[size - 2]) : 0x7fff;
    int r = dc_vp8_set_picture_id(copy, size, id);
    if (r != (d->has_picture_id ? 0 : -ENOENT))
        abort();
    uint8_t tl0 = (uint8_t)~d->tl0picidx;
    r = dc_vp8_set_tl0picidx(copy, size, tl0);
    if (r != (d->has_tl0picidx ? 0 : -ENOENT))
        abort();
    dc_vp8_descriptor back;
    if (dc_vp8_parse(copy, size, &back) != 0 || back.header_len != d->header_len ||
        back.keyframe != d->keyframe || back.pid != d->pid)
        abort();
    if (d->has_picture_id && back.picture_id != (id & (d->picture_id_15 ? 0x7fff : 0x7f)))
        abort();
    if (d->has_tl0picidx && back.tl0picidx != tl0)
        abort();
    if (memcmp(copy + d->header_len, data + d->header_len, size - d->header_len) != 0)
        abort();
    free(copy);
}

static void check_writer(const dc_vp8_descriptor *d)
{
    uint8_t out[DC_VP8_MAX_DESCRIPTOR_LEN + 1];
    int n = dc_vp8_write_descriptor(d, out, DC_VP8_MAX_DESCRIPTOR_LEN);
    if (n < 1 || n > DC_VP8_MAX_DESCRIPTOR_LEN)
        abort();
    out[n] = 0;
    dc_vp8_descriptor back;
    if (dc_vp8_parse(out, (size_t)n + 1, &back) != 0 || back.pid != d->pid ||
        back.start != d->start || back.picture_id != d->picture_id ||
        back.tl0picidx != d->tl0picidx || back.keyidx != d->keyidx)
        abort();
}

static void check_packetizer(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    size_t max_payload = 5 + data[0] % 64;
    dc_vp8_packetizer p;
    if (dc_vp8_packetizer_init(&p, data + 1, size - 1, max_payload, data[1], -1, false) != 0)
        abort();
    uint8_t out[128];
    size_t out_len, total = 0;
    bool last = false;
    int r;
    while ((r = dc_vp8_packetizer_next(&p, out, sizeof(out), &out_len, &last)) == 0) {
        dc_vp8_descriptor d;
        if (out_len > max_payload || dc_vp8_parse(out, out_len, &d) != 0)
            abort();
        if (memcmp(out + d.header_len, data + 1 + total, out_len - d.header_len) != 0)
            abort();
        total += out_len - d.header_len;
    }
    if (r != -ENOENT || !last || total != size - 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_packetizer(data, size);
    dc_vp8_descriptor d;
    if (dc_vp8_parse(data, size, &d) != 0)
        return 0;
    if (d.header_len == 0 || d.header_len >= size || d.header_len > DC_VP8_MAX_DESCRIPTOR_LEN)
        abort();
    dc_vp8_size sz;
    int r = dc_vp8_keyframe_size(data + d.header_len, size - d.header_len, &sz);
    if (r == 0 && (!d.keyframe && d.start_of_frame))
        abort();
    if (r == 0 && (sz.width > 0x3fff || sz.height > 0x3fff || sz.hscale > 3 || sz.vscale > 3))
        abort();
    check_rewrite(data, size, &d);
    check_writer(&d);
    return 0;
}
