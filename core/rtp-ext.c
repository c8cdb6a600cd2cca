/* rtp-ext: RFC 8285 header extension elements. */
#include "core/rtp-ext.h"

#include <errno.h>
#include <string.h>

bool dc_rtp_ext_profile_known(uint16_t profile)
{
    return profile == DC_RTP_EXT_PROFILE_ONE_BYTE ||
           (profile & 0xfff0) == DC_RTP_EXT_PROFILE_TWO_BYTE;
}

int dc_rtp_ext_iter_init(dc_rtp_ext_iter *it, uint16_t profile, const uint8_t *data, size_t len)
{
    it->data = data;
    it->len = data ? len : 0;
    it->off = 0;
    it->two_byte = (profile & 0xfff0) == DC_RTP_EXT_PROFILE_TWO_BYTE;
    if (!dc_rtp_ext_profile_known(profile)) {
        it->len = 0;
        return -ENOTSUP;
    }
    return 0;
}

int dc_rtp_ext_iter_init_view(dc_rtp_ext_iter *it, const dc_rtp_view *v)
{
    if (!v->extension) {
        dc_rtp_ext_iter_init(it, DC_RTP_EXT_PROFILE_ONE_BYTE, NULL, 0);
        return 0;
    }
    return dc_rtp_ext_iter_init(it, v->ext_profile, v->ext, v->ext_len);
}

int dc_rtp_ext_next(dc_rtp_ext_iter *it, dc_rtp_ext_elem *out)
{
    while (it->off < it->len) {
        const uint8_t *p = it->data + it->off;
        size_t left = it->len - it->off;
        if (p[0] == 0) { /* padding byte, in both forms */
            it->off++;
            continue;
        }
        uint8_t id;
        size_t hdr, vlen;
        if (it->two_byte) {
            if (left < 2)
                goto bad;
            id = p[0];
            vlen = p[1];
            hdr = 2;
        } else {
            id = p[0] >> 4;
            if (id == 0) { /* id 0 is padding; skip a byte as libwebrtc does */
                it->off++;
                continue;
            }
            if (id == 15) { /* reserved: stop processing here */
                it->off = it->len;
                return 0;
            }
            vlen = (size_t)(p[0] & 0x0f) + 1;
            hdr = 1;
        }
        if (left - hdr < vlen)
            goto bad;
        out->id = id;
        out->len = (uint8_t)vlen;
        out->data = p + hdr;
        it->off += hdr + vlen;
        return 1;
    }
    return 0;
bad:
    it->off = it->len;
    return -EBADMSG;
}

int dc_rtp_ext_find(const dc_rtp_view *v, uint8_t id, dc_rtp_ext_elem *out)
{
    if (id == 0)
        return -EINVAL;
    dc_rtp_ext_iter it;
    if (dc_rtp_ext_iter_init_view(&it, v) < 0)
        return -ENOENT;
    dc_rtp_ext_elem e;
    int r;
    while ((r = dc_rtp_ext_next(&it, &e)) > 0) {
        if (e.id == id) {
            *out = e;
            return 0;
        }
    }
    return r < 0 ? r : -ENOENT;
}

static bool is_mid_char(uint8_t c)
{
    return c > 0x20 && c < 0x7f;
}

static bool is_rid_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Copies a non-empty string element whose every byte passes ok() into out
 * with a NUL; returns its length or a negative errno. */
static int get_string(const dc_rtp_view *v, uint8_t id, char *out, size_t cap, bool (*ok)(uint8_t))
{
    dc_rtp_ext_elem e;
    int r = dc_rtp_ext_find(v, id, &e);
    if (r < 0)
        return r;
    if (e.len == 0)
        return -EBADMSG;
    for (size_t i = 0; i < e.len; i++) {
        if (!ok(e.data[i]))
            return -EBADMSG;
    }
    if (!out || cap < (size_t)e.len + 1)
        return -ENOSPC;
    memcpy(out, e.data, e.len);
    out[e.len] = '\0';
    return e.len;
}

int dc_rtp_ext_mid(const dc_rtp_view *v, uint8_t id, char *out, size_t cap)
{
    return get_string(v, id, out, cap, is_mid_char);
}

int dc_rtp_ext_rid(const dc_rtp_view *v, uint8_t id, char *out, size_t cap)
{
    return get_string(v, id, out, cap, is_rid_char);
}

int dc_rtp_ext_repaired_rid(const dc_rtp_view *v, uint8_t id, char *out, size_t cap)
{
    return get_string(v, id, out, cap, is_rid_char);
}

