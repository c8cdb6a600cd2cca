/* Fuzz target: common/json, the door for every JSON another party sends.
 * Any input must either parse or be refused with an error; a refusal for
 * depth must agree with dc_json_depth(); nothing may crash (json-glib's
 * recursion is reached only below DC_JSON_MAX_DEPTH). */
#include <stdint.h>
#include <stdlib.h>

#include "common/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    JsonParser *p = json_parser_new();
    GError *e = NULL;
    bool ok = dc_json_load(p, text, size, 1 << 20, &e);
    unsigned depth = dc_json_depth(text, size, DC_JSON_MAX_DEPTH);
    if (ok && (e || depth > DC_JSON_MAX_DEPTH)) {
        abort();
    }
    if (!ok && !e) {
        abort();
    }
    g_clear_error(&e);
    g_object_unref(p);
    return 0;
}
