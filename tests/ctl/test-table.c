/* Pure tests of diemcau-ctl's views (ctl/table.c, ctl/sparkline.c and the
 * watch screen's layout): rows from JSON fixtures, Vietnamese names aligned
 * by display width, problem marks, 80 columns, sparklines. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ctl/sparkline.h"
#include "ctl/table.h"

/* What GET /api/stats answers (signaling/stats.c), trimmed. */
static const char fixture[] =
    "{\"meeting\":\"hatinh\",\"title\":\"Hội nghị\",\"time\":1795796863,"
    " \"bridge\":{\"link\":\"up\",\"stats\":\"ok\",\"age_s\":0.4},"
    " \"sites\":{"
    "  \"tinh\":{\"id\":\"tinh\",\"name\":\"Công an tỉnh Hà Tĩnh\",\"role\":\"chair\","
    "   \"present\":true,\"state\":\"connected\","
    "   \"bitrate_bps\":{\"up\":1250000,\"down\":14300000},"
    "   \"loss_pct\":{\"up\":0,\"down\":0.1},\"jitter_ms\":{\"up\":2.5,\"down\":3.1},"
    "   \"rtt_ms\":12,\"score\":{\"up\":93,\"down\":92,\"level\":\"excellent\",\"mos\":4.4},"
    "   \"link\":{\"state\":\"connected\",\"dtls\":\"connected\","
    "    "
    "\"ice\":{\"local\":\"127.0.0.1:40002\",\"remote\":\"127.0.0.1:50000\",\"type\":\"host/host\"},"
    "    \"up\":{\"audio\":{\"packets\":5000,\"bitrate_bps\":50000,\"loss_pct\":0},"
    "           \"video\":{\"packets\":90000,\"bitrate_bps\":1200000,\"loss_pct\":0,"
    "                      \"fps\":30,\"width\":1280,\"height\":720}},"
    "    \"down\":{\"audio\":{\"loss_pct\":0.1},\"video\":{\"loss_pct\":0}}},"
    "   \"history\":{\"interval_s\":1,\"loss_up_pct\":[0,0,0],\"loss_down_pct\":[0,0.1,null],"
    "    \"bitrate_up_bps\":[1200000,1250000,null],\"bitrate_down_bps\":[1,2,3]}},"
    "  \"can-loc\":{\"id\":\"can-loc\",\"name\":\"Huyện Can Lộc\",\"role\":\"district\","
    "   \"present\":true,\"state\":\"connected\","
    "   \"bitrate_bps\":{\"up\":640000,\"down\":9800000},"
    "   \"loss_pct\":{\"up\":5.2,\"down\":4.8},\"jitter_ms\":{\"up\":12,\"down\":45},"
    "   \"rtt_ms\":92,\"score\":{\"up\":38,\"down\":44,\"level\":\"poor\",\"mos\":3.1},"
    "   \"link\":{\"up\":{\"video\":{\"fps\":8,\"width\":640,\"height\":360}}},"
    "   \"history\":{\"loss_up_pct\":[0,5,6,20],\"loss_down_pct\":[0,4,5,3],"
    "    \"bitrate_up_bps\":[600000,640000,500000,700000]}},"
    "  \"duc-tho\":{\"id\":\"duc-tho\",\"name\":\"Huyện Đức Thọ\",\"role\":\"district\","
    "   \"present\":false,\"state\":\"absent\"},"
    "  \"wide\":{\"id\":\"wide\",\"name\":\"會議室會議室會議室會議室\",\"present\":true,"
    "   \"state\":\"connecting\"}"
    " }}";

static GPtrArray *load_rows(dc_ctl_meta *meta)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) e = NULL;
    g_assert_true(json_parser_load_from_data(p, fixture, -1, &e));
    g_assert_no_error(e);
    GPtrArray *rows = dc_ctl_rows_from_json(json_parser_get_root(p), meta, &e);
    g_assert_no_error(e);
    g_assert_nonnull(rows);
    return rows;
}

