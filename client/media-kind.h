/* media-kind: audio or video, as the client's sender and receiver index
 * their streams (the values match the bridge's m-line order: mid "0" audio,
 * mid "1" video). */
#pragma once

typedef enum {
    DC_MEDIA_AUDIO = 0,
    DC_MEDIA_VIDEO = 1,
} dc_media_kind;

#define DC_MEDIA_KINDS 2
