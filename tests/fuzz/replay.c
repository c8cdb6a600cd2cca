/* Replays a fuzz corpus through a target's LLVMFuzzerTestOneInput without
 * libFuzzer, one TAP test case per file, so that every normal test run (and
 * the ASan/UBSan build) checks every saved input and crash reproducer. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
        return 2;
    }
    GError *err = NULL;
    GDir *dir = g_dir_open(argv[1], 0, &err);
    if (!dir) {
        printf("1..0 # SKIP %s\n", err->message);
        printf("Bail out! no corpus: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(dir);
    g_ptr_array_sort(names, cmp_names);
    printf("1..%u\n", names->len + 1);
    /* The empty input is always case 1. */
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    printf("ok 1 - empty input\n");
    for (guint i = 0; i < names->len; i++) {
        char *path = g_build_filename(argv[1], (char *)names->pdata[i], NULL);
        char *buf = NULL;
        gsize len = 0;
        if (!g_file_get_contents(path, &buf, &len, &err)) {
            printf("not ok %u - %s: %s\n", i + 2, (char *)names->pdata[i], err->message);
            g_clear_error(&err);
        } else {
            /* Copy into an exact-size heap block so ASan sees any over-read. */
            uint8_t *exact = g_malloc(len ? len : 1);
            memcpy(exact, buf, len);
            LLVMFuzzerTestOneInput(exact, len);
            g_free(exact);
            printf("ok %u - %s (%zu bytes)\n", i + 2, (char *)names->pdata[i], (size_t)len);
        }
        fflush(stdout);
        g_free(buf);
        g_free(path);
    }
    g_ptr_array_free(names, TRUE);
    return 0;
}
