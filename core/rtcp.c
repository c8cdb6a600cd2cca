/* rtcp: compound iterator, SR/RR/SDES/BYE views and builders. See rtcp.h. */
#include "core/rtcp.h"

#include <errno.h>
#include <string.h>

#define SDES_END 0
#define SDES_CNAME 1
#define REPORT_BLOCK_LEN 24
#define SENDER_INFO_LEN 20

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int dc_rtcp_packet_parse(const uint8_t *buf, size_t len, dc_rtcp_packet *pkt)
{
    if (len < DC_RTCP_HEADER_LEN || (buf[0] >> 6) != 2)
        return -EBADMSG;
    size_t plen = ((size_t)(buf[2] << 8 | buf[3]) + 1) * 4;
    if (plen > len)
        return -EBADMSG;
    size_t pad = 0;
    bool padding = buf[0] & 0x20;
    if (padding) {
        pad = buf[plen - 1];
        if (pad == 0 || pad > plen - DC_RTCP_HEADER_LEN)
            return -EBADMSG;
    }
    pkt->count = buf[0] & 0x1f;
    pkt->pt = buf[1];
    pkt->padding = padding;
    pkt->data = buf;
    pkt->len = plen;
    pkt->body = buf + DC_RTCP_HEADER_LEN;
    pkt->body_len = plen - DC_RTCP_HEADER_LEN - pad;
    return 0;
}

void dc_rtcp_iter_init(dc_rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->off = 0;
    it->err = 0;
}

int dc_rtcp_iter_next(dc_rtcp_iter *it, dc_rtcp_packet *pkt)
{
    if (it->err < 0)
        return it->err;
    if (it->off >= it->len)
        return 0;
    int r = dc_rtcp_packet_parse(it->buf + it->off, it->len - it->off, pkt);
    if (r < 0) {
        it->err = r;
        return r;
    }
    it->off += pkt->len;
    return 1;
}

int dc_rtcp_header_write(uint8_t *buf, uint8_t count, uint8_t pt, size_t packet_len)
{
    if (count > DC_RTCP_MAX_COUNT || packet_len < 4 || packet_len % 4 ||
        packet_len > DC_RTCP_MAX_PACKET_LEN)
        return -EINVAL;
    size_t words = packet_len / 4 - 1;
    buf[0] = (uint8_t)(0x80 | count);
    buf[1] = pt;
    buf[2] = (uint8_t)(words >> 8);
    buf[3] = (uint8_t)words;
    return 0;
}

/* Parses the header at buf and checks its type. */
static int parse_typed(const uint8_t *buf, size_t len, uint8_t pt, dc_rtcp_packet *pkt)
{
    int r = dc_rtcp_packet_parse(buf, len, pkt);
    if (r < 0)
        return r;
    return pkt->pt == pt ? 0 : -ENOMSG;
}

static void parse_report_block(const uint8_t *p, dc_rtcp_report_block *rb)
{
    rb->ssrc = rd32(p);
    rb->fraction_lost = p[4];
    /* 24-bit two's complement: shift into the top of an int32 and back. */
    rb->cumulative_lost = (int32_t)(rd32(p + 4) << 8) >> 8;
    rb->ext_highest_seq = rd32(p + 8);
    rb->jitter = rd32(p + 12);
    rb->lsr = rd32(p + 16);
    rb->dlsr = rd32(p + 20);
}

static void write_report_block(uint8_t *p, const dc_rtcp_report_block *rb)
{
    int32_t lost = rb->cumulative_lost;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    wr32(p, rb->ssrc);
    wr32(p + 4, (uint32_t)rb->fraction_lost << 24 | ((uint32_t)lost & 0xffffff));
    wr32(p + 8, rb->ext_highest_seq);
    wr32(p + 12, rb->jitter);
    wr32(p + 16, rb->lsr);
    wr32(p + 20, rb->dlsr);
}

int dc_rtcp_sr_parse(const uint8_t *buf, size_t len, dc_rtcp_sr *out)
{
    dc_rtcp_packet pkt;
    int r = parse_typed(buf, len, DC_RTCP_PT_SR, &pkt);
    if (r < 0)
        return r;
    if (pkt.body_len < 4 + SENDER_INFO_LEN + (size_t)pkt.count * REPORT_BLOCK_LEN)
        return -EBADMSG;
    const uint8_t *p = pkt.body;
    out->ssrc = rd32(p);
    out->ntp_time = (uint64_t)rd32(p + 4) << 32 | rd32(p + 8);
    out->rtp_time = rd32(p + 12);
    out->packet_count = rd32(p + 16);
    out->octet_count = rd32(p + 20);
    out->report_count = pkt.count;
    p += 4 + SENDER_INFO_LEN;
    for (uint8_t i = 0; i < pkt.count; i++, p += REPORT_BLOCK_LEN)
        parse_report_block(p, &out->reports[i]);
    return 0;
}

