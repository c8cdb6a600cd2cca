/* Unit tests for common/config: the default deployment file loads intact, and
 * every kind of bad file fails with the file, the line, the group and the key
 * in the message. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/config.h"

static char *default_config_path(void)
{
    const char *root = g_getenv("DC_SOURCE_ROOT");
    g_assert_nonnull(root);
    return g_build_filename(root, "config", "hatinh.ini", NULL);
}

/* The demo secrets behind the default file's hashes. */
static GKeyFile *demo_credentials(void)
{
    const char *root = g_getenv("DC_SOURCE_ROOT");
    g_autofree char *path = g_build_filename(root, "config", "hatinh-demo-credentials.ini", NULL);
    GKeyFile *kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error));
    g_assert_no_error(error);
    return kf;
}

static void test_default_loads(void)
{
    g_autofree char *path = default_config_path();
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_config) cfg = dc_config_load(path, &error);
    g_assert_no_error(error);
    g_assert_nonnull(cfg);

    g_assert_cmpstr(cfg->meeting_id, ==, "hatinh");
    g_assert_cmpstr(cfg->meeting_title, ==, "Hội nghị trực tuyến Công an tỉnh Hà Tĩnh");
    g_assert_cmpstr(cfg->signal_address, ==, "127.0.0.1");
    g_assert_cmpuint(cfg->signal_port, ==, 8080);
    g_assert_cmpstr(cfg->bridge_address, ==, "127.0.0.1");
    g_assert_cmpuint(cfg->bridge_port, ==, 7400);
    g_assert_cmpuint(cfg->udp_port_min, ==, 40000);
    g_assert_cmpuint(cfg->udp_port_max, ==, 40999);
    g_assert_cmpuint(cfg->workers, ==, 2);
    g_assert_cmpuint(g_strv_length(cfg->local_addresses), ==, 1);
    g_assert_cmpstr(cfg->local_addresses[0], ==, "127.0.0.1");
    g_assert_null(cfg->public_address);
    g_assert_cmpuint(cfg->max_sites, ==, 14);
    g_assert_true(g_path_is_absolute(cfg->web_root));
    g_assert_true(g_str_has_suffix(cfg->web_root, "/web"));

    g_assert_cmpuint(cfg->n_sites, ==, 14);
    size_t chairs = 0;
    for (size_t i = 0; i < cfg->n_sites; i++) {
        chairs += cfg->sites[i].role == DC_ROLE_CHAIR;
        g_assert_true(g_utf8_validate(cfg->sites[i].name, -1, NULL));
        g_assert_cmpint(cfg->sites[i].credential->kind, ==, DC_CREDENTIAL_SCRYPT);
    }
    g_assert_null(dc_config_plain_credentials(cfg));
    g_assert_nonnull(cfg->technician_credential);
    g_assert_cmpint(cfg->technician_credential->kind, ==, DC_CREDENTIAL_SCRYPT);
    g_assert_cmpuint(chairs, ==, 1);
    g_assert_cmpstr(dc_config_chair(cfg)->id, ==, "tinh");
    g_assert_cmpstr(dc_config_chair(cfg)->name, ==, "Công an tỉnh Hà Tĩnh");

    static const struct {
        const char *id, *name;
    } names[] = {
        {"tp-ha-tinh", "Thành phố Hà Tĩnh"}, {"tx-hong-linh", "Thị xã Hồng Lĩnh"},
        {"tx-ky-anh", "Thị xã Kỳ Anh"},      {"cam-xuyen", "Huyện Cẩm Xuyên"},
        {"can-loc", "Huyện Can Lộc"},        {"duc-tho", "Huyện Đức Thọ"},
        {"huong-khe", "Huyện Hương Khê"},    {"huong-son", "Huyện Hương Sơn"},
        {"ky-anh", "Huyện Kỳ Anh"},          {"loc-ha", "Huyện Lộc Hà"},
        {"nghi-xuan", "Huyện Nghi Xuân"},    {"thach-ha", "Huyện Thạch Hà"},
        {"vu-quang", "Huyện Vũ Quang"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        const dc_config_site *s = dc_config_find_site(cfg, names[i].id);
        g_assert_nonnull(s);
        g_assert_cmpstr(s->name, ==, names[i].name);
        g_assert_cmpint(s->role, ==, DC_ROLE_DISTRICT);
    }
    g_assert_null(dc_config_find_site(cfg, "nowhere"));
}

