/* ctl/sparkline: a row of block characters (▁▂▃▄▅▆▇█) for a series of
 * samples, as diemcau-ctl watch draws loss and bitrate over the last minute.
 * Pure. */
#pragma once

#include <stddef.h>

/* Draws @n samples (oldest first) in @width cells: each cell is the largest
 * sample of its share of the series (so a short loss burst stays visible);
 * a cell whose samples are all NaN (no figures) is a space. Heights scale
 * from 0 to @full_scale, values above it drawn as █ (e.g. 10 for loss in %,
 * so 0.5 % is ▁ and every site is drawn on the same scale); @full_scale 0
 * scales to the largest sample of the series. When @n < @width the series is right-aligned (newest
 * at the right edge), padded with spaces. Returns UTF-8 text of exactly @width cells (free with
 * g_free()). */
char *dc_ctl_sparkline(const double *v, size_t n, size_t width, double full_scale);
