/* rtcp-fb: NACK, PLI, FIR, REMB and transport-cc feedback. See rtcp-fb.h. */
#include "core/rtcp-fb.h"

#include <errno.h>
#include <string.h>

#include "core/seq.h"

#define FB_HEADER_LEN 12 /* RTCP header + sender SSRC + media SSRC */
#define NACK_MAX_SPAN 32767
#define TWCC_FCI_MIN 8
#define TWCC_MAX_STATUS 0xffff

/* Receive-delta symbols of transport-cc status chunks. */
enum { SYM_NOT_RECEIVED = 0, SYM_SMALL = 1, SYM_LARGE = 2, SYM_RESERVED = 3 };

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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

int dc_rtcp_fb_parse(const uint8_t *buf, size_t len, dc_rtcp_fb *out)
{
    dc_rtcp_packet pkt;
    int r = dc_rtcp_packet_parse(buf, len, &pkt);
    if (r < 0)
        return r;
    if (pkt.pt != DC_RTCP_PT_RTPFB && pkt.pt != DC_RTCP_PT_PSFB)
        return -ENOMSG;
    if (pkt.body_len < 8)
        return -EBADMSG;
    out->pt = pkt.pt;
    out->fmt = pkt.count;
    out->sender_ssrc = rd32(pkt.body);
    out->media_ssrc = rd32(pkt.body + 4);
    out->fci = pkt.body + 8;
    out->fci_len = pkt.body_len - 8;
    return 0;
}

/* Parses the common header and checks PT and FMT. */
static int parse_typed(const uint8_t *buf, size_t len, uint8_t pt, uint8_t fmt, dc_rtcp_fb *out)
{
    int r = dc_rtcp_fb_parse(buf, len, out);
    if (r < 0)
        return r;
    return out->pt == pt && out->fmt == fmt ? 0 : -ENOMSG;
}

/* Checks room for an n-byte feedback packet and writes its common header. */
static int begin_packet(uint8_t *buf, size_t cap, uint8_t pt, uint8_t fmt, size_t n,
                        uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (n > DC_RTCP_MAX_PACKET_LEN)
        return -EINVAL;
    if (n > cap)
        return -ENOSPC;
    int r = dc_rtcp_header_write(buf, fmt, pt, n);
    if (r < 0)
        return r;
    wr32(buf + 4, sender_ssrc);
    wr32(buf + 8, media_ssrc);
    return 0;
}

/* ---- NACK ---- */

int dc_rtcp_fb_nack_parse(const uint8_t *buf, size_t len, dc_rtcp_fb_nack *out)
{
    int r = parse_typed(buf, len, DC_RTCP_PT_RTPFB, DC_RTCP_FB_FMT_NACK, &out->fb);
    if (r < 0)
        return r;
    if (out->fb.fci_len < 4)
        return -EBADMSG;
    out->pair_count = out->fb.fci_len / 4;
    return 0;
}

dc_rtcp_fb_nack_pair dc_rtcp_fb_nack_pair_at(const dc_rtcp_fb_nack *nack, size_t i)
{
    const uint8_t *p = nack->fb.fci + 4 * i;
    return (dc_rtcp_fb_nack_pair){.pid = rd16(p), .blp = rd16(p + 2)};
}

int dc_rtcp_fb_nack_expand(const dc_rtcp_fb_nack *nack, uint16_t *seqs, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < nack->pair_count; i++) {
        dc_rtcp_fb_nack_pair pair = dc_rtcp_fb_nack_pair_at(nack, i);
        if (n == cap)
            return -ENOSPC;
        seqs[n++] = pair.pid;
        for (unsigned b = 0; b < 16; b++) {
            if (!(pair.blp & (1u << b)))
                continue;
            if (n == cap)
                return -ENOSPC;
            seqs[n++] = (uint16_t)(pair.pid + b + 1);
        }
    }
    return (int)n;
}

