/* Fuzz target for bridge/offer's reading of a site's answer: whatever parses
 * as SDP is either refused by dc_offer_check_answer() with an error that
 * names the problem, or read by dc_offer_parse_answer() into the router's
 * parameters and a complete transport. Everything is freed (LeakSanitizer). */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/offer.h"
#include "core/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(dc_sdp) s = NULL;
    if (!dc_sdp_parse((const char *)data, size, &s, NULL))
        return 0;
    g_autoptr(GError) err = NULL;
    bool ok = dc_offer_check_answer(s, &err);
    if (!ok && (!err || !g_str_has_prefix(err->message, "answer refused: ")))
        abort();
    /* dc_offer_parse_answer() takes a NUL-terminated text. */
    g_autofree char *text = g_strndup((const char *)data, size);
    if (strlen(text) != size)
        return 0;
    dc_router_site_params *p = g_new0(dc_router_site_params, 1);
    dc_offer_remote remote = {0};
    g_autoptr(GError) perr = NULL;
    for (unsigned receiver = 0; receiver < 3; receiver++) {
        bool parsed = dc_offer_parse_answer(text, receiver, 3, p, &remote, &perr);
        if (parsed != ok)
            abort();
        if (parsed && (!remote.ice_ufrag || !remote.ice_pwd || !remote.fingerprint))
            abort();
        dc_offer_remote_clear(&remote);
        g_clear_error(&perr);
    }
    g_free(p);
    return 0;
}
