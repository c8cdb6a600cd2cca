/* Unit tests for common/credential: hash then verify, wrong secrets fail,
 * malformed stored strings are refused with a reason, plain secrets still
 * work, generated secrets have the promised form. */
#include <glib.h>
#include <string.h>

#include "common/credential.h"

/* A fixed salt and the smallest cost allowed; the hash was computed apart:
 * base64(hashlib.scrypt(secret, salt=salt, n=4096, r=8, p=1, dklen=32)). */
#define KNOWN_SECRET "abcdefgh12345678"
#define KNOWN_HASH                                                                                 \
    "scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs="

static void test_hash_then_verify(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *h = dc_credential_hash("tinh-secret-0001", DC_CREDENTIAL_N_MIN, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(h, "scrypt$4096$8$1$"));
    g_autoptr(dc_credential) c = dc_credential_parse(h, &error);
    g_assert_no_error(error);
    g_assert_cmpint(c->kind, ==, DC_CREDENTIAL_SCRYPT);
    g_assert_cmpuint(c->n, ==, DC_CREDENTIAL_N_MIN);
    g_assert_cmpuint(c->r, ==, 8);
    g_assert_cmpuint(c->p, ==, 1);
    g_assert_cmpuint(c->salt_len, ==, DC_CREDENTIAL_SALT_LEN);
    g_assert_null(dc_credential_plain(c));
    g_assert_true(dc_credential_verify(c, "tinh-secret-0001"));
    static const char *const wrong[] = {
        "tinh-secret-0002", "tinh-secret-000", "tinh-secret-00011", "TINH-SECRET-0001", "", "x",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(wrong); i++) {
        g_assert_false(dc_credential_verify(c, wrong[i]));
    }
    g_assert_false(dc_credential_verify(c, NULL));
    g_assert_false(dc_credential_verify(NULL, "tinh-secret-0001"));

    /* A fresh salt every time: the same secret, another string. */
    g_autofree char *h2 = dc_credential_hash("tinh-secret-0001", DC_CREDENTIAL_N_MIN, &error);
    g_assert_cmpstr(h, !=, h2);
}