int dc_rtcp_fb_nack_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                          const uint16_t *seqs, size_t n)
{
    if (n == 0)
        return -EINVAL;
    /* Offsets from seqs[0] must ascend and stay within half the space, so
     * that they are exact distances. */
    int32_t span = 0;
    for (size_t i = 1; i < n; i++) {
        int32_t d = dc_seq_delta(seqs[i - 1], seqs[i]);
        if (d < 0)
            return -EINVAL;
        span += d;
        if (span > NACK_MAX_SPAN)
            return -EINVAL;
    }
    size_t off = FB_HEADER_LEN;
    size_t i = 0;
    int32_t pos = 0; /* offset of seqs[i] from seqs[0] */
    while (i < n) {
        uint16_t pid = seqs[i];
        int32_t pid_pos = pos;
        uint16_t blp = 0;
        for (i++; i < n; i++) {
            int32_t next = pos + dc_seq_delta(seqs[i - 1], seqs[i]);
            if (next - pid_pos > 16)
                break;
            pos = next;
            if (pos > pid_pos)
                blp |= (uint16_t)(1u << (pos - pid_pos - 1));
        }
        if (i < n)
            pos += dc_seq_delta(seqs[i - 1], seqs[i]);
        if (off + 4 > cap)
            return -ENOSPC;
        wr16(buf + off, pid);
        wr16(buf + off + 2, blp);
        off += 4;
    }
    int r =
        begin_packet(buf, cap, DC_RTCP_PT_RTPFB, DC_RTCP_FB_FMT_NACK, off, sender_ssrc, media_ssrc);
    return r < 0 ? r : (int)off;
}

/* ---- PLI ---- */

int dc_rtcp_fb_pli_parse(const uint8_t *buf, size_t len, dc_rtcp_fb *out)
{
    return parse_typed(buf, len, DC_RTCP_PT_PSFB, DC_RTCP_FB_FMT_PLI, out);
}

int dc_rtcp_fb_pli_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    int r = begin_packet(buf, cap, DC_RTCP_PT_PSFB, DC_RTCP_FB_FMT_PLI, FB_HEADER_LEN, sender_ssrc,
                         media_ssrc);
    return r < 0 ? r : FB_HEADER_LEN;
}

/* ---- FIR ---- */

int dc_rtcp_fb_fir_parse(const uint8_t *buf, size_t len, dc_rtcp_fb_fir *out)
{
    int r = parse_typed(buf, len, DC_RTCP_PT_PSFB, DC_RTCP_FB_FMT_FIR, &out->fb);
    if (r < 0)
        return r;
    if (out->fb.fci_len < 8 || out->fb.fci_len % 8)
        return -EBADMSG;
    out->entry_count = out->fb.fci_len / 8;
    return 0;
}

dc_rtcp_fb_fir_entry dc_rtcp_fb_fir_entry_at(const dc_rtcp_fb_fir *fir, size_t i)
{
    const uint8_t *p = fir->fb.fci + 8 * i;
    return (dc_rtcp_fb_fir_entry){.ssrc = rd32(p), .seq_nr = p[4]};
}

int dc_rtcp_fb_fir_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc,
                         const dc_rtcp_fb_fir_entry *entries, size_t n)
{
    if (n == 0 || n > DC_RTCP_MAX_PACKET_LEN / 8)
        return -EINVAL;
    size_t len = FB_HEADER_LEN + 8 * n;
    int r = begin_packet(buf, cap, DC_RTCP_PT_PSFB, DC_RTCP_FB_FMT_FIR, len, sender_ssrc, 0);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = buf + FB_HEADER_LEN + 8 * i;
        wr32(p, entries[i].ssrc);
        wr32(p + 4, (uint32_t)entries[i].seq_nr << 24);
    }
    return (int)len;
}

/* ---- REMB ---- */

int dc_rtcp_fb_remb_parse(const uint8_t *buf, size_t len, dc_rtcp_fb_remb *out)
{
    int r = parse_typed(buf, len, DC_RTCP_PT_PSFB, DC_RTCP_FB_FMT_AFB, &out->fb);
    if (r < 0)
        return r;
    const uint8_t *fci = out->fb.fci;
    if (out->fb.fci_len < 4 || memcmp(fci, "REMB", 4) != 0)
        return -ENOMSG;
    if (out->fb.fci_len < 8 || out->fb.fci_len - 8 < 4 * (size_t)fci[4])
        return -EBADMSG;
    unsigned exp = fci[5] >> 2;
    uint64_t mantissa = (uint64_t)(fci[5] & 3) << 16 | (uint64_t)fci[6] << 8 | fci[7];
    /* mantissa < 2^18, so it can only overflow when exp > 46. */
    if (exp > 46 && (mantissa >> (64 - exp)) != 0)
        out->bitrate_bps = UINT64_MAX;
    else
        out->bitrate_bps = mantissa << exp;
    out->ssrc_count = fci[4];
    return 0;
}

