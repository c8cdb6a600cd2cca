/* vp8: RFC 7741 payload descriptor, keyframe header, rewrite, packetizer.
 * See vp8.h. */
#include "core/vp8.h"

#include <errno.h>
#include <string.h>

/* Descriptor bits. */
#define VP8_X 0x80
#define VP8_N 0x20
#define VP8_S 0x10
#define VP8_PID 0x07
#define VP8_I 0x80
#define VP8_L 0x40
#define VP8_T 0x20
#define VP8_K 0x10
#define VP8_M 0x80

int dc_vp8_parse(const uint8_t *buf, size_t len, dc_vp8_descriptor *d)
{
    memset(d, 0, sizeof(*d));
    if (len < 1)
        return -EBADMSG;
    uint8_t b = buf[0];
    d->non_reference = (b & VP8_N) != 0;
    d->start = (b & VP8_S) != 0;
    d->pid = b & VP8_PID;
    size_t off = 1;
    if (b & VP8_X) {
        if (off >= len)
            return -EBADMSG;
        uint8_t x = buf[off++];
        if (x & VP8_I) {
            if (off >= len)
                return -EBADMSG;
            d->has_picture_id = true;
            if (buf[off] & VP8_M) {
                if (len - off < 2)
                    return -EBADMSG;
                d->picture_id_15 = true;
                d->picture_id = (uint16_t)(((buf[off] & 0x7f) << 8) | buf[off + 1]);
                off += 2;
            } else {
                d->picture_id = buf[off] & 0x7f;
                off += 1;
            }
        }
        if (x & VP8_L) {
            if (off >= len)
                return -EBADMSG;
            d->has_tl0picidx = true;
            d->tl0picidx = buf[off++];
        }
        if (x & (VP8_T | VP8_K)) {
            if (off >= len)
                return -EBADMSG;
            uint8_t tk = buf[off++];
            if (x & VP8_T) {
                d->has_tid = true;
                d->tid = tk >> 6;
                d->layer_sync = (tk & 0x20) != 0;
            }
            if (x & VP8_K) {
                d->has_keyidx = true;
                d->keyidx = tk & 0x1f;
            }
        }
    }
    if (off >= len)
        return -EBADMSG; /* a descriptor with no VP8 payload after it */
    d->header_len = off;
    d->start_of_frame = d->start && d->pid == 0;
    d->keyframe = d->start_of_frame && (buf[off] & 0x01) == 0;
    return 0;
}

int dc_vp8_keyframe_size(const uint8_t *payload, size_t len, dc_vp8_size *size)
{
    if (len < 1)
        return -EBADMSG;
    if (payload[0] & 0x01)
        return -EINVAL; /* P = 1: interframe, no size in it */
    if (len < 10)
        return -EBADMSG;
    if (payload[3] != 0x9d || payload[4] != 0x01 || payload[5] != 0x2a)
        return -EBADMSG;
    uint16_t w = (uint16_t)(payload[6] | (payload[7] << 8));
    uint16_t h = (uint16_t)(payload[8] | (payload[9] << 8));
    size->width = w & 0x3fff;
    size->hscale = (uint8_t)(w >> 14);
    size->height = h & 0x3fff;
    size->vscale = (uint8_t)(h >> 14);
    return 0;
}

int dc_vp8_set_picture_id(uint8_t *buf, size_t len, uint16_t picture_id)
{
    dc_vp8_descriptor d;
    int r = dc_vp8_parse(buf, len, &d);
    if (r < 0)
        return r;
    if (!d.has_picture_id)
        return -ENOENT;
    /* The picture id is the first extension field, right after the X byte;
     * parse() checked that its bytes are there. */
    if (d.picture_id_15) {
        buf[2] = (uint8_t)(VP8_M | ((picture_id >> 8) & 0x7f));
        buf[3] = (uint8_t)(picture_id & 0xff);
    } else {
        buf[2] = (uint8_t)(picture_id & 0x7f);
    }
    return 0;
}