static char **lines_of(const char *text)
{
    g_autofree char *copy = g_strdup(text);
    size_t n = strlen(copy);
    if (n && copy[n - 1] == '\n') {
        copy[n - 1] = '\0';
    }
    return g_strsplit(copy, "\n", -1);
}

/* The display column where @needle starts in @line. */
static size_t column_of(const char *line, const char *needle)
{
    const char *at = strstr(line, needle);
    g_assert_nonnull(at);
    g_autofree char *head = g_strndup(line, (gsize)(at - line));
    return dc_ctl_display_width(head);
}

static const char *line_with(char **lines, const char *needle)
{
    for (int i = 0; lines[i]; i++) {
        if (strstr(lines[i], needle)) {
            return lines[i];
        }
    }
    g_error("no line with “%s”", needle);
    return NULL;
}

static void test_rows(void)
{
    dc_ctl_meta meta = {0};
    g_autoptr(GPtrArray) rows = load_rows(&meta);
    g_assert_cmpuint(rows->len, ==, 4);
    g_assert_cmpstr(meta.meeting, ==, "hatinh");
    g_assert_cmpstr(meta.stats, ==, "ok");
    const dc_ctl_row *t = g_ptr_array_index(rows, 0);
    g_assert_cmpstr(t->id, ==, "tinh");
    g_assert_cmpstr(t->name, ==, "Công an tỉnh Hà Tĩnh");
    g_assert_true(t->present);
    g_assert_cmpfloat(t->up_bps, ==, 1250000);
    g_assert_cmpfloat(t->jitter_ms, ==, 3.1); /* the worse direction */
    g_assert_cmpfloat(t->score, ==, 92);      /* the worse direction */
    g_assert_cmpfloat(t->fps, ==, 30);
    g_assert_cmpuint(t->height, ==, 720);
    g_assert_cmpuint(t->n_hist, ==, 3);
    g_assert_true(isnan(t->hist[DC_CTL_H_RATE_UP][2]));
    const dc_ctl_row *d = g_ptr_array_index(rows, 2);
    g_assert_false(d->present);
    g_assert_true(isnan(d->loss_up) && isnan(d->rtt_ms) && isnan(d->score));
    dc_ctl_meta_clear(&meta);
}