uint32_t dc_rtcp_fb_remb_ssrc_at(const dc_rtcp_fb_remb *remb, size_t i)
{
    return rd32(remb->fb.fci + 8 + 4 * i);
}

int dc_rtcp_fb_remb_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint64_t bitrate_bps,
                          const uint32_t *ssrcs, size_t n)
{
    if (n > 255)
        return -EINVAL;
    size_t len = FB_HEADER_LEN + 8 + 4 * n;
    int r = begin_packet(buf, cap, DC_RTCP_PT_PSFB, DC_RTCP_FB_FMT_AFB, len, sender_ssrc, 0);
    if (r < 0)
        return r;
    unsigned exp = 0;
    while ((bitrate_bps >> exp) > 0x3ffff)
        exp++;
    uint32_t mantissa = (uint32_t)(bitrate_bps >> exp);
    uint8_t *fci = buf + FB_HEADER_LEN;
    memcpy(fci, "REMB", 4);
    wr32(fci + 4, (uint32_t)n << 24 | exp << 18 | mantissa);
    for (size_t i = 0; i < n; i++)
        wr32(fci + 8 + 4 * i, ssrcs[i]);
    return (int)len;
}

/* ---- transport-cc: parsing ---- */

/* Number of statuses a chunk carries (before clipping to status_count). */
static uint16_t chunk_size(uint16_t chunk)
{
    if (!(chunk & 0x8000))
        return chunk & 0x1fff;
    return (chunk & 0x4000) ? 7 : 14;
}

/* Symbol i of a chunk, i < chunk_size(chunk). */
static unsigned chunk_symbol(uint16_t chunk, unsigned i)
{
    if (!(chunk & 0x8000))
        return (chunk >> 13) & 3;
    if (!(chunk & 0x4000))
        return (chunk >> (13 - i)) & 1;
    return (chunk >> (12 - 2 * i)) & 3;
}

int dc_rtcp_fb_twcc_parse(const uint8_t *buf, size_t len, dc_rtcp_fb_twcc *out)
{
    int r = parse_typed(buf, len, DC_RTCP_PT_RTPFB, DC_RTCP_FB_FMT_TWCC, &out->fb);
    if (r < 0)
        return r;
    const uint8_t *fci = out->fb.fci;
    size_t fci_len = out->fb.fci_len;
    if (fci_len < TWCC_FCI_MIN)
        return -EBADMSG;
    out->base_seq = rd16(fci);
    out->status_count = rd16(fci + 2);
    out->reference_time = (int32_t)(rd32(fci + 4) & 0xffffff00) >> 8;
    out->fb_pkt_count = fci[7];
    if (out->status_count == 0)
        return -EBADMSG;
    /* Walk the chunks once: they must cover status_count packets, and the
     * deltas their symbols announce must fit. Each step consumes two bytes,
     * so the loop ends within fci_len / 2 steps. */
    size_t off = TWCC_FCI_MIN;
    size_t delta_bytes = 0;
    uint32_t remaining = out->status_count;
    while (remaining > 0) {
        if (fci_len - off < 2)
            return -EBADMSG;
        uint16_t chunk = rd16(fci + off);
        off += 2;
        uint32_t take = chunk_size(chunk);
        if (take > remaining)
            take = remaining;
        for (unsigned i = 0; i < take; i++) {
            unsigned sym = chunk_symbol(chunk, i);
            if (sym == SYM_RESERVED)
                return -EBADMSG;
            delta_bytes += sym; /* small: 1 byte, large: 2 bytes */
        }
        remaining -= take;
    }
    if (fci_len - off < delta_bytes)
        return -EBADMSG;
    out->deltas_off = off;
    out->deltas_end = off + delta_bytes;
    return 0;
}

