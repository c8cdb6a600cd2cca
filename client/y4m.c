/* y4m: YUV4MPEG2 writer and reader (see y4m.h). */
#include "client/y4m.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADER 256

struct dc_y4m_writer {
    FILE *f;
    char *path;
    int width, height;
    unsigned frames;
};

struct dc_y4m_reader {
    FILE *f;
    int width, height, fps_num, fps_den;
    long first_frame; /* file offset after the header */
};

static gboolean io_error(GError **error, const char *what, const char *path, int err)
{
    g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_IO, "%s %s: %s", what, path, g_strerror(err));
    return FALSE;
}

dc_y4m_writer *dc_y4m_writer_open(const char *path, int width, int height, int fps_num, int fps_den,
                                  GError **error)
{
    if (width < 2 || height < 2 || width > 16384 || height > 16384 || fps_num < 1 || fps_den < 1) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID,
                    "Y4M %s: invalid stream %dx%d at %d/%d fps", path, width, height, fps_num,
                    fps_den);
        return NULL;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        io_error(error, "cannot create", path, errno);
        return NULL;
    }
    if (fprintf(f, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 C420\n", width, height, fps_num, fps_den) <
        0) {
        int err = errno;
        fclose(f);
        io_error(error, "cannot write", path, err);
        return NULL;
    }
    dc_y4m_writer *w = g_new0(dc_y4m_writer, 1);
    w->f = f;
    w->path = g_strdup(path);
    w->width = width;
    w->height = height;
    return w;
}

gboolean dc_y4m_writer_write(dc_y4m_writer *w, const dc_i420 *pic, GError **error)
{
    if (pic->width != w->width || pic->height != w->height) {
        g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_INVALID,
                    "Y4M %s: picture %dx%d in a %dx%d stream", w->path, pic->width, pic->height,
                    w->width, w->height);
        return FALSE;
    }
    bool ok = fputs("FRAME\n", w->f) >= 0;
    for (int p = 0; p < 3 && ok; p++) {
        int pw = p ? dc_i420_chroma(pic->width) : pic->width;
        int ph = p ? dc_i420_chroma(pic->height) : pic->height;
        for (int y = 0; y < ph && ok; y++)
            ok = fwrite(pic->plane[p] + (size_t)y * (size_t)pic->stride[p], 1, (size_t)pw, w->f) ==
                 (size_t)pw;
    }
    if (!ok)
        return io_error(error, "cannot write", w->path, errno);
    w->frames++;
    return TRUE;
}

unsigned dc_y4m_writer_frames(const dc_y4m_writer *w)
{
    return w->frames;
}

gboolean dc_y4m_writer_close(dc_y4m_writer *w, GError **error)
{
    if (!w)
        return TRUE;
    gboolean ok = TRUE;
    if (fclose(w->f) != 0)
        ok = io_error(error, "cannot close", w->path, errno);
    g_free(w->path);
    g_free(w);
    return ok;
}

static gboolean format_error(GError **error, const char *path, const char *why)
{
    g_set_error(error, DC_MEDIA_ERROR, DC_MEDIA_ERROR_FORMAT, "Y4M %s: %s", path, why);
    return FALSE;
}

/* Parses "YUV4MPEG2 W.. H.. F..:.. [I.] [A..] [C...] [X...]". */
static gboolean parse_header(dc_y4m_reader *r, char *line, const char *path, GError **error)
{
    if (strncmp(line, "YUV4MPEG2", 9) != 0 || (line[9] != ' ' && line[9] != '\0'))
        return format_error(error, path, "not a YUV4MPEG2 file");
    r->fps_num = 30;
    r->fps_den = 1;
    char *save = NULL;
    for (char *tok = strtok_r(line + 9, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *end = NULL;
        switch (tok[0]) {
        case 'W':
            r->width = (int)strtol(tok + 1, &end, 10);
            break;
        case 'H':
            r->height = (int)strtol(tok + 1, &end, 10);
            break;
        case 'F': {
            long num = strtol(tok + 1, &end, 10);
            if (*end != ':')
                return format_error(error, path, "bad frame rate");
            long den = strtol(end + 1, &end, 10);
            if (num < 1 || den < 1 || num > 1000000 || den > 1000000)
                return format_error(error, path, "bad frame rate");
            r->fps_num = (int)num;
            r->fps_den = (int)den;
            break;
        }
        case 'C':
            if (strcmp(tok, "C420") != 0 && strcmp(tok, "C420jpeg") != 0 &&
                strcmp(tok, "C420mpeg2") != 0 && strcmp(tok, "C420paldv") != 0)
                return format_error(error, path, "only 8-bit 4:2:0 (C420) is supported");
            break;
        default: /* I (interlacing), A (aspect), X (comments): ignored */
            break;
        }
        if (end && *end != '\0' && tok[0] != 'F')
            return format_error(error, path, "bad number in header");
    }
    if (r->width < 2 || r->height < 2 || r->width > 16384 || r->height > 16384)
        return format_error(error, path, "missing or bad W/H");
    return TRUE;
}

dc_y4m_reader *dc_y4m_reader_open(const char *path, GError **error)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        io_error(error, "cannot open", path, errno);
        return NULL;
    }
    char line[MAX_HEADER];
    if (!fgets(line, sizeof(line), f) || !strchr(line, '\n')) {
        fclose(f);
        format_error(error, path, "missing or overlong header line");
        return NULL;
    }
    line[strcspn(line, "\n")] = '\0';
    dc_y4m_reader *r = g_new0(dc_y4m_reader, 1);
    r->f = f;
    if (!parse_header(r, line, path, error)) {
        dc_y4m_reader_free(r);
        return NULL;
    }
    r->first_frame = ftell(f);
    return r;
}

int dc_y4m_reader_width(const dc_y4m_reader *r)
{
    return r->width;
}

int dc_y4m_reader_height(const dc_y4m_reader *r)
{
    return r->height;
}

void dc_y4m_reader_fps(const dc_y4m_reader *r, int *num, int *den)
{
    *num = r->fps_num;
    *den = r->fps_den;
}

int dc_y4m_reader_read(dc_y4m_reader *r, dc_i420 *pic)
{
    if (pic->width != r->width || pic->height != r->height)
        return -EINVAL;
    char line[MAX_HEADER];
    if (!fgets(line, sizeof(line), r->f))
        return ferror(r->f) ? -EIO : 0;
    if (strncmp(line, "FRAME", 5) != 0 || !strchr(line, '\n'))
        return -EBADMSG;
    for (int p = 0; p < 3; p++) {
        int pw = p ? dc_i420_chroma(pic->width) : pic->width;
        int ph = p ? dc_i420_chroma(pic->height) : pic->height;
        for (int y = 0; y < ph; y++)
            if (fread(pic->plane[p] + (size_t)y * (size_t)pic->stride[p], 1, (size_t)pw, r->f) !=
                (size_t)pw)
                return ferror(r->f) ? -EIO : -EBADMSG;
    }
    return 1;
}

int dc_y4m_reader_rewind(dc_y4m_reader *r)
{
    clearerr(r->f);
    return fseek(r->f, r->first_frame, SEEK_SET) == 0 ? 0 : -EIO;
}

void dc_y4m_reader_free(dc_y4m_reader *r)
{
    if (!r)
        return;
    fclose(r->f);
    g_free(r);
}
