/* ctl/doctor: "diemcau-ctl doctor", the checks of an installation that a
 * technician runs after a change or when something is wrong: the config
 * loads, the certificate is there and not about to expire, the bridge's
 * control link listens, the UDP range is free, the clock is sane, the page
 * is there and the meeting record is whole. One line per check, each with
 * what to do when it is not ok.
 *
 * The checks read files, sockets and the clock of this machine; the
 * verdicts and their text are pure (dc_ctl_doctor_cert_verdict(),
 * dc_ctl_doctor_format()), tested in tests/ctl/test-doctor.py through the
 * program. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    DC_DOCTOR_OK,
    DC_DOCTOR_WARN, /* works, but look at it */
    DC_DOCTOR_FAIL, /* the meeting will not work, or the data is at risk */
} dc_doctor_level;

typedef struct {
    char *check; /* short name: "config", "certificate", ... */
    dc_doctor_level level;
    char *message; /* what was found and, unless ok, what to do */
} dc_doctor_result;

/* Runs every check on the deployment file @config_path. Returns a new array
 * of dc_doctor_result (freed with it). When the config does not load, the
 * array holds that one failure. */
GPtrArray *dc_ctl_doctor_check(const char *config_path);

/* The verdict on a certificate that expires at @not_after_s (Unix time)
 * when it is @now_s: fail when expired, warn within 30 days. Writes the
 * message (free it) to @message. */
dc_doctor_level dc_ctl_doctor_cert_verdict(const char *path, int64_t not_after_s, int64_t now_s,
                                           char **message);

/* One line per result: "ok    config       message". New string. */
char *dc_ctl_doctor_format(const GPtrArray *results);

/* {"ok": bool, "checks": [{"check", "level", "message"}]}. */
JsonNode *dc_ctl_doctor_json(const GPtrArray *results);

/* True when something on this machine accepts a TCP connection to
 * @address:@port within 2 s (a wildcard address is tried on loopback). */
bool dc_ctl_doctor_tcp_answers(const char *address, uint16_t port);

/* True when any result is a failure. */
bool dc_ctl_doctor_failed(const GPtrArray *results);
