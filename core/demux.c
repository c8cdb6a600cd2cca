/* demux: RFC 7983 / RFC 5761 datagram classification. See demux.h. */
#include "core/demux.h"

#include <errno.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static dc_demux_class classify_stun(const uint8_t *buf, size_t len)
{
    if (len < DC_DEMUX_STUN_HEADER_LEN)
        return DC_DEMUX_UNKNOWN;
    if (rd32(buf + 4) != DC_DEMUX_STUN_MAGIC_COOKIE)
        return DC_DEMUX_UNKNOWN;
    size_t msg_len = rd16(buf + 2);
    if (msg_len % 4 != 0 || msg_len != len - DC_DEMUX_STUN_HEADER_LEN)
        return DC_DEMUX_UNKNOWN;
    return DC_DEMUX_STUN;
}

dc_demux_class dc_demux_classify(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return DC_DEMUX_UNKNOWN;
    uint8_t b0 = buf[0];
    if (b0 <= 3)
        return classify_stun(buf, len);
    if (b0 >= 20 && b0 <= 63)
        return len >= DC_DEMUX_DTLS_MIN_LEN ? DC_DEMUX_DTLS : DC_DEMUX_UNKNOWN;
    if (b0 >= 128 && b0 <= 191) {
        if (len < 2)
            return DC_DEMUX_UNKNOWN;
        uint8_t b1 = buf[1];
        if (b1 >= 192 && b1 <= 223)
            return len >= DC_DEMUX_RTCP_MIN_LEN ? DC_DEMUX_RTCP : DC_DEMUX_UNKNOWN;
        return len >= DC_DEMUX_RTP_MIN_LEN ? DC_DEMUX_RTP : DC_DEMUX_UNKNOWN;
    }
    /* 4..19 (16..19 ZRTP), 64..79 TURN channel data (we are no TURN server),
     * 80..127 QUIC, 192..255: nothing we speak. */
    return DC_DEMUX_UNKNOWN;
}

const char *dc_demux_class_name(dc_demux_class c)
{
    switch (c) {
    case DC_DEMUX_STUN:
        return "stun";
    case DC_DEMUX_DTLS:
        return "dtls";
    case DC_DEMUX_RTP:
        return "rtp";
    case DC_DEMUX_RTCP:
        return "rtcp";
    case DC_DEMUX_UNKNOWN:
        break;
    }
    return "unknown";
}

int dc_demux_stun_iter_init(dc_demux_stun_iter *it, const uint8_t *buf, size_t len)
{
    if (dc_demux_classify(buf, len) != DC_DEMUX_STUN)
        return -EBADMSG;
    it->buf = buf;
    it->end = len; /* classify checked len == 20 + message length */
    it->off = DC_DEMUX_STUN_HEADER_LEN;
    return 0;
}

int dc_demux_stun_iter_next(dc_demux_stun_iter *it, uint16_t *type, const uint8_t **value,
                            uint16_t *value_len)
{
    if (it->off >= it->end)
        return -ENOENT;
    if (it->end - it->off < 4) {
        it->off = it->end;
        return -EBADMSG;
    }
    const uint8_t *p = it->buf + it->off;
    uint16_t vlen = rd16(p + 2);
    size_t padded = ((size_t)vlen + 3) & ~(size_t)3;
    /* The last attribute's padding must be there too: the message length is
     * a multiple of 4 and counts it. */
    if (padded > it->end - it->off - 4) {
        it->off = it->end;
        return -EBADMSG;
    }
    *type = rd16(p);
    *value = p + 4;
    *value_len = vlen;
    it->off += 4 + padded;
    return 0;
}