int dc_rtcp_rr_parse(const uint8_t *buf, size_t len, dc_rtcp_rr *out)
{
    dc_rtcp_packet pkt;
    int r = parse_typed(buf, len, DC_RTCP_PT_RR, &pkt);
    if (r < 0)
        return r;
    if (pkt.body_len < 4 + (size_t)pkt.count * REPORT_BLOCK_LEN)
        return -EBADMSG;
    const uint8_t *p = pkt.body;
    out->ssrc = rd32(p);
    out->report_count = pkt.count;
    p += 4;
    for (uint8_t i = 0; i < pkt.count; i++, p += REPORT_BLOCK_LEN)
        parse_report_block(p, &out->reports[i]);
    return 0;
}

/* Parses one SDES chunk at body[*off]; leaves *off at the next chunk. */
static int parse_sdes_chunk(const uint8_t *body, size_t body_len, size_t *off,
                            dc_rtcp_sdes_chunk *chunk)
{
    size_t o = *off;
    if (body_len - o < 4)
        return -EBADMSG;
    chunk->ssrc = rd32(body + o);
    chunk->cname = NULL;
    chunk->cname_len = 0;
    o += 4;
    for (;;) {
        if (o >= body_len)
            return -EBADMSG; /* no END item */
        uint8_t type = body[o];
        if (type == SDES_END) {
            /* The END octet and null padding up to the next word. */
            o = (o + 4) & ~(size_t)3;
            if (o > body_len)
                return -EBADMSG;
            *off = o;
            return 0;
        }
        if (body_len - o < 2 || body_len - o - 2 < body[o + 1])
            return -EBADMSG;
        uint8_t ilen = body[o + 1];
        if (type == SDES_CNAME && !chunk->cname) {
            chunk->cname = body + o + 2;
            chunk->cname_len = ilen;
        }
        o += 2 + (size_t)ilen;
    }
}

int dc_rtcp_sdes_parse(const uint8_t *buf, size_t len, dc_rtcp_sdes *out)
{
    dc_rtcp_packet pkt;
    int r = parse_typed(buf, len, DC_RTCP_PT_SDES, &pkt);
    if (r < 0)
        return r;
    size_t off = 0;
    for (uint8_t i = 0; i < pkt.count; i++) {
        r = parse_sdes_chunk(pkt.body, pkt.body_len, &off, &out->chunks[i]);
        if (r < 0)
            return r;
    }
    out->chunk_count = pkt.count;
    return 0;
}

int dc_rtcp_bye_parse(const uint8_t *buf, size_t len, dc_rtcp_bye *out)
{
    dc_rtcp_packet pkt;
    int r = parse_typed(buf, len, DC_RTCP_PT_BYE, &pkt);
    if (r < 0)
        return r;
    size_t ssrc_len = (size_t)pkt.count * 4;
    if (pkt.body_len < ssrc_len)
        return -EBADMSG;
    for (uint8_t i = 0; i < pkt.count; i++)
        out->ssrcs[i] = rd32(pkt.body + 4 * i);
    out->ssrc_count = pkt.count;
    out->reason = NULL;
    out->reason_len = 0;
    size_t rest = pkt.body_len - ssrc_len;
    if (rest > 0) {
        const uint8_t *p = pkt.body + ssrc_len;
        if (rest - 1 < p[0])
            return -EBADMSG;
        out->reason = p + 1;
        out->reason_len = p[0];
    }
    return 0;
}

/* Checks count and room for a packet of n bytes, then writes its header. */
static int begin_packet(uint8_t *buf, size_t cap, uint8_t count, uint8_t pt, size_t n)
{
    if (count > DC_RTCP_MAX_COUNT)
        return -EINVAL;
    if (n > cap)
        return -ENOSPC;
    return dc_rtcp_header_write(buf, count, pt, n);
}