void dc_rtcp_fb_twcc_iter_init(dc_rtcp_fb_twcc_iter *it, const dc_rtcp_fb_twcc *tw)
{
    memset(it, 0, sizeof *it);
    it->tw = tw;
    it->chunk_off = TWCC_FCI_MIN;
    it->delta_off = tw->deltas_off;
    it->time_us = (int64_t)tw->reference_time * DC_RTCP_FB_TWCC_REF_US;
}

int dc_rtcp_fb_twcc_iter_next(dc_rtcp_fb_twcc_iter *it, dc_rtcp_fb_twcc_status *st)
{
    const dc_rtcp_fb_twcc *tw = it->tw;
    const uint8_t *fci = tw->fb.fci;
    if (it->index >= tw->status_count)
        return 0;
    /* The checks below cannot fire on a parsed feedback; they keep a
     * hand-made or corrupted view from reading out of bounds. */
    while (it->chunk_pos >= it->chunk_size) {
        if (it->chunk_off + 2 > tw->deltas_off)
            return -EBADMSG;
        it->chunk = rd16(fci + it->chunk_off);
        it->chunk_off += 2;
        it->chunk_size = chunk_size(it->chunk);
        it->chunk_pos = 0;
    }
    unsigned sym = chunk_symbol(it->chunk, it->chunk_pos++);
    st->seq = (uint16_t)(tw->base_seq + it->index);
    st->received = sym == SYM_SMALL || sym == SYM_LARGE;
    st->delta_us = 0;
    st->arrival_us = 0;
    if (sym == SYM_SMALL) {
        if (it->delta_off + 1 > tw->deltas_end)
            return -EBADMSG;
        st->delta_us = fci[it->delta_off] * DC_RTCP_FB_TWCC_DELTA_US;
        it->delta_off += 1;
    } else if (sym == SYM_LARGE) {
        if (it->delta_off + 2 > tw->deltas_end)
            return -EBADMSG;
        st->delta_us = (int16_t)rd16(fci + it->delta_off) * DC_RTCP_FB_TWCC_DELTA_US;
        it->delta_off += 2;
    } else if (sym == SYM_RESERVED) {
        return -EBADMSG;
    }
    if (st->received) {
        it->time_us += st->delta_us;
        st->arrival_us = it->time_us;
    }
    it->index++;
    return 1;
}

/* ---- transport-cc: building ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Packs symbols into status chunks as libwebrtc does: a run-length chunk
 * for a run of one symbol, else a 14 x 1-bit vector while no large delta
 * appears, else a 7 x 2-bit vector. out == NULL only counts the chunks. */
typedef struct {
    uint8_t sym[14];
    uint16_t size; /* pending symbols (only the first 14 stored) */
    bool all_same;
    bool has_large;
    uint8_t *out;
    size_t count;
} chunker;

static void chunker_put(chunker *c, uint16_t chunk)
{
    if (c->out)
        wr16(c->out + 2 * c->count, chunk);
    c->count++;
}

static uint16_t encode_vector(const chunker *c, unsigned n, bool two_bit)
{
    uint16_t chunk = two_bit ? 0xc000 : 0x8000;
    for (unsigned i = 0; i < n; i++)
        chunk |=
            two_bit ? (uint16_t)(c->sym[i] << (12 - 2 * i)) : (uint16_t)(c->sym[i] << (13 - i));
    return chunk;
}

static void chunker_reset_flags(chunker *c)
{
    c->all_same = true;
    c->has_large = false;
    for (unsigned i = 0; i < c->size; i++) {
        c->all_same = c->all_same && c->sym[i] == c->sym[0];
        c->has_large = c->has_large || c->sym[i] == SYM_LARGE;
    }
}

/* Emits a chunk when sym cannot join the pending ones. */
static void chunker_add(chunker *c, uint8_t sym)
{
    bool fits = c->size < 7 || (c->size < 14 && !c->has_large && sym != SYM_LARGE) ||
                (c->size < 0x1fff && c->all_same && c->sym[0] == sym);
    if (!fits) {
        if (c->all_same) {
            chunker_put(c, (uint16_t)(c->sym[0] << 13 | c->size));
            c->size = 0;
        } else if (c->size == 14) { /* 8+ mixed symbols imply no large one */
            chunker_put(c, encode_vector(c, 14, false));
            c->size = 0;
        } else {
            chunker_put(c, encode_vector(c, 7, true));
            memmove(c->sym, c->sym + 7, c->size - 7u);
            c->size -= 7;
        }
        chunker_reset_flags(c);
    }
    if (c->size < 14)
        c->sym[c->size] = sym;
    c->size++;
    c->all_same = c->all_same && sym == c->sym[0];
    c->has_large = c->has_large || sym == SYM_LARGE;
}

