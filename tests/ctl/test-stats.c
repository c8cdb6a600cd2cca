/* signaling/stats and signaling/metrics without sockets: bridge replies in,
 * the technician API's JSON and the Prometheus text out, history by hand. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "signaling/metrics.h"
#include "signaling/roster.h"
#include "signaling/stats.h"

static const char config_text[] =
    "[meeting]\nid = hatinh\n"
    "[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\ncredential = tinh-secret-01\n"
    "[site.can-loc]\nname = Huyện Can Lộc\nrole = district\ncredential = canloc-secret-02\n";

typedef struct {
    dc_config *cfg;
    dc_roster *roster;
    dc_stats *st;
} fixture;

static void setup(fixture *f, gconstpointer data)
{
    g_autoptr(GError) e = NULL;
    f->cfg = dc_config_load_data(config_text, strlen(config_text), "test.ini", "/", &e);
    g_assert_no_error(e);
    f->roster = dc_roster_new(f->cfg);
    f->st = dc_stats_new(f->cfg);
}

static void teardown(fixture *f, gconstpointer data)
{
    dc_stats_free(f->st);
    dc_roster_free(f->roster);
    dc_config_free(f->cfg);
}

/* A reply with can-loc's video loss @loss_pct and bitrate @bps (up). */
static void feed(fixture *f, double loss_pct, int bps, int64_t now_us)
{
    g_autofree char *json =
        g_strdup_printf("{\"op\":\"stats\",\"id\":1,\"meeting\":\"hatinh\",\"sites\":{\"can-loc\":{"
                        "\"up\":{\"video\":{\"bitrate_bps\":%d,\"loss_pct\":%g,\"rtt_ms\":80},"
                        "        \"audio\":{\"bitrate_1s\":40000,\"loss\":0.01,\"pli\":3}},"
                        "\"score\":{\"up\":50,\"down\":70,\"level\":\"good\",\"mos\":3.5}}}}",
                        bps, loss_pct);
    g_autoptr(GError) e = NULL;
    g_assert_true(dc_stats_update(f->st, json, strlen(json), now_us, &e));
    g_assert_no_error(e);
}

static void test_summary(fixture *f, gconstpointer data)
{
    g_assert_cmpstr(dc_stats_status(f->st, true, 0), ==, "none");
    g_assert_cmpstr(dc_stats_status(f->st, false, 0), ==, "link-down");
    feed(f, 5, 600000, 1000000);
    g_assert_cmpstr(dc_stats_status(f->st, true, 1000000), ==, "ok");
    g_assert_cmpstr(dc_stats_status(f->st, true, 1000000 + DC_STATS_STALE_US + 1), ==, "stale");
    dc_stats_direction up = dc_stats_summary(f->st, "can-loc", true);
    g_assert_cmpfloat(up.bitrate_bps, ==, 640000); /* video + audio (older name) */
    g_assert_cmpfloat(up.loss_pct, ==, 5);         /* the worse: video 5 %, audio 1 % */
    g_assert_cmpfloat(up.rtt_ms, ==, 80);
    g_assert_cmpfloat(up.score, ==, 50);
    dc_stats_direction down = dc_stats_summary(f->st, "can-loc", false);
    g_assert_true(isnan(down.bitrate_bps) && isnan(down.loss_pct));
    g_assert_cmpfloat(down.score, ==, 70);
    dc_stats_direction none = dc_stats_summary(f->st, "tinh", true);
    g_assert_true(isnan(none.bitrate_bps) && isnan(none.score));
}

static void test_bad_replies(fixture *f, gconstpointer data)
{
    static const char *const bad[] = {
        "not json",
        "[1,2]",
        "{\"op\":\"stats\"}",
        "{\"op\":\"stats\",\"sites\":[]}",
        "{\"op\":\"stats\",\"meeting\":\"other\",\"sites\":{}}",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_assert_false(dc_stats_update(f->st, bad[i], strlen(bad[i]), 1, &e));
        g_assert_nonnull(e);
    }
    g_assert_cmpint(dc_stats_last_update(f->st), ==, 0);
    /* Wrong types inside are tolerated: they read as unknown. */
    const char *odd = "{\"sites\":{\"can-loc\":{\"up\":{\"video\":{\"loss_pct\":\"x\"}},"
                      "\"score\":7}}}";
    g_assert_true(dc_stats_update(f->st, odd, strlen(odd), 1, NULL));
    dc_stats_direction up = dc_stats_summary(f->st, "can-loc", true);
    g_assert_true(isnan(up.loss_pct) && isnan(up.score));
}

static void test_history(fixture *f, gconstpointer data)
{
    double v[DC_STATS_HISTORY];
    g_assert_cmpuint(dc_stats_history(f->st, "can-loc", 0, v, DC_STATS_HISTORY), ==, 0);
    for (int i = 0; i < 70; i++) {
        feed(f, i, 1000 * i, i * G_USEC_PER_SEC);
    }
    dc_stats_tick(f->st); /* a second without a reply */
    size_t n = dc_stats_history(f->st, "can-loc", 0, v, DC_STATS_HISTORY);
    g_assert_cmpuint(n, ==, DC_STATS_HISTORY);
    g_assert_cmpfloat(v[0], ==, 11); /* oldest kept: the 12th reply */
    g_assert_cmpfloat(v[58], ==, 69);
    g_assert_true(isnan(v[59]));
    g_assert_cmpuint(dc_stats_history(f->st, "can-loc", 2, v, 3), ==, 3);
    g_assert_cmpfloat(v[0], ==, 68000 + 40000);
    g_assert_true(isnan(v[2]));
    g_assert_cmpuint(dc_stats_history(f->st, "nowhere", 0, v, 3), ==, 0);
    /* The link drops: no snapshot, the history stays. */
    dc_stats_forget(f->st);
    g_assert_null(dc_stats_site_object(f->st, "can-loc"));
    g_assert_cmpuint(dc_stats_history(f->st, "can-loc", 0, v, 2), ==, 2);
    g_assert_cmpfloat(v[0], ==, 69);
}

