/* load-janus: diemcau-load's adapter for Janus VideoRoom. See load.h. */
#include "bench/load.h"

#include <gio/gio.h>

bool dc_load_janus_start(dc_load_meeting *m, GError **error)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not written yet");
    return false;
}

void dc_load_janus_stop(dc_load_meeting *m)
{
}
