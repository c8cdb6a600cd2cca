/* Unit tests for common/control-auth: the header parser on a table of good
 * and bad values, the mac against a value computed apart (Python's hmac),
 * verify on a hand-advanced clock (skew, replay, a full table, another
 * secret), and the secret file (made once, read back, mode and form
 * checked, the empty file of a concurrent writer). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/control-auth.h"

#define T0 1700000000
#define NONCE "00112233445566778899aabbccddeeff"
/* hmac.new(bytes(range(32)), b"diemcau-control\n1700000000\n" NONCE, sha256) */
#define KNOWN_MAC "0dd6ce79cf4e6d9277a8fb89ba2c7a946f7733551ec1a8877027d0b18b616c65"

static void secret_init(uint8_t s[DC_CONTROL_AUTH_SECRET_LEN], uint8_t first)
{
    for (int i = 0; i < DC_CONTROL_AUTH_SECRET_LEN; i++)
        s[i] = (uint8_t)(first + i);
}

static void test_parse(void)
{
    static const struct {
        const char *name, *text;
        int rc;
        int64_t t;
    } cases[] = {
        {"canonical", "DC-HMAC t=1700000000, n=" NONCE ", mac=" KNOWN_MAC, 0, T0},
        {"no spaces after commas", "DC-HMAC t=1700000000,n=" NONCE ",mac=" KNOWN_MAC, 0, T0},
        {"spaces around", "  DC-HMAC  t=1, n=" NONCE " , mac=" KNOWN_MAC "  ", 0, 1},
        {"upper-case hex", "DC-HMAC t=5, n=00112233445566778899AABBCCDDEEFF, mac=" KNOWN_MAC, 0, 5},
        {"empty", "", -EBADMSG, 0},
        {"other scheme", "Bearer t=1, n=" NONCE ", mac=" KNOWN_MAC, -EBADMSG, 0},
        {"scheme only", "DC-HMAC", -EBADMSG, 0},
        {"scheme glued", "DC-HMACt=1, n=" NONCE ", mac=" KNOWN_MAC, -EBADMSG, 0},
        {"negative t", "DC-HMAC t=-1, n=" NONCE ", mac=" KNOWN_MAC, -EBADMSG, 0},
        {"t too long", "DC-HMAC t=1234567890123, n=" NONCE ", mac=" KNOWN_MAC, -EBADMSG, 0},
        {"t not a number", "DC-HMAC t=12a, n=" NONCE ", mac=" KNOWN_MAC, -EBADMSG, 0},
        {"short nonce", "DC-HMAC t=1, n=0011, mac=" KNOWN_MAC, -EBADMSG, 0},
        {"long nonce", "DC-HMAC t=1, n=" NONCE "00, mac=" KNOWN_MAC, -EBADMSG, 0},
        {"nonce not hex", "DC-HMAC t=1, n=0011223344556677889900aabbccddzz, mac=" KNOWN_MAC,
         -EBADMSG, 0},
        {"short mac", "DC-HMAC t=1, n=" NONCE ", mac=0dd6", -EBADMSG, 0},
        {"long mac", "DC-HMAC t=1, n=" NONCE ", mac=" KNOWN_MAC "0", -EBADMSG, 0},
        {"order", "DC-HMAC n=" NONCE ", t=1, mac=" KNOWN_MAC, -EBADMSG, 0},
        {"missing mac", "DC-HMAC t=1, n=" NONCE, -EBADMSG, 0},
        {"trailing field", "DC-HMAC t=1, n=" NONCE ", mac=" KNOWN_MAC ", x=1", -EBADMSG, 0},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        dc_control_auth_header h;
        int rc = dc_control_auth_parse(cases[i].text, strlen(cases[i].text), &h);
        if (rc != cases[i].rc)
            g_error("%s: rc %d, expected %d", cases[i].name, rc, cases[i].rc);
        if (rc == 0) {
            g_assert_cmpint(h.t, ==, cases[i].t);
            g_assert_cmpstr(h.nonce, ==, NONCE);
            g_assert_cmpuint(h.mac[0], ==, 0x0d);
            g_assert_cmpuint(h.mac[31], ==, 0x65);
        }
    }
    /* Not NUL-terminated: the length is honoured. */
    const char *text = "DC-HMAC t=1, n=" NONCE ", mac=" KNOWN_MAC "garbage";
    dc_control_auth_header h;
    g_assert_cmpint(dc_control_auth_parse(text, strlen(text) - 7, &h), ==, 0);
    g_assert_cmpint(dc_control_auth_parse(NULL, 0, &h), ==, -EBADMSG);
}