static JsonNode *parse(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_assert_true(json_parser_load_from_data(p, text, -1, NULL));
    return json_node_ref(json_parser_get_root(p));
}

static void test_api_json(fixture *f, gconstpointer data)
{
    feed(f, 4.567, 600000, 1);
    g_assert_null(dc_stats_api_json(f->st, f->roster, "nowhere", true, 1));
    g_autofree char *all = dc_stats_api_json(f->st, f->roster, NULL, true, 1);
    g_autoptr(JsonNode) root = parse(all);
    JsonObject *sites = json_object_get_object_member(json_node_get_object(root), "sites");
    g_assert_cmpuint(json_object_get_size(sites), ==, 2);
    JsonObject *c = json_object_get_object_member(sites, "can-loc");
    g_assert_cmpstr(json_object_get_string_member(c, "name"), ==, "Huyện Can Lộc");
    g_assert_false(json_object_get_boolean_member(c, "present"));
    g_assert_cmpfloat(
        json_object_get_double_member(json_object_get_object_member(c, "loss_pct"), "up"), ==,
        4.57); /* two decimals */
    g_assert_true(
        json_object_get_null_member(json_object_get_object_member(c, "loss_pct"), "down"));
    JsonObject *audio = json_object_get_object_member(
        json_object_get_object_member(json_object_get_object_member(c, "link"), "up"), "audio");
    g_assert_cmpfloat(json_object_get_double_member(audio, "loss_pct"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(audio, "bitrate_bps"), ==, 40000);
    g_assert_cmpint(json_object_get_int_member(audio, "plis"), ==, 3);
    g_autofree char *one = dc_stats_api_json(f->st, f->roster, "tinh", true, 1);
    g_autoptr(JsonNode) r1 = parse(one);
    sites = json_object_get_object_member(json_node_get_object(r1), "sites");
    g_assert_cmpuint(json_object_get_size(sites), ==, 1);
    g_assert_true(
        json_object_get_null_member(json_object_get_object_member(sites, "tinh"), "link"));
}

static void test_metrics(fixture *f, gconstpointer data)
{
    feed(f, 5, 600000, 1);
    g_autofree char *text = dc_metrics_text(f->st, f->roster, true, 1 + G_USEC_PER_SEC / 2);
    g_assert_nonnull(strstr(text, "\ndiemcau_stats_age_seconds 0.500\n"));
    g_assert_nonnull(strstr(
        text,
        "\ndiemcau_site_loss_ratio{site=\"can-loc\",direction=\"up\",media=\"video\"} 0.05\n"));
    g_assert_nonnull(strstr(
        text,
        "\ndiemcau_site_rtt_seconds{site=\"can-loc\",direction=\"up\",media=\"video\"} 0.08\n"));
    g_assert_nonnull(
        strstr(text, "\ndiemcau_site_quality_score{site=\"can-loc\",direction=\"up\"} 50\n"));
    g_assert_nonnull(strstr(text, "\ndiemcau_site_present{site=\"tinh\"} 0\n"));
    g_assert_null(strstr(text, "site=\"tinh\",direction")); /* no figures, no samples */
    g_assert_null(strstr(text, "nan"));
    g_assert_true(g_str_has_suffix(text, "\n"));
}

/* The technician keys of [signaling]. */
static void test_config_keys(void)
{
    static const struct {
        const char *signaling;
        bool ok;
    } cases[] = {
        {"", true},
        {"technician_credential = tech-secret-01\nmetrics_open = true\n", true},
        {"technician_credential = short\n", false},
        {"technician_credential = has space in it\n", false},
        {"metrics_open = yes\n", false},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text =
            g_strdup_printf("[signaling]\n%s%s", cases[i].signaling, config_text);
        g_autoptr(GError) e = NULL;
        g_autoptr(dc_config) cfg = dc_config_load_data(text, strlen(text), "t.ini", "/", &e);
        g_assert_true((cfg != NULL) == cases[i].ok);
        if (!cases[i].ok) {
            g_assert_nonnull(strstr(e->message, "[signaling]"));
        } else if (i == 1) {
            g_assert_cmpstr(dc_credential_plain(cfg->technician_credential), ==, "tech-secret-01");
            g_assert_true(cfg->metrics_open);
            g_assert_true(dc_credential_verify(cfg->technician_credential, "tech-secret-01"));
        } else {
            g_assert_null(cfg->technician_credential);
            g_assert_false(cfg->metrics_open);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/stats/summary", fixture, NULL, setup, test_summary, teardown);
    g_test_add("/stats/bad-replies", fixture, NULL, setup, test_bad_replies, teardown);
    g_test_add("/stats/history", fixture, NULL, setup, test_history, teardown);
    g_test_add("/stats/api-json", fixture, NULL, setup, test_api_json, teardown);
    g_test_add("/stats/metrics", fixture, NULL, setup, test_metrics, teardown);
    g_test_add_func("/stats/config-keys", test_config_keys);
    return g_test_run();
}
