/* ctl/credential: `diemcau-ctl credential`, new credentials for the
 * deployment file, and the technician's secret from a credential file.
 *
 *   diemcau-ctl credential SITE          a new random secret for SITE
 *   diemcau-ctl credential --technician  one for the technician API
 *     --stdin           hash the secret read from standard input instead
 *     --cost N          scrypt's N, a power of two (default DC_CREDENTIAL_N)
 *     --config FILE     SITE must be one of the file's sites
 *     --json            {"site", "group", "line", "secret"} for scripts
 *
 * It prints the secret once (for the operator to hand to the site over a
 * trusted channel; it is kept nowhere) and the line with its hash to paste
 * into the deployment file (common/credential.h). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct {
    gboolean technician; /* the technician's credential instead of a site's */
    gboolean from_stdin; /* hash a given secret, read from @in */
    int cost;            /* scrypt's N; 0 = the default */
} dc_ctl_credential_opts;

/* The verb's options (--technician, --stdin, --cost) as an option
 * group filling @o; the context takes the group. */
GOptionGroup *dc_ctl_credential_options(dc_ctl_credential_opts *o);

/* Runs the verb: @site (NULL with o->technician), @config_path (may be NULL)
 * to check the site exists, @json for JSON output. Reads a secret from @in
 * with o->from_stdin; writes to @out, errors to @err. Returns an exit code
 * (ctl/http.h: 0, 1 when the random generator fails, 2 on bad usage). */
int dc_ctl_credential_run(const dc_ctl_credential_opts *o, const char *site,
                          const char *config_path, bool json, FILE *in, FILE *out, FILE *err);

/* The technician's secret in a credential file: an INI file with
 * [technician] credential = SECRET (and [site.ID] credential = SECRET for
 * the sites), like config/hatinh-demo-credentials.ini. NULL with @error set
 * when the file or the key is missing. Free with g_free(). */
char *dc_ctl_credential_file_technician(const char *path, GError **error);