int dc_vp8_set_tl0picidx(uint8_t *buf, size_t len, uint8_t tl0picidx)
{
    dc_vp8_descriptor d;
    int r = dc_vp8_parse(buf, len, &d);
    if (r < 0)
        return r;
    if (!d.has_tl0picidx)
        return -ENOENT;
    size_t off = 2 + (d.has_picture_id ? (d.picture_id_15 ? 2 : 1) : 0);
    buf[off] = tl0picidx;
    return 0;
}

static size_t descriptor_len(const dc_vp8_descriptor *d)
{
    size_t n = 1;
    if (d->has_picture_id || d->has_tl0picidx || d->has_tid || d->has_keyidx) {
        n++;
        if (d->has_picture_id)
            n += d->picture_id_15 ? 2 : 1;
        if (d->has_tl0picidx)
            n++;
        if (d->has_tid || d->has_keyidx)
            n++;
    }
    return n;
}

int dc_vp8_write_descriptor(const dc_vp8_descriptor *d, uint8_t *buf, size_t cap)
{
    if (d->pid > 7)
        return -EINVAL;
    size_t n = descriptor_len(d);
    if (cap < n)
        return -ENOSPC;
    size_t off = 0;
    bool x = n > 1;
    buf[off++] = (uint8_t)((x ? VP8_X : 0) | (d->non_reference ? VP8_N : 0) |
                           (d->start ? VP8_S : 0) | d->pid);
    if (!x)
        return (int)n;
    buf[off++] = (uint8_t)((d->has_picture_id ? VP8_I : 0) | (d->has_tl0picidx ? VP8_L : 0) |
                           (d->has_tid ? VP8_T : 0) | (d->has_keyidx ? VP8_K : 0));
    if (d->has_picture_id) {
        if (d->picture_id_15) {
            buf[off++] = (uint8_t)(VP8_M | ((d->picture_id >> 8) & 0x7f));
            buf[off++] = (uint8_t)(d->picture_id & 0xff);
        } else {
            buf[off++] = (uint8_t)(d->picture_id & 0x7f);
        }
    }
    if (d->has_tl0picidx)
        buf[off++] = d->tl0picidx;
    if (d->has_tid || d->has_keyidx) {
        uint8_t tk = 0;
        if (d->has_tid)
            tk |= (uint8_t)(((d->tid & 0x03) << 6) | (d->layer_sync ? 0x20 : 0));
        if (d->has_keyidx)
            tk |= (uint8_t)(d->keyidx & 0x1f);
        buf[off++] = tk;
    }
    return (int)off;
}

int dc_vp8_packetizer_init(dc_vp8_packetizer *p, const uint8_t *frame, size_t frame_len,
                           size_t max_payload, uint16_t picture_id, int tl0picidx,
                           bool non_reference)
{
    memset(p, 0, sizeof(*p));
    if (!frame || frame_len == 0 || tl0picidx > 255)
        return -EINVAL;
    p->desc.non_reference = non_reference;
    p->desc.has_picture_id = true;
    p->desc.picture_id_15 = true;
    p->desc.picture_id = picture_id & 0x7fff;
    if (tl0picidx >= 0) {
        p->desc.has_tl0picidx = true;
        p->desc.tl0picidx = (uint8_t)tl0picidx;
    }
    size_t hdr = descriptor_len(&p->desc);
    if (max_payload <= hdr)
        return -EINVAL;
    size_t room = max_payload - hdr;
    p->frame = frame;
    p->frame_len = frame_len;
    p->packets = frame_len / room + (frame_len % room != 0);
    return 0;
}

int dc_vp8_packetizer_next(dc_vp8_packetizer *p, uint8_t *out, size_t cap, size_t *out_len,
                           bool *last)
{
    if (p->index >= p->packets)
        return -ENOENT;
    /* Nearly equal chunks: the first frame_len % packets get one byte more. */
    size_t chunk = p->frame_len / p->packets + (p->index < p->frame_len % p->packets);
    p->desc.start = p->index == 0;
    size_t hdr = descriptor_len(&p->desc);
    if (cap < hdr + chunk)
        return -ENOSPC;
    int n = dc_vp8_write_descriptor(&p->desc, out, cap);
    if (n < 0)
        return n;
    memcpy(out + n, p->frame + p->off, chunk);
    p->off += chunk;
    p->index++;
    *out_len = (size_t)n + chunk;
    *last = p->index == p->packets;
    return 0;
}