/* Finds id and checks that its value is exactly len bytes. */
static int find_fixed(const dc_rtp_view *v, uint8_t id, size_t len, dc_rtp_ext_elem *e)
{
    int r = dc_rtp_ext_find(v, id, e);
    if (r < 0)
        return r;
    return e->len == len ? 0 : -EBADMSG;
}

int dc_rtp_ext_abs_send_time(const dc_rtp_view *v, uint8_t id, uint32_t *out)
{
    dc_rtp_ext_elem e;
    int r = find_fixed(v, id, 3, &e);
    if (r < 0)
        return r;
    *out = ((uint32_t)e.data[0] << 16) | ((uint32_t)e.data[1] << 8) | e.data[2];
    return 0;
}

int dc_rtp_ext_transport_seq(const dc_rtp_view *v, uint8_t id, uint16_t *out)
{
    dc_rtp_ext_elem e;
    int r = find_fixed(v, id, 2, &e);
    if (r < 0)
        return r;
    *out = (uint16_t)((e.data[0] << 8) | e.data[1]);
    return 0;
}

int dc_rtp_ext_audio_level(const dc_rtp_view *v, uint8_t id, bool *voice, uint8_t *level)
{
    dc_rtp_ext_elem e;
    int r = find_fixed(v, id, 1, &e);
    if (r < 0)
        return r;
    *voice = (e.data[0] & 0x80) != 0;
    *level = e.data[0] & 0x7f;
    return 0;
}

uint32_t dc_rtp_ext_abs_send_time_from_us(uint64_t us)
{
    /* 6 bits of seconds and 18 of fraction: wraps every 64 s. */
    uint64_t wrapped = us % (64u * 1000000u);
    return (uint32_t)(((wrapped << 18) / 1000000u) & 0xffffff);
}

int dc_rtp_ext_rewrite(uint8_t *pkt, size_t len, uint8_t id, const uint8_t *val, size_t val_len)
{
    if (id == 0)
        return -EINVAL;
    dc_rtp_view v;
    if (dc_rtp_parse(pkt, len, &v) < 0)
        return -EBADMSG;
    dc_rtp_ext_elem e;
    int r = dc_rtp_ext_find(&v, id, &e);
    if (r < 0)
        return r;
    if (e.len != val_len || (val_len && !val))
        return -EINVAL;
    /* e.data points into pkt (through the const view): write at its offset. */
    size_t off = (size_t)(e.data - pkt);
    if (val_len)
        memmove(pkt + off, val, val_len);
    return 0;
}

int dc_rtp_ext_set_transport_seq(uint8_t *pkt, size_t len, uint8_t id, uint16_t seq)
{
    const uint8_t val[2] = {(uint8_t)(seq >> 8), (uint8_t)seq};
    return dc_rtp_ext_rewrite(pkt, len, id, val, sizeof(val));
}

int dc_rtp_ext_set_abs_send_time(uint8_t *pkt, size_t len, uint8_t id, uint32_t value)
{
    const uint8_t val[3] = {(uint8_t)(value >> 16), (uint8_t)(value >> 8), (uint8_t)value};
    return dc_rtp_ext_rewrite(pkt, len, id, val, sizeof(val));
}

int dc_rtp_ext_write(const dc_rtp_ext_elem *elems, size_t n, uint8_t *buf, size_t cap,
                     uint16_t *profile)
{
    if (!buf)
        cap = 0;
    bool one_byte = true;
    for (size_t i = 0; i < n; i++) {
        const dc_rtp_ext_elem *e = &elems[i];
        if (e->id == 0 || (e->len && !e->data))
            return -EINVAL;
        for (size_t j = 0; j < i; j++) {
            if (elems[j].id == e->id)
                return -EINVAL;
        }
        if (e->id > DC_RTP_EXT_ONE_BYTE_MAX_ID || e->len == 0 ||
            e->len > DC_RTP_EXT_ONE_BYTE_MAX_LEN)
            one_byte = false;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const dc_rtp_ext_elem *e = &elems[i];
        size_t hdr = one_byte ? 1 : 2;
        if (cap - off < hdr + e->len)
            return -ENOSPC;
        if (one_byte) {
            buf[off] = (uint8_t)((e->id << 4) | (e->len - 1));
        } else {
            buf[off] = e->id;
            buf[off + 1] = e->len;
        }
        if (e->len)
            memcpy(buf + off + hdr, e->data, e->len);
        off += hdr + e->len;
    }
    size_t padded = (off + 3) & ~(size_t)3;
    if (cap < padded)
        return -ENOSPC;
    if (padded > off)
        memset(buf + off, 0, padded - off);
    *profile = one_byte ? DC_RTP_EXT_PROFILE_ONE_BYTE : DC_RTP_EXT_PROFILE_TWO_BYTE;
    return (int)padded;
}
