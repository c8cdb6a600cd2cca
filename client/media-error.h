/* media-error: the GError domain of the client's media modules (codecs,
 * Y4M and WAV files), for messages a person reads at startup. */
#pragma once

#include <glib.h>

#define DC_MEDIA_ERROR (dc_media_error_quark())
typedef enum {
    DC_MEDIA_ERROR_INVALID, /* a parameter out of range */
    DC_MEDIA_ERROR_CODEC,   /* libvpx or libopus refused */
    DC_MEDIA_ERROR_FORMAT,  /* a file is not what it claims to be */
    DC_MEDIA_ERROR_IO,      /* reading or writing a file failed */
} dc_media_error;

GQuark dc_media_error_quark(void);
