/* common/json: JSON parsing with size and depth limits. See json.h. */
#include "common/json.h"

#include <gio/gio.h>

unsigned dc_json_depth(const char *text, size_t len, unsigned max_depth)
{
    unsigned depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_string) {
            if (ch == '\\') {
                i++; /* whatever follows a backslash cannot end the string */
            } else if (ch == '"') {
                in_string = false;
            }
            continue;
        }
        switch (ch) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > max_depth) {
                    return max_depth + 1;
                }
            }
            break;
        case ']':
        case '}':
            if (depth > 0) {
                depth--;
            }
            break;
        default:
            break;
        }
    }
    return deepest;
}

bool dc_json_load(JsonParser *parser, const char *text, size_t len, size_t max_len, GError **error)
{
    if ((max_len && len > max_len) || len > G_MAXSSIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "%zu bytes of JSON, more than the %zu allowed", len, max_len);
        return false;
    }
    if (dc_json_depth(text ? text : "", text ? len : 0, DC_JSON_MAX_DEPTH) > DC_JSON_MAX_DEPTH) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "JSON nested deeper than %d levels",
                    DC_JSON_MAX_DEPTH);
        return false;
    }
    return json_parser_load_from_data(parser, text ? text : "", (gssize)len, error);
}
