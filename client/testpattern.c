/* testpattern: draws and reads the self-describing test picture (see
 * testpattern.h for the layout). */
#include "client/testpattern.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CODE_COLS 40
#define CODE_ROWS 6
#define CODE_PAIRS (CODE_COLS * CODE_ROWS / 2)
#define SYNC_BITS 24
#define SYNC_WORD 0xd1c36aU /* arbitrary, mixed runs */
#define PAYLOAD_BYTES 10
#define GRID_ROWS 22 /* the cell size fits 22 rows into the height */

#define LUMA_BLACK 16
#define LUMA_WHITE 235
/* A pair whose cells differ by less than this is unreadable: nominal
 * difference is 219; VP8 at low bitrate keeps well over half of it. */
#define MIN_PAIR_CONTRAST 40

uint16_t dc_pattern_site_tag(const char *site_id)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)site_id; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    uint16_t tag = (uint16_t)((h ^ (h >> 12) ^ (h >> 24)) & 0xfff);
    if (tag == 0 && site_id[0])
        tag = 1;
    return tag;
}

int dc_pattern_cell_size(int width, int height)
{
    if (width < DC_PATTERN_MIN_WIDTH || height < DC_PATTERN_MIN_HEIGHT)
        return 0;
    int u = width / CODE_COLS;
    if (height / GRID_ROWS < u)
        u = height / GRID_ROWS;
    u &= ~3;
    return u >= 4 ? u : 0;
}

/* CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xffff. */
static uint16_t crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xffff;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

static void pack_payload(const dc_pattern_info *info, uint8_t out[PAYLOAD_BYTES])
{
    uint16_t id = (uint16_t)(info->site_index << 12 | info->site_tag);
    out[0] = (uint8_t)(id >> 8);
    out[1] = (uint8_t)id;
    for (int i = 0; i < 4; i++) {
        out[2 + i] = (uint8_t)(info->counter >> (24 - 8 * i));
        out[6 + i] = (uint8_t)(info->capture_ms >> (24 - 8 * i));
    }
}

/* The 120 code bits, most significant first: sync, payload, CRC. */
static void code_bits(const dc_pattern_info *info, uint8_t bits[CODE_PAIRS])
{
    uint8_t payload[PAYLOAD_BYTES];
    pack_payload(info, payload);
    uint16_t crc = crc16(payload, sizeof(payload));
    int k = 0;
    for (int i = SYNC_BITS - 1; i >= 0; i--)
        bits[k++] = (SYNC_WORD >> i) & 1;
    for (int i = 0; i < PAYLOAD_BYTES; i++)
        for (int b = 7; b >= 0; b--)
            bits[k++] = (payload[i] >> b) & 1;
    for (int b = 15; b >= 0; b--)
        bits[k++] = (crc >> b) & 1;
}

static void fill_rect(uint8_t *plane, int stride, int x0, int y0, int x1, int y1, uint8_t v)
{
    if (x1 <= x0 || y1 <= y0)
        return;
    for (int y = y0; y < y1; y++)
        memset(plane + (size_t)y * (size_t)stride + x0, v, (size_t)(x1 - x0));
}

/* Fills a luma rectangle and the chroma under it. */
static void fill_yuv(dc_i420 *pic, int x0, int y0, int x1, int y1, uint8_t y, uint8_t u, uint8_t v)
{
    if (x1 > pic->width)
        x1 = pic->width;
    if (y1 > pic->height)
        y1 = pic->height;
    fill_rect(pic->plane[0], pic->stride[0], x0, y0, x1, y1, y);
    int cx0 = x0 / 2, cy0 = y0 / 2, cx1 = (x1 + 1) / 2, cy1 = (y1 + 1) / 2;
    fill_rect(pic->plane[1], pic->stride[1], cx0, cy0, cx1, cy1, u);
    fill_rect(pic->plane[2], pic->stride[2], cx0, cy0, cx1, cy1, v);
}

static void site_colour(int index, uint8_t *u, uint8_t *v)
{
    double hue = index * (2.0 * M_PI / 16.0);
    *u = (uint8_t)lround(128.0 + 72.0 * cos(hue));
    *v = (uint8_t)lround(128.0 + 72.0 * sin(hue));
}

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* Busy background: random blocks scrolling right and down, reshuffled
 * every 15 frames, with chroma noise around the site's colour. */
static void draw_texture(dc_i420 *pic, int u_cell, int top, uint32_t counter, uint8_t bu,
                         uint8_t bv)
{
    int b = u_cell / 2 > 2 ? u_cell / 2 : 2;
    uint32_t sx = counter * 3u, sy = counter, epoch = counter / 15u;
    for (int y = top; y < pic->height; y++) {
        uint8_t *row = pic->plane[0] + (size_t)y * (size_t)pic->stride[0];
        uint32_t by = ((uint32_t)y - sy) / (uint32_t)b;
        for (int x = 0; x < pic->width; x++) {
            uint32_t bx = ((uint32_t)x - sx) / (uint32_t)b;
            uint32_t h = mix32(bx * 0x9e3779b1U ^ by * 0x85ebca77U ^ epoch * 0xc2b2ae3dU);
            row[x] = (uint8_t)(30 + h % 190);
        }
    }
    for (int y = top / 2; y < dc_i420_chroma(pic->height); y++) {
        uint8_t *ru = pic->plane[1] + (size_t)y * (size_t)pic->stride[1];
        uint8_t *rv = pic->plane[2] + (size_t)y * (size_t)pic->stride[2];
        for (int x = 0; x < dc_i420_chroma(pic->width); x++) {
            uint32_t h = mix32((uint32_t)(x + (int)(sx / 2)) * 0x27d4eb2fU ^
                               (uint32_t)(y - (int)(sy / 2)) * 0x165667b1U ^ epoch);
            ru[x] = (uint8_t)(bu - 24 + (int)(h & 31) + 8);
            rv[x] = (uint8_t)(bv - 24 + (int)((h >> 8) & 31) + 8);
        }
    }
}

