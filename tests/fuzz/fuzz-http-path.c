/* Fuzz target: the request paths diemcau-signal maps onto its web folder
 * (signaling/http: dc_http_relative_path, dc_http_mime_type), reached by
 * anyone on the network. A path it accepts must stay inside the folder: no
 * ".." or "." segment, no absolute path, no backslash, valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = g_strndup((const char *)data, size);
    char *rel = dc_http_relative_path(path);
    if (rel) {
        if (rel[0] == '/' || strchr(rel, '\\') || !g_utf8_validate(rel, -1, NULL)) {
            abort();
        }
        char **parts = g_strsplit(rel, "/", -1);
        for (int i = 0; parts[i]; i++) {
            if (parts[i][0] == '\0' || parts[i][0] == '.') {
                abort();
            }
        }
        g_strfreev(parts);
        if (!dc_http_mime_type(rel)) {
            abort();
        }
    }
    g_free(rel);
    g_free(path);
    return 0;
}
