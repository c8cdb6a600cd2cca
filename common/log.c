/* common/log: log-safe text. See log.h. */
#include "common/log.h"

#include <glib.h>
#include <string.h>

char *dc_log_escape(const char *s, size_t max_chars)
{
    if (!s) {
        return g_strdup("(null)");
    }
    GString *out = g_string_new(NULL);
    size_t chars = 0;
    const char *p = s;
    const char *end = s + strlen(s);
    while (p < end) {
        if (chars == max_chars) {
            g_string_append(out, "…");
            break;
        }
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append_printf(out, "\\x%02x", (unsigned char)*p);
            p++;
        } else {
            const char *next = g_utf8_next_char(p);
            if (c == '\\') {
                g_string_append(out, "\\\\");
            } else if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029) {
                for (const char *q = p; q < next; q++) {
                    g_string_append_printf(out, "\\x%02x", (unsigned char)*q);
                }
            } else {
                g_string_append_len(out, p, next - p);
            }
            p = next;
        }
        chars++;
    }
    return g_string_free(out, FALSE);
}
