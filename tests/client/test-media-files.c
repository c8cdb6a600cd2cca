/* Unit tests for client/y4m and client/wav: write to a temporary folder,
 * read back headers, sizes and contents; refuse files of other formats. */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "client/testpattern.h"
#include "client/wav.h"
#include "client/y4m.h"

typedef struct {
    char *dir;
} tmpdir;

static void tmp_setup(tmpdir *t, gconstpointer data)
{
    GError *error = NULL;
    t->dir = g_dir_make_tmp("dc-client-XXXXXX", &error);
    g_assert_no_error(error);
}

static void tmp_teardown(tmpdir *t, gconstpointer data)
{
    GDir *d = g_dir_open(t->dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *p = g_build_filename(t->dir, name, NULL);
        g_unlink(p);
    }
    g_dir_close(d);
    g_rmdir(t->dir);
    g_free(t->dir);
}

static void write_file(const char *path, const void *data, size_t len)
{
    GError *error = NULL;
    g_file_set_contents(path, data, (gssize)len, &error);
    g_assert_no_error(error);
}

/* Writes 5 odd-sized pattern pictures (one a view with padded stride) and
 * reads them back: header, file size, pixels, end of file, rewind. */
static void test_y4m_round_trip(tmpdir *t, gconstpointer data)
{
    enum { W = 322, H = 181, N = 5 };
    g_autofree char *path = g_build_filename(t->dir, "site.y4m", NULL);
    GError *error = NULL;
    dc_y4m_writer *w = dc_y4m_writer_open(path, W, H, 15, 1, &error);
    g_assert_no_error(error);
    dc_i420 pic, padded = {0};
    g_assert_cmpint(dc_i420_alloc(&pic, W, H), ==, 0);
    for (int i = 0; i < N; i++) {
        dc_pattern_info in = {.site_index = 2, .site_tag = 7, .counter = (uint32_t)i};
        g_assert_cmpint(dc_pattern_draw(&pic, &in, DC_PATTERN_BUSY), ==, 0);
        g_assert_true(dc_y4m_writer_write(w, &pic, &error));
        g_assert_no_error(error);
    }
    /* Wrong size: refused, stream intact. */
    g_assert_cmpint(dc_i420_alloc(&padded, W - 2, H), ==, 0);
    g_assert_false(dc_y4m_writer_write(w, &padded, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID);
    g_clear_error(&error);
    dc_i420_clear(&padded);
    g_assert_cmpuint(dc_y4m_writer_frames(w), ==, N);
    g_assert_true(dc_y4m_writer_close(w, &error));

    g_autofree char *contents = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    const char *header = "YUV4MPEG2 W322 H181 F15:1 Ip A1:1 C420\n";
    g_assert_true(g_str_has_prefix(contents, header));
    g_assert_cmpuint(len, ==, strlen(header) + N * (6 + dc_i420_packed_size(W, H)));

    g_autoptr(dc_y4m_reader) r = dc_y4m_reader_open(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dc_y4m_reader_width(r), ==, W);
    g_assert_cmpint(dc_y4m_reader_height(r), ==, H);
    int num, den;
    dc_y4m_reader_fps(r, &num, &den);
    g_assert_cmpint(num, ==, 15);
    g_assert_cmpint(den, ==, 1);
    dc_i420 in;
    g_assert_cmpint(dc_i420_alloc(&in, W, H), ==, 0);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N; i++) {
            g_assert_cmpint(dc_y4m_reader_read(r, &in), ==, 1);
            dc_pattern_info got;
            g_assert_cmpint(dc_pattern_read(&in, &got), ==, 0);
            g_assert_cmpuint(got.counter, ==, (uint32_t)i);
        }
        /* The last picture is byte-identical to what was drawn. */
        g_assert_cmpmem(in.buf, dc_i420_packed_size(W, H), pic.buf, dc_i420_packed_size(W, H));
        g_assert_cmpint(dc_y4m_reader_read(r, &in), ==, 0);
        g_assert_cmpint(dc_y4m_reader_rewind(r), ==, 0);
    }
    dc_i420 small;
    g_assert_cmpint(dc_i420_alloc(&small, 160, 90), ==, 0);
    g_assert_cmpint(dc_y4m_reader_read(r, &small), ==, -EINVAL);
    dc_i420_clear(&small);
    dc_i420_clear(&in);
    dc_i420_clear(&pic);
}