/* 3x5 digit glyphs, one row per 3 bits, top row first. */
static const uint16_t glyphs[10] = {
    075557, 026227, 071747, 071717, 055711, 074717, 074757, 071111, 075757, 075717,
};

static void draw_digit(dc_i420 *pic, int digit, int x0, int y0, int px)
{
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 3; c++)
            if ((glyphs[digit] >> ((4 - r) * 3 + (2 - c))) & 1)
                fill_yuv(pic, x0 + c * px, y0 + r * px, x0 + (c + 1) * px, y0 + (r + 1) * px,
                         LUMA_WHITE, 128, 128);
}

int dc_pattern_draw(dc_i420 *pic, const dc_pattern_info *info, dc_pattern_motion motion)
{
    int u = dc_pattern_cell_size(pic->width, pic->height);
    if (u == 0 || info->site_index > DC_PATTERN_MAX_SITE || info->site_tag > 0xfff)
        return -EINVAL;
    int band = CODE_ROWS * u;

    /* Code band: neutral chroma, gray right of the 40 columns. */
    fill_yuv(pic, 0, 0, pic->width, band, 128, 128, 128);
    uint8_t bits[CODE_PAIRS];
    code_bits(info, bits);
    for (int k = 0; k < CODE_PAIRS; k++) {
        for (int half = 0; half < 2; half++) {
            int cell = 2 * k + half;
            int x = (cell % CODE_COLS) * u, y = (cell / CODE_COLS) * u;
            bool white = (bits[k] != 0) == (half == 0);
            fill_rect(pic->plane[0], pic->stride[0], x, y, x + u, y + u,
                      white ? LUMA_WHITE : LUMA_BLACK);
        }
    }

    /* Picture for people: site hue, big site index, moving bar. */
    uint8_t cu, cv;
    site_colour(info->site_index, &cu, &cv);
    if (motion == DC_PATTERN_BUSY)
        draw_texture(pic, u, band, info->counter, cu, cv);
    else
        fill_yuv(pic, 0, band, pic->width, pic->height, 96, cu, cv);
    int px = 2 * u;
    int top = band + 2 * u;
    draw_digit(pic, info->site_index / 10, 2 * u, top, px);
    draw_digit(pic, info->site_index % 10, 2 * u + 4 * px, top, px);

    int bar_left = 2 * u + 8 * px, span = pic->width - bar_left - u;
    if (span > 0) {
        int x = bar_left + (int)((info->counter * (uint32_t)(u / 2)) % (uint32_t)span);
        fill_yuv(pic, x, band + u, x + u, pic->height, 24, 128, 128);
    }
    return 0;
}

/* Mean luma of a cell's inner half (edges suffer ringing and the loop
 * filter). */
static int cell_mean(const dc_i420 *pic, int u, int cell)
{
    int m = u / 4;
    int x0 = (cell % CODE_COLS) * u + m, y0 = (cell / CODE_COLS) * u + m;
    int n = u - 2 * m;
    unsigned sum = 0;
    for (int y = y0; y < y0 + n; y++) {
        const uint8_t *row = pic->plane[0] + (size_t)y * (size_t)pic->stride[0];
        for (int x = x0; x < x0 + n; x++)
            sum += row[x];
    }
    return (int)(sum / (unsigned)(n * n));
}

int dc_pattern_read(const dc_i420 *pic, dc_pattern_info *info)
{
    int u = dc_pattern_cell_size(pic->width, pic->height);
    if (u == 0)
        return -EINVAL;
    uint8_t bits[CODE_PAIRS];
    bool ambiguous = false;
    for (int k = 0; k < CODE_PAIRS; k++) {
        int a = cell_mean(pic, u, 2 * k), b = cell_mean(pic, u, 2 * k + 1);
        bits[k] = a > b;
        if (abs(a - b) < MIN_PAIR_CONTRAST)
            ambiguous = true;
    }
    /* Many wrong sync bits: this is not a test pattern at all; a few: it is
     * one, misread. */
    int sync_errors = 0;
    for (int k = 0; k < SYNC_BITS; k++)
        sync_errors += bits[k] != ((SYNC_WORD >> (SYNC_BITS - 1 - k)) & 1);
    if (sync_errors >= 4)
        return -ENOENT;
    if (sync_errors > 0 || ambiguous)
        return -EBADMSG;
    uint8_t payload[PAYLOAD_BYTES];
    int k = SYNC_BITS;
    for (int i = 0; i < PAYLOAD_BYTES; i++) {
        payload[i] = 0;
        for (int b = 0; b < 8; b++)
            payload[i] = (uint8_t)(payload[i] << 1 | bits[k++]);
    }
    uint16_t crc = 0;
    for (int b = 0; b < 16; b++)
        crc = (uint16_t)(crc << 1 | bits[k++]);
    if (crc != crc16(payload, sizeof(payload)))
        return -EBADMSG;
    info->site_index = payload[0] >> 4;
    info->site_tag = (uint16_t)((payload[0] & 0x0f) << 8 | payload[1]);
    info->counter = (uint32_t)payload[2] << 24 | (uint32_t)payload[3] << 16 |
                    (uint32_t)payload[4] << 8 | payload[5];
    info->capture_ms = (uint32_t)payload[6] << 24 | (uint32_t)payload[7] << 16 |
                       (uint32_t)payload[8] << 8 | payload[9];
    return 0;
}
