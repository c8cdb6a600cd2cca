/* rtp: RTP fixed-header view, in-place rewriting and header builder. */
#include "core/rtp.h"

#include <errno.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int dc_rtp_parse(const uint8_t *buf, size_t len, dc_rtp_view *out)
{
    if (!buf || len < DC_RTP_HEADER_MIN)
        return -EBADMSG;
    memset(out, 0, sizeof(*out));
    out->version = buf[0] >> 6;
    if (out->version != DC_RTP_VERSION)
        return -EBADMSG;
    out->padding = (buf[0] & 0x20) != 0;
    out->extension = (buf[0] & 0x10) != 0;
    out->csrc_count = buf[0] & 0x0f;
    out->marker = (buf[1] & 0x80) != 0;
    out->payload_type = buf[1] & 0x7f;
    out->seq = rd16(buf + 2);
    out->timestamp = rd32(buf + 4);
    out->ssrc = rd32(buf + 8);

    size_t off = DC_RTP_HEADER_MIN;
    size_t csrc_bytes = (size_t)out->csrc_count * 4;
    if (len - off < csrc_bytes)
        return -EBADMSG;
    if (out->csrc_count)
        out->csrcs = buf + off;
    off += csrc_bytes;

    if (out->extension) {
        if (len - off < 4)
            return -EBADMSG;
        out->ext_profile = rd16(buf + off);
        size_t ext_len = (size_t)rd16(buf + off + 2) * 4;
        off += 4;
        if (len - off < ext_len)
            return -EBADMSG;
        out->ext_len = ext_len;
        if (ext_len)
            out->ext = buf + off;
        off += ext_len;
    }
    out->header_len = off;

    size_t body = len - off; /* payload plus padding */
    if (out->padding) {
        /* The count includes itself, so 0 is invalid, and it cannot reach
         * into the header. */
        uint8_t pad = buf[len - 1];
        if (pad == 0 || pad > body)
            return -EBADMSG;
        out->padding_len = pad;
        body -= pad;
    }
    out->payload = buf + off;
    out->payload_len = body;
    return 0;
}

uint32_t dc_rtp_csrc(const dc_rtp_view *v, unsigned i)
{
    if (i >= v->csrc_count || !v->csrcs)
        return 0;
    return rd32(v->csrcs + (size_t)i * 4);
}

int dc_rtp_set_ssrc(uint8_t *buf, size_t len, uint32_t ssrc)
{
    if (!buf || len < DC_RTP_HEADER_MIN)
        return -EBADMSG;
    wr32(buf + 8, ssrc);
    return 0;
}

int dc_rtp_set_seq(uint8_t *buf, size_t len, uint16_t seq)
{
    if (!buf || len < DC_RTP_HEADER_MIN)
        return -EBADMSG;
    wr16(buf + 2, seq);
    return 0;
}

int dc_rtp_set_timestamp(uint8_t *buf, size_t len, uint32_t timestamp)
{
    if (!buf || len < DC_RTP_HEADER_MIN)
        return -EBADMSG;
    wr32(buf + 4, timestamp);
    return 0;
}

int dc_rtp_set_payload_type(uint8_t *buf, size_t len, uint8_t pt)
{
    if (!buf || len < DC_RTP_HEADER_MIN)
        return -EBADMSG;
    if (pt > 127)
        return -EINVAL;
    buf[1] = (uint8_t)((buf[1] & 0x80) | pt);
    return 0;
}

int dc_rtp_set_marker(uint8_t *buf, size_t len, bool marker)
{
    if (!buf || len < DC_RTP_HEADER_MIN)
        return -EBADMSG;
    buf[1] = (uint8_t)((buf[1] & 0x7f) | (marker ? 0x80 : 0));
    return 0;
}

size_t dc_rtp_header_size(const dc_rtp_header *h)
{
    size_t n = DC_RTP_HEADER_MIN + (size_t)h->csrc_count * 4;
    if (h->extension)
        n += 4 + h->ext_len;
    return n;
}

int dc_rtp_write_header(const dc_rtp_header *h, uint8_t *buf, size_t cap)
{
    if (h->payload_type > 127 || h->csrc_count > DC_RTP_MAX_CSRC || (h->csrc_count && !h->csrcs))
        return -EINVAL;
    if (h->extension &&
        (h->ext_len % 4 || h->ext_len > DC_RTP_EXT_DATA_MAX || (h->ext_len && !h->ext)))
        return -EINVAL;
    size_t need = dc_rtp_header_size(h);
    if (!buf || cap < need)
        return -ENOSPC;

    size_t off = DC_RTP_HEADER_MIN + (size_t)h->csrc_count * 4;
    if (h->extension) {
        /* Data first, so that an ext that overlaps buf is read before the
         * header is written over it. */
        if (h->ext_len)
            memmove(buf + off + 4, h->ext, h->ext_len);
        wr16(buf + off, h->ext_profile);
        wr16(buf + off + 2, (uint16_t)(h->ext_len / 4));
    }
    buf[0] = (uint8_t)((DC_RTP_VERSION << 6) | (h->extension ? 0x10 : 0) | h->csrc_count);
    buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->payload_type);
    wr16(buf + 2, h->seq);
    wr32(buf + 4, h->timestamp);
    wr32(buf + 8, h->ssrc);
    for (unsigned i = 0; i < h->csrc_count; i++)
        wr32(buf + DC_RTP_HEADER_MIN + (size_t)i * 4, h->csrcs[i]);
    return (int)need;
}