static void test_bad_json(void)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, "{\"error\":\"x\"}", -1, NULL));
    g_autoptr(GError) e = NULL;
    g_assert_null(dc_ctl_rows_from_json(json_parser_get_root(p), NULL, &e));
    g_assert_error(e, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void test_width(void)
{
    g_assert_cmpuint(dc_ctl_display_width("Huyện Đức Thọ"), ==, 13);
    g_assert_cmpuint(strlen("Huyện Đức Thọ"), >, 13);
    /* Decomposed: e + combining circumflex + combining dot below. */
    g_assert_cmpuint(dc_ctl_display_width("Hu\x79\xcc\x82\xcc\xa3n"), ==, 4);
    g_assert_cmpuint(dc_ctl_display_width("會議"), ==, 4);
    g_autofree char *a = dc_ctl_fit("Lộc Hà", 8);
    g_assert_cmpstr(a, ==, "Lộc Hà  ");
    g_autofree char *b = dc_ctl_fit("Thành phố Hà Tĩnh", 10);
    g_assert_cmpstr(b, ==, "Thành phố…");
    g_autofree char *c = dc_ctl_fit("會議室會議室", 6); /* no half of a wide character */
    g_assert_cmpstr(c, ==, "會議… ");
    g_assert_cmpuint(dc_ctl_display_width(c), ==, 6);
}

static void test_names(void)
{
    g_autofree char *a = dc_ctl_fit_name("Công an tỉnh Hà Tĩnh", 17);
    g_assert_cmpstr(a, ==, "CA tỉnh Hà Tĩnh  ");
    g_autofree char *b = dc_ctl_fit_name("Thành phố Hà Tĩnh", 17); /* fits: kept */
    g_assert_cmpstr(b, ==, "Thành phố Hà Tĩnh");
    g_autofree char *c = dc_ctl_fit_name("Huyện Hương Khê", 12);
    g_assert_cmpstr(c, ==, "H. Hương Khê");
    g_autofree char *d = dc_ctl_fit_name("Thị xã Hồng Lĩnh", 12);
    g_assert_cmpstr(d, ==, "TX Hồng Lĩnh");
}

static void test_units(void)
{
    static const struct {
        double v;
        const char *rate, *loss;
    } cases[] = {
        {NAN, "-", "-"},         {0, "0", "0.0%"},         {999, "999", "10%"},
        {1500, "2k", "15%"},     {850000, "850k", "100%"}, {1250000, "1.2M", "100%"},
        {14.3e6, "14M", "100%"}, {-3, "0", "0.0%"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *r = dc_ctl_format_rate(cases[i].v);
        g_assert_cmpstr(r, ==, cases[i].rate);
        g_autofree char *l = dc_ctl_format_loss(cases[i].v / 100);
        g_assert_cmpstr(l, ==, cases[i].loss);
    }
    g_autofree char *l = dc_ctl_format_loss(4.84);
    g_assert_cmpstr(l, ==, "4.8%");
}

static void test_table(void)
{
    g_autoptr(GPtrArray) rows = load_rows(NULL);
    g_autofree char *text = dc_ctl_format_table(rows, false);
    g_test_message("\n%s", text);
    g_auto(GStrv) lines = lines_of(text);
    g_assert_cmpuint(g_strv_length(lines), ==, 1 + rows->len);
    for (int i = 0; lines[i]; i++) {
        g_assert_true(g_utf8_validate(lines[i], -1, NULL));
        g_assert_cmpuint(dc_ctl_display_width(lines[i]), <, DC_CTL_COLUMNS);
        g_assert_null(strchr(lines[i], '\033'));
    }
    /* Every row's state column starts where the header's does, whatever the
     * bytes of the Vietnamese (or wide) name before it. */
    size_t st = column_of(lines[0], "ST");
    g_assert_cmpuint(column_of(line_with(lines, "CA tỉnh"), " up") + 1, ==, st);
    g_assert_cmpuint(column_of(line_with(lines, "Can Lộc"), " up") + 1, ==, st);
    g_assert_cmpuint(column_of(line_with(lines, "Đức Thọ"), " off") + 1, ==, st);
    g_assert_cmpuint(column_of(line_with(lines, "會議"), " conn") + 1, ==, st);
    /* The score column lines up too (right-aligned numbers). */
    size_t sc = column_of(lines[0], "SC") + 1;
    g_assert_cmpuint(column_of(line_with(lines, "CA tỉnh"), "92") + 1, ==, sc);

    /* Problems: can-loc's loss both ways, jitter, fps and score; tinh none. */
    const char *clean = line_with(lines, "CA tỉnh");
    g_assert_null(strchr(clean, '!'));
    const char *bad = line_with(lines, "Can Lộc");
    g_assert_nonnull(strstr(bad, "5.2%!"));
    g_assert_nonnull(strstr(bad, "4.8%!"));
    g_assert_nonnull(strstr(bad, "45!"));
    g_assert_nonnull(strstr(bad, " 92 ")); /* RTT 92 ms is fine */
    g_assert_nonnull(strstr(bad, "8!"));
    g_assert_nonnull(strstr(bad, "38!"));
    g_assert_nonnull(strstr(bad, "360p"));
    g_assert_nonnull(strstr(line_with(lines, "會議"), "conn!"));
    g_assert_null(strchr(line_with(lines, "Đức Thọ"), '!')); /* absent: nothing to mark */
}

static void test_table_colour(void)
{
    g_autoptr(GPtrArray) rows = load_rows(NULL);
    g_autofree char *text = dc_ctl_format_table(rows, true);
    g_auto(GStrv) lines = lines_of(text);
    g_assert_null(strchr(line_with(lines, "CA tỉnh"), '\033'));
    g_assert_nonnull(strstr(line_with(lines, "Can Lộc"), "\033[1;31m 5.2%!\033[0m"));
}

static void test_title(void)
{
    dc_ctl_meta meta = {.meeting = "hatinh", .link = "up", .stats = "none", .time = 0};
    g_autofree char *t = dc_ctl_format_title(&meta);
    g_assert_nonnull(strstr(t, "bridge has no stats yet"));
    g_assert_cmpuint(dc_ctl_display_width(t), <, DC_CTL_COLUMNS);
    g_assert_cmpuint(dc_ctl_display_width(dc_ctl_table_legend()), <, DC_CTL_COLUMNS);
}

static void test_sparkline(void)
{
    const double ramp[] = {0, 1, 2, 3, 4, 5, 6, 7};
    g_autofree char *a = dc_ctl_sparkline(ramp, 8, 8, 0);
    g_assert_cmpstr(a, ==, "▁▂▃▄▅▆▇█");
    /* Full scale 10: small values stay low, big ones are clamped. */
    const double big[] = {5, 40};
    g_autofree char *g = dc_ctl_sparkline(big, 2, 2, 10);
    g_assert_cmpstr(g, ==, "▄█");
    const double low[] = {0.5, 0.5};
    g_autofree char *b = dc_ctl_sparkline(low, 2, 2, 10);
    g_assert_cmpstr(b, ==, "▁▁");
    /* Fewer samples than cells: right-aligned; NaN is a gap. */
    const double gap[] = {10, NAN, 10};
    g_autofree char *c = dc_ctl_sparkline(gap, 3, 5, 10);
    g_assert_cmpstr(c, ==, "  █ █");
    /* 60 samples in 30 cells: each cell the max of two, so one burst shows. */
    double burst[60] = {0};
    burst[41] = 8;
    g_autofree char *d = dc_ctl_sparkline(burst, 60, 30, 10);
    g_assert_cmpuint(g_utf8_strlen(d, -1), ==, 30);
    g_assert_cmpuint(dc_ctl_display_width(d), ==, 30);
    g_autofree char *expect = g_strdup_printf("%s▇%s", "▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁", "▁▁▁▁▁▁▁▁▁");
    g_assert_cmpstr(d, ==, expect);
    g_autofree char *e = dc_ctl_sparkline(NULL, 0, 4, 0);
    g_assert_cmpstr(e, ==, "    ");
    g_autofree char *f = dc_ctl_sparkline(ramp, 8, 0, 0);
    g_assert_cmpstr(f, ==, "");
}

static void test_history(void)
{
    g_autoptr(GPtrArray) rows = load_rows(NULL);
    g_autofree char *text = dc_ctl_format_history(rows, false);
    g_test_message("\n%s", text);
    g_auto(GStrv) lines = lines_of(text);
    g_assert_cmpuint(g_strv_length(lines), ==, 1 + rows->len);
    for (int i = 0; lines[i]; i++) {
        g_assert_cmpuint(dc_ctl_display_width(lines[i]), <, DC_CTL_COLUMNS);
    }
    /* can-loc's loss (worse way, full scale 10 %): 0, 5, 6, 20 → ▁ ▄ ▅ █ */
    g_assert_nonnull(strstr(line_with(lines, "Can Lộc"), "▁▄▅█"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ctl/table/rows", test_rows);
    g_test_add_func("/ctl/table/bad-json", test_bad_json);
    g_test_add_func("/ctl/table/display-width", test_width);
    g_test_add_func("/ctl/table/names", test_names);
    g_test_add_func("/ctl/table/units", test_units);
    g_test_add_func("/ctl/table/status", test_table);
    g_test_add_func("/ctl/table/colour", test_table_colour);
    g_test_add_func("/ctl/table/title", test_title);
    g_test_add_func("/ctl/sparkline", test_sparkline);
    g_test_add_func("/ctl/table/history", test_history);
    return g_test_run();
}