static void test_y4m_reader_refuses(tmpdir *t, gconstpointer data)
{
    static const struct {
        const char *text;
        int want; /* 1: opens, then the first read returns -EBADMSG */
    } cases[] = {
        {"YUV4MPEG2 W4 H2 F25:1 C444\n", 0},
        {"YUV4MPEG2 W4 H2 F25:1 C420p10\n", 0},
        {"YUV4MPEG2 H2 F25:1\n", 0},
        {"YUV4MPEG2 W4x H2\n", 0},
        {"YUV4MPEG2 W4 H2 F25\n", 0},
        {"RIFF....WAVE", 0},
        {"YUV4MPEG2 W4 H2 F25:1 C420jpeg\nFRAME\n\x10\x10", 1},
        {"YUV4MPEG2 W4 H2 Ip A0:0 XYSCSS=420JPEG\nFRAMX\n", 1},
    };
    g_autofree char *path = g_build_filename(t->dir, "bad.y4m", NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        write_file(path, cases[i].text, strlen(cases[i].text));
        GError *error = NULL;
        dc_y4m_reader *r = dc_y4m_reader_open(path, &error);
        if (!cases[i].want) {
            g_assert_null(r);
            g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_FORMAT);
            g_clear_error(&error);
            continue;
        }
        g_assert_no_error(error);
        dc_i420 pic;
        g_assert_cmpint(dc_i420_alloc(&pic, 4, 2), ==, 0);
        g_assert_cmpint(dc_y4m_reader_read(r, &pic), ==, -EBADMSG);
        dc_i420_clear(&pic);
        dc_y4m_reader_free(r);
    }
    GError *error = NULL;
    g_autofree char *missing = g_build_filename(t->dir, "missing.y4m", NULL);
    g_assert_null(dc_y4m_reader_open(missing, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_IO);
    g_clear_error(&error);
    g_assert_null(dc_y4m_writer_open(missing, 0, 2, 25, 1, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID);
    g_clear_error(&error);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Stereo 48 kHz in uneven chunks; the sizes are patched on close and the
 * samples read back exactly, including across rewind. */
static void test_wav_round_trip(tmpdir *t, gconstpointer data)
{
    enum { CH = 2, N = 48000 / 10 + 7 };
    g_autofree char *path = g_build_filename(t->dir, "site.wav", NULL);
    static int16_t pcm[N * CH], back[N * CH];
    for (int i = 0; i < N * CH; i++)
        pcm[i] = (int16_t)(i * 37 - 30000);
    GError *error = NULL;
    dc_wav_writer *w = dc_wav_writer_open(path, 48000, CH, &error);
    g_assert_no_error(error);
    int done = 0;
    for (int chunk = 1; done < N; chunk *= 3) {
        int n = MIN(chunk, N - done);
        g_assert_true(dc_wav_writer_write(w, pcm + done * CH, (size_t)n, &error));
        done += n;
    }
    g_assert_cmpuint(dc_wav_writer_samples(w), ==, N);
    g_assert_true(dc_wav_writer_close(w, &error));
    g_assert_no_error(error);

    g_autofree uint8_t *contents = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, (char **)&contents, &len, NULL));
    g_assert_cmpuint(len, ==, 44 + N * CH * 2);
    g_assert_cmpmem(contents, 4, "RIFF", 4);
    g_assert_cmpuint(le32(contents + 4), ==, len - 8);
    g_assert_cmpmem(contents + 8, 8, "WAVEfmt ", 8);
    g_assert_cmpuint(le32(contents + 24), ==, 48000);
    g_assert_cmpuint(contents[22], ==, CH);
    g_assert_cmpuint(contents[34], ==, 16);
    g_assert_cmpmem(contents + 36, 4, "data", 4);
    g_assert_cmpuint(le32(contents + 40), ==, N * CH * 2);
    g_assert_cmpuint(contents[44], ==, (uint8_t)(pcm[0] & 0xff)); /* little-endian */

    g_autoptr(dc_wav_reader) r = dc_wav_reader_open(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dc_wav_reader_rate(r), ==, 48000);
    g_assert_cmpint(dc_wav_reader_channels(r), ==, CH);
    g_assert_cmpuint(dc_wav_reader_samples(r), ==, N);
    for (int pass = 0; pass < 2; pass++) {
        memset(back, 0, sizeof(back));
        long got = 0;
        while (got < N) {
            long n = dc_wav_reader_read(r, back + got * CH, 960);
            g_assert_cmpint(n, >, 0);
            got += n;
        }
        g_assert_cmpint(got, ==, N);
        g_assert_cmpint(dc_wav_reader_read(r, back, 960), ==, 0);
        g_assert_cmpmem(back, sizeof(back), pcm, sizeof(pcm));
        g_assert_cmpint(dc_wav_reader_rewind(r), ==, 0);
    }
}

