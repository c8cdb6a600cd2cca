/* ctl/sparkline: block-character sparklines. See sparkline.h. */
#include "ctl/sparkline.h"

#include <glib.h>
#include <math.h>

static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

char *dc_ctl_sparkline(const double *v, size_t n, size_t width, double full_scale)
{
    GString *out = g_string_new(NULL);
    if (width == 0) {
        return g_string_free(out, FALSE);
    }
    double top = full_scale;
    for (size_t i = 0; full_scale <= 0 && i < n; i++) {
        if (!isnan(v[i]) && v[i] > top) {
            top = v[i];
        }
    }
    /* Fewer samples than cells: one sample per cell, newest at the right. */
    size_t cells = n < width ? n : width;
    for (size_t c = cells; c < width; c++) {
        g_string_append_c(out, ' ');
    }
    for (size_t c = 0; c < cells; c++) {
        size_t from = c * n / cells, to = (c + 1) * n / cells;
        double cell = NAN;
        for (size_t i = from; i < to; i++) {
            if (!isnan(v[i]) && (isnan(cell) || v[i] > cell)) {
                cell = v[i];
            }
        }
        if (isnan(cell)) {
            g_string_append_c(out, ' ');
            continue;
        }
        int level = top > 0 && cell > 0 ? (int)ceil(cell / top * 8) - 1 : 0;
        g_string_append(out, blocks[CLAMP(level, 0, 7)]);
    }
    return g_string_free(out, FALSE);
}
