/* media-error: GError domain of the client's media modules. */
#include "client/media-error.h"

GQuark dc_media_error_quark(void)
{
    return g_quark_from_static_string("dc-media-error-quark");
}