/* Foreign WAVs: extra chunks and a streaming (0) data size are read; 8-bit
 * and float are refused. */
static void test_wav_reader_variants(tmpdir *t, gconstpointer data)
{
    g_autofree char *path = g_build_filename(t->dir, "other.wav", NULL);
    uint8_t file[44 + 12 + 8] = "RIFF\0\0\0\0WAVE"
                                "LIST\4\0\0\0abcd"
                                "fmt \x10\0\0\0\1\0\1\0\x80\xbb\0\0\0\x77\1\0\2\0\x10\0"
                                "data\0\0\0\0";
    /* 4 mono samples after the 56-byte header. */
    const int16_t s[4] = {1, -2, 300, -32768};
    memcpy(file + 56, s, sizeof(s));
    write_file(path, file, sizeof(file));
    GError *error = NULL;
    dc_wav_reader *r = dc_wav_reader_open(path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(dc_wav_reader_rate(r), ==, 48000);
    g_assert_cmpint(dc_wav_reader_channels(r), ==, 1);
    g_assert_cmpuint(dc_wav_reader_samples(r), ==, 4);
    int16_t back[8];
    g_assert_cmpint(dc_wav_reader_read(r, back, 8), ==, 4);
    g_assert_cmpmem(back, sizeof(s), s, sizeof(s));
    dc_wav_reader_free(r);

    file[46] = 8; /* 8-bit */
    write_file(path, file, sizeof(file));
    g_assert_null(dc_wav_reader_open(path, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_FORMAT);
    g_clear_error(&error);
    file[46] = 16;
    file[32] = 3; /* IEEE float */
    write_file(path, file, sizeof(file));
    g_assert_null(dc_wav_reader_open(path, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_FORMAT);
    g_clear_error(&error);
    write_file(path, "RIFF", 4);
    g_assert_null(dc_wav_reader_open(path, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_FORMAT);
    g_clear_error(&error);
    g_assert_null(dc_wav_writer_open(path, 48000, 0, &error));
    g_assert_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID);
    g_clear_error(&error);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/client/files/y4m-round-trip", tmpdir, NULL, tmp_setup, test_y4m_round_trip,
               tmp_teardown);
    g_test_add("/client/files/y4m-reader-refuses", tmpdir, NULL, tmp_setup, test_y4m_reader_refuses,
               tmp_teardown);
    g_test_add("/client/files/wav-round-trip", tmpdir, NULL, tmp_setup, test_wav_round_trip,
               tmp_teardown);
    g_test_add("/client/files/wav-reader-variants", tmpdir, NULL, tmp_setup,
               test_wav_reader_variants, tmp_teardown);
    return g_test_run();
}