/* A minimal valid file; the bad cases below each break one thing. */
#define MEETING "[meeting]\nid = m1\n"
#define CHAIR                                                                                      \
    "[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\ncredential = abcdefgh12345678\n"
#define DISTRICT                                                                                   \
    "[site.can-loc]\nname = Huyện Can Lộc\nrole = district\ncredential = zyxwvuts87654321\n"

static void test_minimal_defaults(void)
{
    const char *text = MEETING CHAIR;
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_config) cfg =
        dc_config_load_data(text, strlen(text), "mem.ini", "/srv/dc", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cfg->meeting_title, ==, "m1");
    g_assert_cmpuint(cfg->signal_port, ==, 8080);
    g_assert_cmpuint(cfg->workers, ==, 2);
    g_assert_cmpstr(cfg->web_root, ==, "/srv/web");
    g_assert_cmpuint(g_strv_length(cfg->local_addresses), ==, 0);
    g_assert_cmpuint(cfg->n_sites, ==, 1);
    g_assert_null(cfg->technician_credential);
    g_assert_cmpuint(g_strv_length(cfg->allowed_origins), ==, 0);
    /* A plain secret is still read, and listed for the startup warning. */
    g_assert_cmpstr(dc_credential_plain(cfg->sites[0].credential), ==, "abcdefgh12345678");
    g_auto(GStrv) plain = dc_config_plain_credentials(cfg);
    g_assert_cmpuint(g_strv_length(plain), ==, 1);
    g_assert_cmpstr(plain[0], ==, "[site.tinh] credential");
}

/* config/hatinh.ini keeps hashes of exactly the secrets of the demo file
 * that the scripts and tests join with (and nothing verifies a wrong one). */
/* allowed_origins: spaces or commas, normalised as browsers send Origin
 * (lower case, no default port). */
static void test_allowed_origins(void)
{
    const char *text = MEETING "[signaling]\nallowed_origins = HTTPS://Hoinghi.Hatinh:443, "
                               "http://10.20.0.1:8080 https://[2001:db8::1]:8443/\n" CHAIR;
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_config) cfg =
        dc_config_load_data(text, strlen(text), "mem.ini", "/srv/dc", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_strv_length(cfg->allowed_origins), ==, 3);
    g_assert_cmpstr(cfg->allowed_origins[0], ==, "https://hoinghi.hatinh");
    g_assert_cmpstr(cfg->allowed_origins[1], ==, "http://10.20.0.1:8080");
    g_assert_cmpstr(cfg->allowed_origins[2], ==, "https://[2001:db8::1]:8443");
}

static void test_default_matches_demo_secrets(void)
{
    g_autofree char *path = default_config_path();
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_config) cfg = dc_config_load(path, &error);
    g_assert_no_error(error);
    g_autoptr(GKeyFile) demo = demo_credentials();
    g_autofree char *tech = g_key_file_get_string(demo, "technician", "credential", &error);
    g_assert_no_error(error);
    g_assert_true(dc_credential_verify(cfg->technician_credential, tech));
    for (size_t i = 0; i < cfg->n_sites; i++) {
        g_autofree char *group = g_strdup_printf("site.%s", cfg->sites[i].id);
        g_autofree char *secret = g_key_file_get_string(demo, group, "credential", &error);
        g_assert_no_error(error);
        g_assert_true(dc_credential_verify(cfg->sites[i].credential, secret));
    }
    g_assert_false(dc_credential_verify(cfg->sites[0].credential, tech));
    g_auto(GStrv) groups = g_key_file_get_groups(demo, NULL);
    g_assert_cmpuint(g_strv_length(groups), ==, cfg->n_sites + 1);
}

