/* The pure parts of diemcau-ctl doctor (ctl/doctor.c): the certificate
 * verdict at each side of its thresholds, the text and JSON of results.
 * The checks themselves run against the real servers in test-doctor.py. */
#include <glib.h>
#include <string.h>

#include "ctl/doctor.h"

#define DAY (24 * 3600)
#define NOW INT64_C(1800000000)

typedef struct {
    const char *name;
    int64_t not_after;
    dc_doctor_level level;
    const char *says;
} cert_case;

static const cert_case cert_cases[] = {
    {"expired a day ago", NOW - DAY, DC_DOCTOR_FAIL, "expired on"},
    {"expires this second", NOW, DC_DOCTOR_FAIL, "expired on"},
    {"one second left", NOW + 1, DC_DOCTOR_WARN, "expires in 0 days"},
    {"10 days left", NOW + 10 * DAY, DC_DOCTOR_WARN, "expires in 10 days"},
    {"one second short of 30 days", NOW + 30 * DAY - 1, DC_DOCTOR_WARN, "expires in 29 days"},
    {"exactly 30 days", NOW + 30 * DAY, DC_DOCTOR_OK, "valid until"},
    {"a year", NOW + 365 * DAY, DC_DOCTOR_OK, "(365 days)"},
};

static void test_cert_verdict(gconstpointer data)
{
    const cert_case *c = data;
    char *message = NULL;
    dc_doctor_level level = dc_ctl_doctor_cert_verdict("/x/s.crt", c->not_after, NOW, &message);
    g_assert_cmpint(level, ==, c->level);
    g_assert_nonnull(strstr(message, "/x/s.crt"));
    g_assert_nonnull(strstr(message, c->says));
    g_free(message);
}

static GPtrArray *results(const dc_doctor_level *levels, size_t n)
{
    GPtrArray *a = g_ptr_array_new();
    static const char *const names[] = {"config", "certificate", "record"};
    for (size_t i = 0; i < n; i++) {
        dc_doctor_result *r = g_new0(dc_doctor_result, 1);
        r->check = g_strdup(names[i % 3]);
        r->level = levels[i];
        r->message = g_strdup_printf("message %zu", i);
        g_ptr_array_add(a, r);
    }
    return a;
}

static void results_free(GPtrArray *a)
{
    for (guint i = 0; i < a->len; i++) {
        dc_doctor_result *r = g_ptr_array_index(a, i);
        g_free(r->check);
        g_free(r->message);
        g_free(r);
    }
    g_ptr_array_free(a, TRUE);
}

static void test_format(void)
{
    dc_doctor_level l[] = {DC_DOCTOR_OK, DC_DOCTOR_WARN, DC_DOCTOR_FAIL};
    GPtrArray *a = results(l, 3);
    char *text = dc_ctl_doctor_format(a);
    g_assert_cmpstr(text, ==,
                    "ok    config        message 0\n"
                    "warn  certificate   message 1\n"
                    "fail  record        message 2\n");
    g_assert_true(dc_ctl_doctor_failed(a));
    g_free(text);
    results_free(a);
}

static void test_json(void)
{
    dc_doctor_level l[] = {DC_DOCTOR_OK, DC_DOCTOR_WARN};
    GPtrArray *a = results(l, 2);
    g_assert_false(dc_ctl_doctor_failed(a));
    JsonNode *root = dc_ctl_doctor_json(a);
    JsonObject *o = json_node_get_object(root);
    g_assert_true(json_object_get_boolean_member(o, "ok"));
    JsonArray *checks = json_object_get_array_member(o, "checks");
    g_assert_cmpuint(json_array_get_length(checks), ==, 2);
    JsonObject *second = json_array_get_object_element(checks, 1);
    g_assert_cmpstr(json_object_get_string_member(second, "check"), ==, "certificate");
    g_assert_cmpstr(json_object_get_string_member(second, "level"), ==, "warn");
    g_assert_cmpstr(json_object_get_string_member(second, "message"), ==, "message 1");
    json_node_unref(root);
    results_free(a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cert_cases); i++) {
        g_autofree char *path = g_strdup_printf("/doctor/certificate/%s", cert_cases[i].name);
        g_test_add_data_func(path, &cert_cases[i], test_cert_verdict);
    }
    g_test_add_func("/doctor/format", test_format);
    g_test_add_func("/doctor/json", test_json);
    return g_test_run();
}
