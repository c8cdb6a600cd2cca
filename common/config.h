/* common/config: the deployment file (GKeyFile/INI) shared by diemcau-signal
 * and diemcau-bridge.
 *
 * One file describes one meeting: its id and title, where the signaling
 * service listens, where the bridge's control link listens and which UDP
 * ports it may use, and one [site.<id>] group per site with its Vietnamese
 * name, its role and its credential. config/hatinh.ini is the default and
 * documents every key with its default and unit.
 *
 * Loading is strict: an unknown group or key, a duplicate group or key, a bad
 * number or address, an unknown role or a meeting without exactly one chair
 * fail with a GError (domain DC_CONFIG_ERROR) whose message names the file,
 * the line when it is known, the group and key, and what was wrong:
 *
 *   config/hatinh.ini:31: [bridge] udp_port_max: 39000 is below udp_port_min (40000)
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/credential.h"

G_BEGIN_DECLS

#define DC_CONFIG_ERROR (dc_config_error_quark())
GQuark dc_config_error_quark(void);

typedef enum {
    DC_CONFIG_ERROR_IO,      /* the file could not be read */
    DC_CONFIG_ERROR_SYNTAX,  /* not INI, not UTF-8, duplicate group or key */
    DC_CONFIG_ERROR_UNKNOWN, /* unknown group or key (a typo) */
    DC_CONFIG_ERROR_MISSING, /* a required group or key is absent */
    DC_CONFIG_ERROR_INVALID, /* a value is out of range or malformed */
} dc_config_error_code;

typedef enum {
    DC_ROLE_CHAIR,    /* the provincial command room: exactly one per meeting */
    DC_ROLE_DISTRICT, /* sends one camera and one microphone, receives all */
    DC_ROLE_OBSERVER, /* receives only */
} dc_role;

/* [signaling] tls: whether diemcau-signal serves HTTPS/WSS (see
 * common/tls.h, dc_tls_decide()). */
typedef enum {
    DC_TLS_AUTO, /* HTTPS unless the listen address is loopback (the default) */
    DC_TLS_ON,   /* HTTPS always, loopback too */
    DC_TLS_OFF,  /* plain HTTP, also on a non-loopback address (warned at startup) */
} dc_tls_mode;

typedef struct {
    char *id;   /* [a-z0-9-], from the group name [site.<id>] */
    char *name; /* UTF-8, e.g. "Huyện Can Lộc" */
    dc_role role;
    /* Never NULL: a hash, or a plain secret (deprecated); check a presented
     * secret with dc_credential_verify(). */
    dc_credential *credential;
} dc_config_site;

typedef struct {
    char *path; /* the file as given to dc_config_load() (or the name given
                 * to dc_config_load_data()) */

    /* [meeting] */
    char *meeting_id;    /* [a-z0-9-], 1..64 bytes */
    char *meeting_title; /* UTF-8; defaults to meeting_id */
    bool lobby;          /* sites wait in a lobby until the chair opens the
                          * meeting; default false (open from the start) */

    /* [signaling] */
    char *signal_address; /* IP literal, default 127.0.0.1 */
    uint16_t signal_port; /* default 8080; 0 = any free port */
    char *web_root;       /* absolute path (resolved against the file's folder) */
    /* NULL when not set: the technician API (/api/stats, /metrics) then
     * refuses everyone. A hash, or a plain secret (deprecated). */
    dc_credential *technician_credential;
    bool metrics_open;     /* /metrics without a credential, for peers on
                            * loopback only; default false */
    dc_tls_mode tls;       /* default DC_TLS_AUTO */
    char *tls_certificate; /* PEM, absolute; default "diemcau-signal.crt"
                            * next to the config file */
    char *tls_key;         /* PEM, absolute; default "diemcau-signal.key" */
    bool tls_generate;     /* neither path was set: a missing pair is made
                            * (self-signed) at the first start */
    /* Origins (scheme://host[:port], lower case, no default port) whose
     * pages may open /ws besides the service's own; NULL-terminated, never
     * NULL, empty by default. */
    char **allowed_origins;

    /* [bridge] */
    char *bridge_address;   /* control link address, default 127.0.0.1 */
    uint16_t bridge_port;   /* control link port, default 7400 */
    uint16_t udp_port_min;  /* default 40000 */
    uint16_t udp_port_max;  /* default 40999, >= udp_port_min */
    unsigned workers;       /* 1..64, default 2 */
    char **local_addresses; /* NULL-terminated, never NULL, may be empty */
    char *public_address;   /* NULL when not set */
    /* The control link's shared secret (common/control-auth.h), absolute;
     * default "diemcau-control.secret" next to the config file. */
    char *control_secret_file;

    /* [limits] */
    unsigned max_sites;         /* most sites present at once, 1..1000, default 14 */
    unsigned max_meetings;      /* bridge: most meetings at once, 1..10000, default 64 */
    unsigned max_pending_joins; /* signal: most connections not yet joined, default 32 */
    /* diemcau-signal's resource limits (README, "Resource limits"): */
    unsigned max_pending_joins_per_address; /* the same per peer address (an
                                             * IPv6 peer by its /64); default
                                             * the number of sites, at least 8 */
    unsigned join_timeout_s;                /* a connection not joined for this
                                             * long (to twice) is closed, 10 s */
    unsigned max_connections;               /* HTTP and WebSocket connections at
                                             * once, default 4096 (and at most the
                                             * fd limit minus fd_reserve) */
    unsigned max_connections_per_address;   /* the same per peer address;
                                             * default 4 per site, at least 64 */
    unsigned fd_reserve;                    /* file descriptors kept out of
                                             * max_connections, default 64 */
    unsigned header_timeout_s;              /* from a connection (or the end of
                                             * its last request) to a complete
                                             * request, default 10 s */
    unsigned max_tech_checks_per_address;   /* technician requests waiting for
                                             * their check per address, 8 */

    /* [record] */
    char *record_path; /* the meeting record (SQLite), absolute; default
                        * "diemcau.db" next to the config file */

    /* [site.<id>] in file order */
    dc_config_site *sites;
    size_t n_sites;
} dc_config;

/* Loads and validates the file at @path. Returns a new config (free with
 * dc_config_free()) or NULL with @error set. */
dc_config *dc_config_load(const char *path, GError **error);

/* Same as dc_config_load() for text already in memory. @name is used in error
 * messages; relative web_root values are resolved against @base_dir (the
 * current directory when NULL). */
dc_config *dc_config_load_data(const char *data, size_t len, const char *name, const char *base_dir,
                               GError **error);

void dc_config_free(dc_config *config);

/* The site with this id, or NULL. The pointer lives as long as @config. */
const dc_config_site *dc_config_find_site(const dc_config *config, const char *id);

/* The chair site (validation guarantees exactly one). */
const dc_config_site *dc_config_chair(const dc_config *config);

/* "chair", "district" or "observer". */
const char *dc_config_role_name(dc_role role);

/* Parses a role name; false when unknown. */
bool dc_config_role_parse(const char *name, dc_role *role);

/* The "[group] key" of every credential kept in plain text (deprecated; the
 * service warns at startup), e.g. "[site.tinh] credential"; NULL when none.
 * Free with g_strfreev(). */
char **dc_config_plain_credentials(const dc_config *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dc_config, dc_config_free)

G_END_DECLS