static const struct {
    const char *label;
    const char *text;
    int code;
    const char *want[3]; /* substrings the message must contain */
} bad[] = {
    {"unknown key",
     MEETING "[bridge]\nworker = 2\n" CHAIR,
     DC_CONFIG_ERROR_UNKNOWN,
     {":4:", "[bridge] worker", "unknown key"}},
    {"origin with a path",
     MEETING "[signaling]\nallowed_origins = https://a.example https://b.example/page\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":4:", "[signaling] allowed_origins", "“https://b.example/page” is not an origin"}},
    {"origin not http",
     MEETING "[signaling]\nallowed_origins = ftp://a.example\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":4:", "[signaling] allowed_origins", "not an origin"}},
    {"unknown group",
     MEETING "[sigaling]\nport = 1\n" CHAIR,
     DC_CONFIG_ERROR_UNKNOWN,
     {":3:", "[sigaling]", "unknown group"}},
    {"bad port",
     MEETING "[signaling]\nport = 80800\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":4:", "[signaling] port", "80800"}},
    {"port not a number",
     MEETING "[bridge]\ncontrol_port = 74x0\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":4:", "[bridge] control_port", "port number"}},
    {"max below min",
     MEETING "[bridge]\nudp_port_min = 40000\nudp_port_max = 39000\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":5:", "[bridge] udp_port_max", "below udp_port_min"}},
    {"workers zero",
     MEETING "[bridge]\nworkers = 0\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":4:", "[bridge] workers", "worker count"}},
    {"bad local address",
     MEETING "[bridge]\nlocal_addresses = 127.0.0.1;localhost\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":4:", "[bridge] local_addresses", "localhost"}},
    {"unknown role",
     MEETING CHAIR "[site.can-loc]\nname = x\nrole = mayor\ncredential = 12345678\n",
     DC_CONFIG_ERROR_INVALID,
     {":9:", "[site.can-loc] role", "unknown role “mayor”"}},
    {"duplicate id",
     MEETING CHAIR DISTRICT "[site.can-loc]\nname = y\n",
     DC_CONFIG_ERROR_SYNTAX,
     {":11:", "[site.can-loc]", "duplicate site id"}},
    {"duplicate key",
     MEETING "id = m2\n" CHAIR,
     DC_CONFIG_ERROR_SYNTAX,
     {":3:", "[meeting] id", "duplicate key (first at line 2)"}},
    {"missing chair", MEETING DISTRICT, DC_CONFIG_ERROR_MISSING, {"bad.ini", "missing chair", ""}},
    {"two chairs",
     MEETING CHAIR "[site.so2]\nname = x\nrole = chair\ncredential = 12345678\n",
     DC_CONFIG_ERROR_INVALID,
     {":9:", "[site.so2] role", "second chair"}},
    {"missing credential",
     MEETING "[site.tinh]\nname = T\nrole = chair\n",
     DC_CONFIG_ERROR_MISSING,
     {":3:", "[site.tinh] credential", "required key is missing"}},
    {"short credential",
     MEETING "[site.tinh]\nname = T\nrole = chair\ncredential = abc\n",
     DC_CONFIG_ERROR_INVALID,
     {":6:", "[site.tinh] credential", "8 to 128"}},
    {"hash with a low cost",
     MEETING "[site.tinh]\nname = T\nrole = chair\ncredential = "
             "scrypt$1024$8$1$y7fcT31sqsMCQzebcKV9Zw==$"
             "UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=\n",
     DC_CONFIG_ERROR_INVALID,
     {":6:", "[site.tinh] credential", "N must be a power of two from 4096"}},
    {"hash with a bad salt",
     MEETING "[site.tinh]\nname = T\nrole = chair\ncredential = "
             "scrypt$4096$8$1$y7fcT31sqsMC*zebcKV9Zw==$"
             "UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=\n",
     DC_CONFIG_ERROR_INVALID,
     {":6:", "[site.tinh] credential", "salt"}},
    {"hash cut short",
     MEETING "[site.tinh]\nname = T\nrole = chair\ncredential = "
             "scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fp\n",
     DC_CONFIG_ERROR_INVALID,
     {":6:", "[site.tinh] credential", "hash"}},
    {"unknown hash scheme",
     MEETING "[signaling]\ntechnician_credential = argon2id$v=19$m=65536$c2FsdA$aGFzaA\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":4:", "[signaling] technician_credential", "neither a hash"}},
    {"bad site id",
     MEETING "[site.Can_Loc]\nname = T\nrole = chair\ncredential = 12345678\n",
     DC_CONFIG_ERROR_INVALID,
     {":3:", "[site.Can_Loc]", "not a valid site id"}},
    {"missing meeting", CHAIR, DC_CONFIG_ERROR_MISSING, {"bad.ini", "[meeting]", "missing"}},
    {"not ini",
     MEETING "this line is junk\n" CHAIR,
     DC_CONFIG_ERROR_SYNTAX,
     {":3:", "junk", "not “key = value”"}},
    {"key before group",
     "id = m1\n" MEETING CHAIR,
     DC_CONFIG_ERROR_SYNTAX,
     {":1:", "outside any group", ""}},
    {"not utf-8",
     MEETING "title = H\xe0 T\xecnh\n" CHAIR,
     DC_CONFIG_ERROR_SYNTAX,
     {":3:", "UTF-8", ""}},
    {"empty value",
     MEETING "[signaling]\naddress =\n" CHAIR,
     DC_CONFIG_ERROR_INVALID,
     {":4:", "[signaling] address", "empty value"}},
};

static void test_bad(gconstpointer data)
{
    size_t i = GPOINTER_TO_SIZE(data);
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("dc-config-XXXXXX", &error);
    g_assert_no_error(error);
    g_autofree char *path = g_build_filename(dir, "bad.ini", NULL);
    g_assert_true(g_file_set_contents(path, bad[i].text, -1, &error));

    g_autoptr(dc_config) cfg = dc_config_load(path, &error);
    g_assert_null(cfg);
    g_assert_error(error, DC_CONFIG_ERROR, bad[i].code);
    g_test_message("%s: %s", bad[i].label, error->message);
    g_assert_true(g_str_has_prefix(error->message, path));
    for (size_t k = 0; k < G_N_ELEMENTS(bad[i].want); k++) {
        if (bad[i].want[k] && !strstr(error->message, bad[i].want[k])) {
            g_error("%s: “%s” lacks “%s”", bad[i].label, error->message, bad[i].want[k]);
        }
    }
    g_unlink(path);
    g_rmdir(dir);
}

static void test_missing_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_config) cfg = dc_config_load("/nonexistent/dc.ini", &error);
    g_assert_null(cfg);
    g_assert_error(error, DC_CONFIG_ERROR, DC_CONFIG_ERROR_IO);
    g_assert_nonnull(strstr(error->message, "/nonexistent/dc.ini"));
}

static void test_roles(void)
{
    dc_role r;
    g_assert_true(dc_config_role_parse("observer", &r));
    g_assert_cmpint(r, ==, DC_ROLE_OBSERVER);
    g_assert_false(dc_config_role_parse("Chair", &r));
    g_assert_false(dc_config_role_parse(NULL, &r));
    g_assert_cmpstr(dc_config_role_name(DC_ROLE_DISTRICT), ==, "district");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/default-loads", test_default_loads);
    g_test_add_func("/config/minimal-defaults", test_minimal_defaults);
    g_test_add_func("/config/missing-file", test_missing_file);
    g_test_add_func("/config/default-matches-demo-secrets", test_default_matches_demo_secrets);
    g_test_add_func("/config/roles", test_roles);
    g_test_add_func("/config/allowed-origins", test_allowed_origins);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *name = g_strdup_printf("/config/bad/%s", bad[i].label);
        for (char *p = name; *p; p++) {
            if (*p == ' ') {
                *p = '-';
            }
        }
        g_test_add_data_func(name, GSIZE_TO_POINTER(i), test_bad);
    }
    return g_test_run();
}
