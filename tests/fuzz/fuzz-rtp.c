/* Fuzz target for core/rtp and core/rtp-ext: parses the input as RTP, walks
 * every extension element, calls every accessor with every id seen (and a few
 * never seen), then rewrites header fields and extension values on a copy and
 * checks that the copy still parses to the same shape. Also feeds the elements
 * back through the extension writer and the header builder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rtp-ext.h"
#include "core/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ELEMS 64

static void call_accessors(const dc_rtp_view *v, uint8_t id)
{
    char s[DC_RTP_EXT_STR_MAX];
    uint32_t ast;
    uint16_t tseq;
    bool voice;
    uint8_t level;
    dc_rtp_ext_elem e;
    int r = dc_rtp_ext_mid(v, id, s, sizeof(s));
    if (r > 0 && strlen(s) != (size_t)r)
        abort();
    dc_rtp_ext_rid(v, id, s, sizeof(s));
    dc_rtp_ext_repaired_rid(v, id, s, 4); /* small buffer: -ENOSPC path */
    dc_rtp_ext_abs_send_time(v, id, &ast);
    dc_rtp_ext_transport_seq(v, id, &tseq);
    if (dc_rtp_ext_audio_level(v, id, &voice, &level) == 0 && level > 127)
        abort();
    dc_rtp_ext_find(v, id, &e);
}

/* Rewrites on a copy and checks the result still parses with the same shape. */
static void rewrite_copy(const uint8_t *data, size_t size, const dc_rtp_view *v,
                         const dc_rtp_ext_elem *elems, size_t n)
{
    uint8_t *copy = malloc(size);
    if (!copy)
        return;
    memcpy(copy, data, size);
    dc_rtp_set_ssrc(copy, size, ~v->ssrc);
    dc_rtp_set_seq(copy, size, (uint16_t)(v->seq + 1));
    dc_rtp_set_timestamp(copy, size, v->timestamp + 3000);
    dc_rtp_set_payload_type(copy, size, (uint8_t)((v->payload_type + 1) & 0x7f));
    dc_rtp_set_marker(copy, size, !v->marker);
    for (size_t i = 0; i < n; i++) {
        uint8_t val[256];
        memset(val, 0xa5, sizeof(val));
        dc_rtp_ext_rewrite(copy, size, elems[i].id, val, elems[i].len);
        dc_rtp_ext_rewrite(copy, size, elems[i].id, val, (size_t)elems[i].len + 1);
        dc_rtp_ext_set_transport_seq(copy, size, elems[i].id, 0xffff);
        dc_rtp_ext_set_abs_send_time(copy, size, elems[i].id, 0x123456);
    }
    dc_rtp_view w;
    if (dc_rtp_parse(copy, size, &w) != 0 || w.header_len != v->header_len ||
        w.payload_len != v->payload_len || w.seq != (uint16_t)(v->seq + 1) || w.marker == v->marker)
        abort();
    free(copy);
}

/* Writes the elements again and builds a header around them; the result must
 * parse and iterate back to the same elements. */
static void rebuild(const dc_rtp_view *v, const dc_rtp_ext_elem *elems, size_t n)
{
    static uint8_t ext[MAX_ELEMS * 257 + 4];
    static uint8_t pkt[sizeof(ext) + 128];
    uint16_t profile;
    int len = dc_rtp_ext_write(elems, n, ext, sizeof(ext), &profile);
    if (len == -EINVAL)
        return; /* duplicate ids in the input */
    if (len < 0)
        abort();
    uint32_t csrcs[DC_RTP_MAX_CSRC];
    for (unsigned i = 0; i < v->csrc_count; i++)
        csrcs[i] = dc_rtp_csrc(v, i);
    dc_rtp_header h = {.marker = v->marker,
                       .payload_type = v->payload_type,
                       .seq = v->seq,
                       .timestamp = v->timestamp,
                       .ssrc = v->ssrc,
                       .csrcs = csrcs,
                       .csrc_count = v->csrc_count,
                       .extension = len > 0,
                       .ext_profile = profile,
                       .ext = ext,
                       .ext_len = (size_t)len};
    int hl = dc_rtp_write_header(&h, pkt, sizeof(pkt));
    dc_rtp_view w;
    if (hl < 0 || dc_rtp_parse(pkt, (size_t)hl, &w) != 0 || w.seq != v->seq)
        abort();
    dc_rtp_ext_iter it;
    dc_rtp_ext_elem e;
    dc_rtp_ext_iter_init_view(&it, &w);
    for (size_t i = 0; i < n; i++) {
        if (dc_rtp_ext_next(&it, &e) != 1 || e.id != elems[i].id || e.len != elems[i].len ||
            (e.len && memcmp(e.data, elems[i].data, e.len) != 0))
            abort();
    }
    if (dc_rtp_ext_next(&it, &e) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dc_rtp_view v;
    if (dc_rtp_parse(data, size, &v) != 0)
        return 0;
    if (v.header_len + v.payload_len + v.padding_len != size)
        abort();
    for (unsigned i = 0; i <= v.csrc_count; i++)
        dc_rtp_csrc(&v, i);

    dc_rtp_ext_elem elems[MAX_ELEMS];
    size_t n = 0;
    bool complete = true;
    dc_rtp_ext_iter it;
    dc_rtp_ext_elem e;
    int r;
    dc_rtp_ext_iter_init_view(&it, &v);
    while ((r = dc_rtp_ext_next(&it, &e)) > 0) {
        if (e.data < data || e.data + e.len > data + size)
            abort();
        if (n < MAX_ELEMS)
            elems[n++] = e;
        else
            complete = false;
        call_accessors(&v, e.id);
    }
    if (r < 0)
        complete = false;
    call_accessors(&v, 0);
    call_accessors(&v, 1);
    call_accessors(&v, 15);
    call_accessors(&v, 255);

    rewrite_copy(data, size, &v, elems, n);
    if (complete)
        rebuild(&v, elems, n);
    return 0;
}