int dc_rtcp_sr_build(uint8_t *buf, size_t cap, const dc_rtcp_sr *sr)
{
    size_t n = 4 + 4 + SENDER_INFO_LEN + (size_t)sr->report_count * REPORT_BLOCK_LEN;
    int r = begin_packet(buf, cap, sr->report_count, DC_RTCP_PT_SR, n);
    if (r < 0)
        return r;
    uint8_t *p = buf + 4;
    wr32(p, sr->ssrc);
    wr32(p + 4, (uint32_t)(sr->ntp_time >> 32));
    wr32(p + 8, (uint32_t)sr->ntp_time);
    wr32(p + 12, sr->rtp_time);
    wr32(p + 16, sr->packet_count);
    wr32(p + 20, sr->octet_count);
    p += 4 + SENDER_INFO_LEN;
    for (uint8_t i = 0; i < sr->report_count; i++, p += REPORT_BLOCK_LEN)
        write_report_block(p, &sr->reports[i]);
    return (int)n;
}

int dc_rtcp_rr_build(uint8_t *buf, size_t cap, const dc_rtcp_rr *rr)
{
    size_t n = 4 + 4 + (size_t)rr->report_count * REPORT_BLOCK_LEN;
    int r = begin_packet(buf, cap, rr->report_count, DC_RTCP_PT_RR, n);
    if (r < 0)
        return r;
    wr32(buf + 4, rr->ssrc);
    uint8_t *p = buf + 8;
    for (uint8_t i = 0; i < rr->report_count; i++, p += REPORT_BLOCK_LEN)
        write_report_block(p, &rr->reports[i]);
    return (int)n;
}

/* SSRC, an optional CNAME item, then END and null padding to a word. */
static size_t sdes_chunk_len(const dc_rtcp_sdes_chunk *c)
{
    size_t items = c->cname ? 2 + (size_t)c->cname_len : 0;
    return 4 + ((items + 1 + 3) & ~(size_t)3);
}

int dc_rtcp_sdes_build(uint8_t *buf, size_t cap, const dc_rtcp_sdes *sdes)
{
    if (sdes->chunk_count > DC_RTCP_MAX_COUNT)
        return -EINVAL;
    size_t n = 4;
    for (uint8_t i = 0; i < sdes->chunk_count; i++)
        n += sdes_chunk_len(&sdes->chunks[i]);
    int r = begin_packet(buf, cap, sdes->chunk_count, DC_RTCP_PT_SDES, n);
    if (r < 0)
        return r;
    uint8_t *p = buf + 4;
    for (uint8_t i = 0; i < sdes->chunk_count; i++) {
        const dc_rtcp_sdes_chunk *c = &sdes->chunks[i];
        size_t clen = sdes_chunk_len(c);
        memset(p, 0, clen);
        wr32(p, c->ssrc);
        if (c->cname) {
            p[4] = SDES_CNAME;
            p[5] = c->cname_len;
            memcpy(p + 6, c->cname, c->cname_len);
        }
        p += clen;
    }
    return (int)n;
}

int dc_rtcp_bye_build(uint8_t *buf, size_t cap, const dc_rtcp_bye *bye)
{
    if (bye->ssrc_count > DC_RTCP_MAX_COUNT)
        return -EINVAL;
    size_t reason = bye->reason ? ((1 + (size_t)bye->reason_len + 3) & ~(size_t)3) : 0;
    size_t n = 4 + 4 * (size_t)bye->ssrc_count + reason;
    int r = begin_packet(buf, cap, bye->ssrc_count, DC_RTCP_PT_BYE, n);
    if (r < 0)
        return r;
    uint8_t *p = buf + 4;
    for (uint8_t i = 0; i < bye->ssrc_count; i++, p += 4)
        wr32(p, bye->ssrcs[i]);
    if (bye->reason) {
        memset(p, 0, reason);
        p[0] = bye->reason_len;
        memcpy(p + 1, bye->reason, bye->reason_len);
    }
    return (int)n;
}

void dc_rtcp_compound_init(dc_rtcp_compound *c, uint8_t *buf, size_t cap)
{
    c->buf = buf;
    c->cap = cap;
    c->len = 0;
    c->err = 0;
}

uint8_t *dc_rtcp_compound_tail(dc_rtcp_compound *c)
{
    return c->buf + c->len;
}

size_t dc_rtcp_compound_room(const dc_rtcp_compound *c)
{
    return c->err < 0 ? 0 : c->cap - c->len;
}

int dc_rtcp_compound_add(dc_rtcp_compound *c, int written)
{
    if (c->err < 0)
        return c->err;
    if (written < 0 || (size_t)written > c->cap - c->len) {
        c->err = written < 0 ? written : -EINVAL;
        return c->err;
    }
    c->len += (size_t)written;
    return 0;
}

int dc_rtcp_compound_finish(const dc_rtcp_compound *c)
{
    return c->err < 0 ? c->err : (int)c->len;
}