static void chunker_finish(chunker *c)
{
    if (c->size == 0)
        return;
    if (c->all_same)
        chunker_put(c, (uint16_t)(c->sym[0] << 13 | c->size));
    else if (c->size <= 7)
        chunker_put(c, encode_vector(c, c->size, true));
    else
        chunker_put(c, encode_vector(c, c->size, false));
}

/* Runs the encoder over every status; writes deltas when deltas != NULL.
 * Returns the number of delta bytes, or -EINVAL for a delta too large. */
static int twcc_encode(const dc_rtcp_fb_twcc_entry *e, size_t n, int64_t ref, chunker *c,
                       uint8_t *deltas)
{
    int64_t last = ref * (DC_RTCP_FB_TWCC_REF_US / DC_RTCP_FB_TWCC_DELTA_US);
    size_t dlen = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            /* Packets between two entries were not received. */
            int32_t gap = dc_seq_delta(e[i - 1].seq, e[i].seq) - 1;
            for (int32_t g = 0; g < gap; g++)
                chunker_add(c, SYM_NOT_RECEIVED);
        }
        if (!e[i].received) {
            chunker_add(c, SYM_NOT_RECEIVED);
            continue;
        }
        int64_t q = floor_div(e[i].arrival_us, DC_RTCP_FB_TWCC_DELTA_US);
        int64_t d = q - last;
        last = q;
        if (d >= 0 && d <= 255) {
            chunker_add(c, SYM_SMALL);
            if (deltas)
                deltas[dlen] = (uint8_t)d;
            dlen += 1;
        } else if (d >= INT16_MIN && d <= INT16_MAX) {
            chunker_add(c, SYM_LARGE);
            if (deltas)
                wr16(deltas + dlen, (uint16_t)(int16_t)d);
            dlen += 2;
        } else {
            return -EINVAL;
        }
    }
    chunker_finish(c);
    return (int)dlen;
}

int dc_rtcp_fb_twcc_build(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                          uint8_t fb_pkt_count, const dc_rtcp_fb_twcc_entry *entries, size_t n)
{
    if (n == 0)
        return -EINVAL;
    int64_t span = 0;
    for (size_t i = 1; i < n; i++) {
        int32_t d = dc_seq_delta(entries[i - 1].seq, entries[i].seq);
        if (d <= 0)
            return -EINVAL;
        span += d;
        if (span >= TWCC_MAX_STATUS)
            return -EINVAL;
    }
    int64_t ref = 0;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].received) {
            ref = floor_div(entries[i].arrival_us, DC_RTCP_FB_TWCC_REF_US);
            break;
        }
    }
    /* Pass 1 sizes the packet, pass 2 writes it. */
    chunker c = {.all_same = true};
    int dlen = twcc_encode(entries, n, ref, &c, NULL);
    if (dlen < 0)
        return dlen;
    size_t chunks_off = FB_HEADER_LEN + TWCC_FCI_MIN;
    size_t deltas_off = chunks_off + 2 * c.count;
    size_t end = deltas_off + (size_t)dlen;
    size_t len = (end + 3) & ~(size_t)3;
    int r =
        begin_packet(buf, cap, DC_RTCP_PT_RTPFB, DC_RTCP_FB_FMT_TWCC, len, sender_ssrc, media_ssrc);
    if (r < 0)
        return r;
    uint8_t *fci = buf + FB_HEADER_LEN;
    wr16(fci, entries[0].seq);
    wr16(fci + 2, (uint16_t)(span + 1));
    wr32(fci + 4, ((uint32_t)ref & 0xffffff) << 8 | fb_pkt_count);
    c = (chunker){.all_same = true, .out = buf + chunks_off};
    twcc_encode(entries, n, ref, &c, buf + deltas_off);
    /* Zero padding to a word, as the draft shows (no P bit). */
    memset(buf + end, 0, len - end);
    return (int)len;
}