static void test_known_mac(void)
{
    uint8_t s[DC_CONTROL_AUTH_SECRET_LEN];
    secret_init(s, 0);
    static const uint8_t nonce[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    g_autofree char *hdr = dc_control_auth_format(s, T0, nonce);
    g_assert_cmpstr(hdr, ==, "DC-HMAC t=1700000000, n=" NONCE ", mac=" KNOWN_MAC);
    /* A signed header has a fresh nonce each time. */
    g_autofree char *a = dc_control_auth_sign(s, T0);
    g_autofree char *b = dc_control_auth_sign(s, T0);
    g_assert_cmpstr(a, !=, b);
}

static void test_verify(void)
{
    uint8_t s[DC_CONTROL_AUTH_SECRET_LEN], other[DC_CONTROL_AUTH_SECRET_LEN];
    secret_init(s, 0);
    secret_init(other, 1);
    dc_control_auth_replay *r = dc_control_auth_replay_new(DC_CONTROL_AUTH_REPLAY_ENTRIES);
    static const struct {
        const char *name;
        int64_t signed_at, now; /* relative to T0 */
        bool other_secret, corrupt, fresh_nonce;
        dc_control_auth_result want;
    } cases[] = {
        {"fresh", 0, 0, false, false, true, DC_CONTROL_AUTH_OK},
        {"60 s old", -60, 0, false, false, true, DC_CONTROL_AUTH_OK},
        {"60 s ahead", 60, 0, false, false, true, DC_CONTROL_AUTH_OK},
        {"61 s old", -61, 0, false, false, true, DC_CONTROL_AUTH_STALE},
        {"61 s ahead", 61, 0, false, false, true, DC_CONTROL_AUTH_STALE},
        {"another secret", 0, 0, true, false, true, DC_CONTROL_AUTH_BAD_MAC},
        {"altered mac", 0, 0, false, true, true, DC_CONTROL_AUTH_BAD_MAC},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *hdr =
            dc_control_auth_sign(cases[i].other_secret ? other : s, T0 + cases[i].signed_at);
        if (cases[i].corrupt) {
            char *last = hdr + strlen(hdr) - 1;
            *last = *last == '0' ? '1' : '0';
        }
        dc_control_auth_result got = dc_control_auth_verify(s, r, hdr, T0 + cases[i].now);
        if (got != cases[i].want)
            g_error("%s: %s, expected %s", cases[i].name, dc_control_auth_result_name(got),
                    dc_control_auth_result_name(cases[i].want));
    }
    g_assert_cmpint(dc_control_auth_verify(s, r, NULL, T0), ==, DC_CONTROL_AUTH_MISSING);
    g_assert_cmpint(dc_control_auth_verify(s, r, "DC-HMAC x", T0), ==, DC_CONTROL_AUTH_MALFORMED);

    /* A replay: refused for 120 s after the first use, then the timestamp
     * is stale anyway. */
    g_autofree char *once = dc_control_auth_sign(s, T0);
    g_assert_cmpint(dc_control_auth_verify(s, r, once, T0), ==, DC_CONTROL_AUTH_OK);
    g_assert_cmpint(dc_control_auth_verify(s, r, once, T0), ==, DC_CONTROL_AUTH_REPLAYED);
    g_assert_cmpint(dc_control_auth_verify(s, r, once, T0 + 60), ==, DC_CONTROL_AUTH_REPLAYED);
    g_assert_cmpint(dc_control_auth_verify(s, r, once, T0 + 61), ==, DC_CONTROL_AUTH_STALE);
    /* The last second a header is fresh, its nonce is still remembered:
     * signed 60 s ahead of the bridge's clock, replayed 120 s later. */
    g_autofree char *ahead = dc_control_auth_sign(s, T0 + 1000 + 60);
    g_assert_cmpint(dc_control_auth_verify(s, r, ahead, T0 + 1000), ==, DC_CONTROL_AUTH_OK);
    g_assert_cmpint(dc_control_auth_verify(s, r, ahead, T0 + 1120), ==, DC_CONTROL_AUTH_REPLAYED);
    dc_control_auth_replay_free(r);

    /* A full table refuses until its entries age out; bad macs never fill
     * it. */
    r = dc_control_auth_replay_new(4);
    for (int i = 0; i < 10; i++) {
        g_autofree char *bad = dc_control_auth_sign(other, T0);
        g_assert_cmpint(dc_control_auth_verify(s, r, bad, T0), ==, DC_CONTROL_AUTH_BAD_MAC);
    }
    for (int i = 0; i < 4; i++) {
        g_autofree char *ok = dc_control_auth_sign(s, T0 + i);
        g_assert_cmpint(dc_control_auth_verify(s, r, ok, T0 + i), ==, DC_CONTROL_AUTH_OK);
    }
    g_autofree char *late = dc_control_auth_sign(s, T0 + 100);
    g_assert_cmpint(dc_control_auth_verify(s, r, late, T0 + 100), ==, DC_CONTROL_AUTH_FULL);
    g_assert_cmpint(dc_control_auth_verify(s, r, late, T0 + 120), ==, DC_CONTROL_AUTH_FULL);
    /* More than 120 s after the first: one slot free again. */
    g_assert_cmpint(dc_control_auth_verify(s, r, late, T0 + 121), ==, DC_CONTROL_AUTH_OK);
    dc_control_auth_replay_free(r);
}

static char *tmp_path(const char *name, char **dir)
{
    *dir = g_dir_make_tmp("dc-auth-XXXXXX", NULL);
    g_assert_nonnull(*dir);
    return g_build_filename(*dir, name, NULL);
}

static void test_secret_file(void)
{
    g_autofree char *dir = NULL;
    g_autofree char *path = tmp_path("diemcau-control.secret", &dir);
    uint8_t a[DC_CONTROL_AUTH_SECRET_LEN], b[DC_CONTROL_AUTH_SECRET_LEN];
    bool made = false;
    g_autoptr(GError) error = NULL;
    /* Made at the first start, 0600, one base64 line. */
    g_assert_true(dc_control_auth_load_secret(path, a, &made, &error));
    g_assert_no_error(error);
    g_assert_true(made);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 0777, ==, 0600);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_cmpuint(strlen(text), ==, 45);
    /* Read back by the second program. */
    g_assert_true(dc_control_auth_load_secret(path, b, &made, &error));
    g_assert_false(made);
    g_assert_cmpmem(a, sizeof a, b, sizeof b);

    static const struct {
        const char *name, *contents;
        int mode;
        const char *want; /* a part of the message */
    } bad[] = {
        {"readable by others", NULL, 0644, "chmod 600"},
        {"readable by group", NULL, 0640, "chmod 600"},
        {"not base64", "not a secret at all\n", 0600, "base64 of 32 bytes"},
        {"too short", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n", 0600, "base64 of 32"},
        {"empty", "", 0600, "empty"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *p = g_build_filename(dir, "bad.secret", NULL);
        g_assert_true(g_file_set_contents(p, bad[i].contents ? bad[i].contents : text, -1, NULL));
        g_assert_cmpint(g_chmod(p, bad[i].mode), ==, 0);
        g_autoptr(GError) e = NULL;
        if (dc_control_auth_load_secret(p, b, NULL, &e))
            g_error("%s: accepted", bad[i].name);
        g_assert_nonnull(strstr(e->message, p));
        if (!strstr(e->message, bad[i].want))
            g_error("%s: \"%s\" does not say \"%s\"", bad[i].name, e->message, bad[i].want);
        g_unlink(p);
    }
    /* A folder that does not exist: the path is named. */
    g_autofree char *nowhere = g_build_filename(dir, "no", "such", NULL);
    g_autoptr(GError) e = NULL;
    g_assert_false(dc_control_auth_load_secret(nowhere, b, NULL, &e));
    g_assert_nonnull(strstr(e->message, nowhere));
    g_unlink(path);
    g_rmdir(dir);
}

/* The other program made the file and has not written it yet: the reader
 * waits for the line. */
static gboolean write_later(gpointer data)
{
    g_assert_true(g_file_set_contents_full(data, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
                                           -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
    return G_SOURCE_REMOVE;
}

static gpointer writer_thread(gpointer data)
{
    g_usleep(200000);
    write_later(data);
    return NULL;
}

static void test_secret_race(void)
{
    g_autofree char *dir = NULL;
    g_autofree char *path = tmp_path("s", &dir);
    g_assert_true(g_file_set_contents_full(path, "", 0, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
    GThread *t = g_thread_new("writer", writer_thread, path);
    uint8_t s[DC_CONTROL_AUTH_SECRET_LEN], want[DC_CONTROL_AUTH_SECRET_LEN];
    g_autoptr(GError) error = NULL;
    g_assert_true(dc_control_auth_load_secret(path, s, NULL, &error));
    g_assert_no_error(error);
    g_thread_join(t);
    secret_init(want, 0);
    g_assert_cmpmem(s, sizeof s, want, sizeof want);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/control-auth/parse", test_parse);
    g_test_add_func("/control-auth/known-mac", test_known_mac);
    g_test_add_func("/control-auth/verify", test_verify);
    g_test_add_func("/control-auth/secret-file", test_secret_file);
    g_test_add_func("/control-auth/secret-race", test_secret_race);
    return g_test_run();
}