static void test_known_value(void)
{
    static const uint8_t salt[16] = {0xcb, 0xb7, 0xdc, 0x4f, 0x7d, 0x6c, 0xaa, 0xc3,
                                     0x02, 0x43, 0x37, 0x9b, 0x70, 0xa5, 0x7d, 0x67};
    g_autoptr(GError) error = NULL;
    g_autofree char *h =
        dc_credential_hash_salted(KNOWN_SECRET, 4096, 8, 1, salt, sizeof salt, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(h, ==, KNOWN_HASH);
    g_autoptr(dc_credential) c = dc_credential_parse(KNOWN_HASH, &error);
    g_assert_no_error(error);
    g_assert_true(dc_credential_verify(c, KNOWN_SECRET));
    /* Other r and p are read and used (the string says which). */
    g_autofree char *h2 =
        dc_credential_hash_salted(KNOWN_SECRET, 4096, 4, 2, salt, sizeof salt, &error);
    g_assert_true(g_str_has_prefix(h2, "scrypt$4096$4$2$y7fcT31sqsMCQzebcKV9Zw==$"));
    g_assert_cmpstr(h2, !=, h);
    g_autoptr(dc_credential) c2 = dc_credential_parse(h2, &error);
    g_assert_cmpuint(c2->r, ==, 4);
    g_assert_cmpuint(c2->p, ==, 2);
    g_assert_true(dc_credential_verify(c2, KNOWN_SECRET));
    g_assert_false(dc_credential_verify(c2, "abcdefgh12345679"));
}

static void test_malformed(void)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==", "scrypt$N$r$p$SALT$HASH"},
        {"scrypt$4096$8$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "scrypt$N$r$p$SALT$HASH"},
        {"scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=$x",
         "scrypt$N$r$p$SALT$HASH"},
        /* parameters: N too small, not a power of two, too big, leading zero,
         * not a number, empty; r and p out of range; too much memory */
        {"scrypt$2048$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "power of two"},
        {"scrypt$5000$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "power of two"},
        {"scrypt$2097152$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "N$r$p in range"},
        {"scrypt$04096$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "N$r$p in range"},
        {"scrypt$4k$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "N$r$p in range"},
        {"scrypt$$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "N$r$p in range"},
        {"scrypt$4096$0$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "N$r$p in range"},
        {"scrypt$4096$33$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "N$r$p in range"},
        {"scrypt$4096$8$17$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "N$r$p in range"},
        {"scrypt$4096$8$-1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "N$r$p in range"},
        {"scrypt$1048576$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "more than 256 MiB"},
        /* salt: 12 bytes, junk, missing padding, not canonical, empty */
        {"scrypt$4096$8$1$y7fcT31sqsMCQzeb$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=", "salt"},
        {"scrypt$4096$8$1$y7fcT31s.sMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "salt"},
        {"scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "salt"},
        {"scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zx==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "salt"},
        {"scrypt$4096$8$1$$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=", "salt"},
        /* hash: 24 bytes, 33 bytes, '=' in the middle, empty */
        {"scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038", "hash"},
        {"scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1CsA",
         "hash"},
        {"scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0Vy=BR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "hash"},
        {"scrypt$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==$", "hash"},
        /* other schemes, and plain secrets that break the rules */
        {"pbkdf2-sha256$100000$y7fcT31sqsMCQzebcKV9Zw==$"
         "UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "neither a hash"},
        {"SCRYPT$4096$8$1$y7fcT31sqsMCQzebcKV9Zw==$UufAlurypSHVh0VylBR0RNU0fpDpe038f1r1ZzbX1Cs=",
         "neither a hash"},
        {"$2b$12$abcdefghijklmnopqrstuv", "neither a hash"},
        {"secret$with-a-dollar", "neither a hash"},
        {"short", "8 to 128"},
        {"has a space", "8 to 128"},
        {"tab\there-xx", "8 to 128"},
        {"", "8 to 128"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(dc_credential) c = dc_credential_parse(cases[i].text, &error);
        if (c || !error || !strstr(error->message, cases[i].why)) {
            g_error("“%s”: want an error with “%s”, got %s", cases[i].text, cases[i].why,
                    error ? error->message : "a credential");
        }
        g_assert_error(error, DC_CREDENTIAL_ERROR, DC_CREDENTIAL_ERROR_INVALID);
    }
    /* A 128-character plain secret is the longest. */
    g_autofree char *longest = g_strnfill(128, 'k');
    g_autofree char *too_long = g_strnfill(129, 'k');
    g_autoptr(dc_credential) ok = dc_credential_parse(longest, NULL);
    g_assert_nonnull(ok);
    g_autoptr(dc_credential) bad = dc_credential_parse(too_long, NULL);
    g_assert_null(bad);
}

static void test_plain(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(dc_credential) c = dc_credential_parse("canloc-secret-02", &error);
    g_assert_no_error(error);
    g_assert_cmpint(c->kind, ==, DC_CREDENTIAL_PLAIN);
    g_assert_cmpstr(dc_credential_plain(c), ==, "canloc-secret-02");
    g_assert_true(dc_credential_verify(c, "canloc-secret-02"));
    g_assert_false(dc_credential_verify(c, "canloc-secret-0"));
    g_assert_false(dc_credential_verify(c, "canloc-secret-022"));
    g_assert_false(dc_credential_verify(c, ""));
    g_assert_false(dc_credential_verify(c, NULL));
}

static void test_hash_refuses(void)
{
    static const uint8_t salt[DC_CREDENTIAL_SALT_MAX + 1] = {0};
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
    g_assert_null(dc_credential_hash("short", 0, &e1));
    g_assert_error(e1, DC_CREDENTIAL_ERROR, DC_CREDENTIAL_ERROR_INVALID);
    g_assert_null(dc_credential_hash("long-enough", DC_CREDENTIAL_N_MIN / 2, &e2));
    g_assert_error(e2, DC_CREDENTIAL_ERROR, DC_CREDENTIAL_ERROR_INVALID);
    g_assert_null(dc_credential_hash_salted("long-enough", 4096, 8, 1, salt, 8, &e3));
    g_assert_error(e3, DC_CREDENTIAL_ERROR, DC_CREDENTIAL_ERROR_INVALID);
    g_assert_null(dc_credential_hash_salted("long-enough", 4096, 8, 1, salt, sizeof salt, &e4));
    g_assert_error(e4, DC_CREDENTIAL_ERROR, DC_CREDENTIAL_ERROR_INVALID);
    g_assert_null(dc_credential_hash_salted("long-enough", 4096, 8, 0, salt, 16, &e5));
    g_assert_error(e5, DC_CREDENTIAL_ERROR, DC_CREDENTIAL_ERROR_INVALID);
    g_assert_true(dc_credential_secret_valid("12345678"));
    g_assert_false(dc_credential_secret_valid("1234567"));
    g_assert_false(dc_credential_secret_valid("Hà-Tĩnh-01"));
    g_assert_false(dc_credential_secret_valid(NULL));
}

/* Four groups of five from the 32 letters, different every time, and a
 * valid secret that hashes and verifies. */
static void test_generate(void)
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    unsigned used[32] = {0};
    for (int n = 0; n < 200; n++) {
        char *s = dc_credential_generate();
        g_assert_nonnull(s);
        g_assert_cmpuint(strlen(s), ==, 23);
        for (int i = 0; i < 23; i++) {
            if (i % 6 == 5) {
                g_assert_cmpint(s[i], ==, '-');
            } else {
                const char *at = strchr(alphabet, s[i]);
                g_assert_nonnull(at);
                used[at - alphabet]++;
            }
        }
        g_assert_true(dc_credential_secret_valid(s));
        g_assert_true(g_hash_table_add(seen, s));
    }
    /* 4000 letters: every one of the 32 turns up (each ~125 times). */
    for (int i = 0; i < 32; i++) {
        g_assert_cmpuint(used[i], >, 40);
    }
    g_autofree char *s = dc_credential_generate();
    g_autofree char *h = dc_credential_hash(s, DC_CREDENTIAL_N_MIN, NULL);
    g_autoptr(dc_credential) c = dc_credential_parse(h, NULL);
    g_assert_true(dc_credential_verify(c, s));
}

/* The default cost: one check on this machine, for the record (README
 * states the figure of the reference machine). Never asserted. */
static void test_default_cost(void)
{
    g_autofree char *h = dc_credential_hash("tinh-secret-0001", 0, NULL);
    g_assert_true(g_str_has_prefix(h, "scrypt$16384$8$1$"));
    g_autoptr(dc_credential) c = dc_credential_parse(h, NULL);
    int64_t t0 = g_get_monotonic_time();
    g_assert_true(dc_credential_verify(c, "tinh-secret-0001"));
    g_test_message("one check at N = %u, r = %u, p = %u: %.1f ms", DC_CREDENTIAL_N, DC_CREDENTIAL_R,
                   DC_CREDENTIAL_P, (double)(g_get_monotonic_time() - t0) / 1000.0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/credential/hash-then-verify", test_hash_then_verify);
    g_test_add_func("/credential/known-value", test_known_value);
    g_test_add_func("/credential/malformed", test_malformed);
    g_test_add_func("/credential/plain", test_plain);
    g_test_add_func("/credential/hash-refuses", test_hash_refuses);
    g_test_add_func("/credential/generate", test_generate);
    g_test_add_func("/credential/default-cost", test_default_cost);
    return g_test_run();
}
