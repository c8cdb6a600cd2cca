/* sdp-parse: the SDP parser (RFC 8866 lines, the WebRTC attributes) and ICE
 * candidate lines; every error names its line and attribute. See sdp.h. */
#include "core/sdp-private.h"

#include <stdarg.h>
#include <string.h>

/* ---- lexical helpers ---- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits at runs of spaces/tabs; never returns empty tokens. */
static GStrv split_ws(const char *s)
{
    GPtrArray *a = g_ptr_array_new();
    while (*s) {
        while (is_ws(*s))
            s++;
        if (!*s)
            break;
        const char *b = s;
        while (*s && !is_ws(*s))
            s++;
        g_ptr_array_add(a, g_strndup(b, (gsize)(s - b)));
    }
    g_ptr_array_add(a, NULL);
    return (GStrv)g_ptr_array_free(a, FALSE);
}

const char *dc_sdp_skip_ws_(const char *s)
{
    while (is_ws(*s))
        s++;
    return s;
}

/* Parses a decimal number of at most max: 0 on success, -1 when tok is not
 * all digits, -2 when it is larger than max. */
int dc_sdp_parse_uint_(const char *tok, uint64_t max, uint64_t *out)
{
    if (!*tok)
        return -1;
    uint64_t v = 0;
    int big = 0;
    for (const char *c = tok; *c; c++) {
        if (!g_ascii_isdigit(*c))
            return -1;
        unsigned d = (unsigned)(*c - '0');
        if (big || v > (max - d) / 10)
            big = 1;
        else
            v = v * 10 + d;
    }
    if (big)
        return -2;
    *out = v;
    return 0;
}

static int dir_from_name(const char *s)
{
    for (int i = 1; dc_sdp_direction_name((dc_sdp_direction)i); i++)
        if (!strcmp(s, dc_sdp_direction_name((dc_sdp_direction)i)))
            return i;
    return -1;
}

bool dc_sdp_is_rtp_proto_(const char *proto)
{
    return strstr(proto, "RTP/") != NULL;
}

/* "AB:CD:..." with two hex digits per byte. */
static bool valid_fingerprint_hex(const char *h)
{
    for (size_t i = 0;; i += 3) {
        if (!g_ascii_isxdigit(h[i]) || !g_ascii_isxdigit(h[i + 1]))
            return false;
        if (h[i + 2] == '\0')
            return true;
        if (h[i + 2] != ':')
            return false;
    }
}

/* ---- candidates ---- */

/* Builds a candidate from the tokens after "candidate:"; NULL with *why set. */
static dc_sdp_candidate *candidate_from_tokens(GStrv t, char **why)
{
    guint n = g_strv_length(t);
    uint64_t comp, prio, port, rport;
    if (n < 8) {
        *why = g_strdup_printf("candidate has %u fields, needs at least 8", n);
        return NULL;
    }
    if (strlen(t[0]) > 32) {
        *why = g_strdup("candidate foundation longer than 32 characters");
        return NULL;
    }
    if (dc_sdp_parse_uint_(t[1], 256, &comp) || comp == 0) {
        *why = g_strdup_printf("candidate component '%.20s' is not a number 1-256", t[1]);
        return NULL;
    }
    if (dc_sdp_parse_uint_(t[3], UINT32_MAX, &prio)) {
        *why = g_strdup_printf("candidate priority '%.20s' is not a number 0-4294967295", t[3]);
        return NULL;
    }
    if (dc_sdp_parse_uint_(t[5], 65535, &port)) {
        *why = g_strdup_printf("candidate port '%.20s' is not a number 0-65535", t[5]);
        return NULL;
    }
    if (strcmp(t[6], "typ")) {
        *why = g_strdup_printf("candidate field 7 is '%.20s', expected 'typ'", t[6]);
        return NULL;
    }
    if ((n - 8) % 2) {
        *why = g_strdup_printf("candidate extension '%.20s' has no value", t[n - 1]);
        return NULL;
    }
    dc_sdp_candidate *c = g_new0(dc_sdp_candidate, 1);
    c->foundation = g_strdup(t[0]);
    c->component = (uint32_t)comp;
    c->transport = g_strdup(t[2]);
    c->priority = (uint32_t)prio;
    c->address = g_strdup(t[4]);
    c->port = (uint16_t)port;
    c->type = g_strdup(t[7]);
    c->rport = -1;
    GString *extra = g_string_new(NULL);
    for (guint i = 8; i < n; i += 2) {
        if (!strcmp(t[i], "raddr")) {
            g_free(c->raddr);
            c->raddr = g_strdup(t[i + 1]);
        } else if (!strcmp(t[i], "rport")) {
            if (dc_sdp_parse_uint_(t[i + 1], 65535, &rport)) {
                *why = g_strdup_printf("candidate rport '%.20s' is not a number 0-65535", t[i + 1]);
                g_string_free(extra, TRUE);
                dc_sdp_candidate_free(c);
                return NULL;
            }
            c->rport = (int32_t)rport;
        } else {
            g_string_append_printf(extra, "%s%s %s", extra->len ? " " : "", t[i], t[i + 1]);
        }
    }
    if (extra->len)
        c->extra = g_string_free(extra, FALSE);
    else
        g_string_free(extra, TRUE);
    return c;
}

dc_sdp_candidate *dc_sdp_candidate_parse(const char *text, GError **error)
{
    if (g_str_has_prefix(text, "a="))
        text += 2;
    if (!g_str_has_prefix(text, "candidate:")) {
        g_set_error(error, DC_SDP_ERROR, DC_SDP_ERROR_SYNTAX,
                    "candidate does not start with 'candidate:'");
        return NULL;
    }
    g_autofree char *copy = g_strchomp(g_strdup(text + strlen("candidate:")));
    for (const char *c = copy; *c; c++) {
        if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
            g_set_error(error, DC_SDP_ERROR, DC_SDP_ERROR_SYNTAX,
                        "candidate contains a control character");
            return NULL;
        }
    }
    g_auto(GStrv) t = split_ws(copy);
    char *why = NULL;
    dc_sdp_candidate *c = candidate_from_tokens(t, &why);
    if (!c) {
        g_set_error(error, DC_SDP_ERROR, DC_SDP_ERROR_SYNTAX, "%s", why);
        g_free(why);
    }
    return c;
}

void dc_sdp_candidate_append_(GString *g, const dc_sdp_candidate *c)
{
    g_string_append_printf(g, "candidate:%s %u %s %u %s %u typ %s", c->foundation, c->component,
                           c->transport, c->priority, c->address, c->port, c->type);
    if (c->raddr)
        g_string_append_printf(g, " raddr %s", c->raddr);
    if (c->rport >= 0)
        g_string_append_printf(g, " rport %d", c->rport);
    if (c->extra)
        g_string_append_printf(g, " %s", c->extra);
}

char *dc_sdp_candidate_to_string(const dc_sdp_candidate *c)
{
    GString *g = g_string_new(NULL);
    dc_sdp_candidate_append_(g, c);
    return g_string_free(g, FALSE);
}

/* ---- parser ---- */

typedef struct {
    dc_sdp *s;
    dc_sdp_media *m; /* current media section; NULL at session level */
    unsigned lineno;
    const char *line;
    const char *attr; /* name of the attribute being parsed */
    GError **error;
    dc_sdp_direction session_dir;
    bool seen_s;
} parser;

G_GNUC_PRINTF(3, 4)
static bool fail(parser *p, dc_sdp_error_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* Quote the start of the line, printable ASCII only. */
    char quote[44];
    size_t n = 0;
    for (const char *c = p->line; c && *c && n < 40; c++)
        quote[n++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
    if (p->line && strlen(p->line) > 40)
        quote[n++] = '.', quote[n++] = '.', quote[n++] = '.';
    quote[n] = '\0';
    g_set_error(p->error, DC_SDP_ERROR, code, "line %u: %s (\"%s\")", p->lineno, what, quote);
    return false;
}

/* Parses tok as a number 0..max into *out, or fails naming what. */
static bool number(parser *p, const char *tok, uint64_t max, uint64_t *out, const char *what)
{
    int r = dc_sdp_parse_uint_(tok, max, out);
    if (r == -1)
        return fail(p, DC_SDP_ERROR_SYNTAX, "%s '%.20s' is not a number", what, tok);
    if (r == -2)
        return fail(p, DC_SDP_ERROR_RANGE, "%s %.24s is out of range 0-%" G_GUINT64_FORMAT, what,
                    tok, max);
    return true;
}

/* Parses a payload type in an attribute of the current RTP section: returns
 * the codec, or NULL with *ok telling whether that is an error (false) or an
 * unknown payload type to ignore (true). */
static dc_sdp_codec *attr_codec(parser *p, const char *tok, const char *attr, bool *ok)
{
    uint64_t pt;
    g_autofree char *what = g_strdup_printf("bad %s: payload type", attr);
    *ok = number(p, tok, 127, &pt, what);
    return *ok ? dc_sdp_media_codec_by_pt(p->m, (uint8_t)pt) : NULL;
}

static bool parse_origin(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    if (g_strv_length(t) != 6)
        return fail(p, DC_SDP_ERROR_SYNTAX,
                    "bad o= line: expected 6 fields (username sess-id sess-version IN IP4 addr)");
    if (!number(p, t[1], UINT64_MAX, &p->s->origin_id, "bad o= line: session id") ||
        !number(p, t[2], UINT64_MAX, &p->s->origin_version, "bad o= line: session version"))
        return false;
    if (strcmp(t[3], "IN"))
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad o= line: network type is not IN");
    return true;
}

static bool parse_conn(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    if (g_strv_length(t) != 3 || strcmp(t[0], "IN") || (strcmp(t[1], "IP4") && strcmp(t[1], "IP6")))
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad c= line: expected 'IN IP4|IP6 <address>'");
    return true;
}

static bool parse_timing(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    uint64_t x = 0;
    if (g_strv_length(t) != 2)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad t= line: expected '<start> <stop>'");
    return number(p, t[0], UINT64_MAX, &x, "bad t= line: start") &&
           number(p, t[1], UINT64_MAX, &x, "bad t= line: stop");
}

/* Fills in what a finished media section left implicit. */
static void finish_section(parser *p)
{
    if (p->m && p->m->direction == DC_SDP_DIR_NONE)
        p->m->direction = p->session_dir ? p->session_dir : DC_SDP_DIR_SENDRECV;
}

static bool parse_mline(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    guint n = g_strv_length(t);
    uint64_t port, count;
    if (n < 4)
        return fail(p, DC_SDP_ERROR_SYNTAX,
                    "bad m= line: expected '<media> <port> <proto> <fmt>...', got %u fields", n);
    char *slash = strchr(t[1], '/');
    if (slash) {
        *slash = '\0';
        if (!number(p, slash + 1, 65535, &count, "bad m= line: port count"))
            return false;
    }
    if (!number(p, t[1], 65535, &port, "bad m= line: port"))
        return false;
    finish_section(p);
    dc_sdp_media *m = dc_sdp_media_append_(p->s, t[0], t[2]);
    p->m = m;
    m->port = (uint16_t)port;
    if (!dc_sdp_is_rtp_proto_(t[2])) {
        m->fmt = g_strjoinv(" ", t + 3);
        return true;
    }
    for (guint i = 3; i < n; i++) {
        uint64_t pt;
        if (!number(p, t[i], 127, &pt, "bad m= line: payload type"))
            return false;
        if (dc_sdp_media_codec_by_pt(m, (uint8_t)pt))
            return fail(p, DC_SDP_ERROR_SYNTAX, "bad m= line: payload type %u listed twice",
                        (unsigned)pt);
        dc_sdp_media_add_codec(m, (uint8_t)pt, NULL, 0, 0, NULL);
    }
    return true;
}

/* ---- attribute handlers: v is the value after ':' (NULL for flags) ---- */

static bool a_group(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    if (!t[0])
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad group: no semantics");
    if (strcmp(t[0], "BUNDLE") || p->s->bundle->len)
        return true; /* other semantics, or a second BUNDLE group: not modelled */
    for (guint i = 1; t[i]; i++)
        g_ptr_array_add(p->s->bundle, g_strdup(t[i]));
    return true;
}

static bool a_extmap_allow_mixed(parser *p, const char *v)
{
    p->s->extmap_allow_mixed = true;
    return true;
}

static bool a_msid_semantic(parser *p, const char *v)
{
    v = dc_sdp_skip_ws_(v);
    if (!*v)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad msid-semantic: empty");
    g_free(p->s->msid_semantic);
    p->s->msid_semantic = g_strdup(v);
    return true;
}

static bool a_ice_options(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    if (g_strv_contains((const gchar *const *)t, "trickle"))
        p->s->ice_trickle = true;
    return true;
}

/* ice-ufrag and ice-pwd: one token of 1..256 characters. */
static bool ice_token(parser *p, const char *v, const char *attr, char **field)
{
    if (!*v || strchr(v, ' ') || strchr(v, '\t') || strlen(v) > 256)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad %s: expected one token of 1-256 characters", attr);
    g_free(*field);
    *field = g_strdup(v);
    return true;
}

static bool a_ice_ufrag(parser *p, const char *v)
{
    return ice_token(p, v, "ice-ufrag", p->m ? &p->m->ice_ufrag : &p->s->ice_ufrag);
}

static bool a_ice_pwd(parser *p, const char *v)
{
    return ice_token(p, v, "ice-pwd", p->m ? &p->m->ice_pwd : &p->s->ice_pwd);
}

static bool a_fingerprint(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    if (g_strv_length(t) != 2 || !valid_fingerprint_hex(t[1]))
        return fail(p, DC_SDP_ERROR_SYNTAX,
                    "bad fingerprint: expected '<algorithm> <XX:XX:...>' in hexadecimal");
    dc_sdp_fingerprint *f = p->m ? &p->m->fingerprint : &p->s->fingerprint;
    if (f->algorithm)
        return true; /* keep the first */
    f->algorithm = g_strdup(t[0]);
    f->hex = g_strdup(t[1]);
    return true;
}

static bool a_setup(parser *p, const char *v)
{
    for (int i = 1; dc_sdp_setup_name((dc_sdp_setup)i); i++) {
        if (!strcmp(v, dc_sdp_setup_name((dc_sdp_setup)i))) {
            *(p->m ? &p->m->setup : &p->s->setup) = (dc_sdp_setup)i;
            return true;
        }
    }
    return fail(p, DC_SDP_ERROR_SYNTAX, "bad setup: expected actpass, active, passive or holdconn");
}

static bool a_mid(parser *p, const char *v)
{
    if (!*v || strchr(v, ' ') || strchr(v, '\t'))
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad mid: expected one token");
    if (p->m->mid)
        return fail(p, DC_SDP_ERROR_STRUCTURE, "second a=mid in one media section");
    if (dc_sdp_find_media(p->s, v))
        return fail(p, DC_SDP_ERROR_STRUCTURE, "mid '%.20s' used by two media sections", v);
    p->m->mid = g_strdup(v);
    return true;
}

static bool a_direction(parser *p, const char *v)
{
    dc_sdp_direction d = (dc_sdp_direction)dir_from_name(p->attr);
    if (p->m)
        p->m->direction = d;
    else
        p->session_dir = d;
    return true;
}

static bool a_rtcp_mux(parser *p, const char *v)
{
    p->m->rtcp_mux = true;
    return true;
}

static bool a_rtcp_rsize(parser *p, const char *v)
{
    p->m->rtcp_rsize = true;
    return true;
}

static bool a_rtpmap(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    if (g_strv_length(t) != 2)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad rtpmap: expected '<pt> <name>/<clock>[/<ch>]'");
    if (!dc_sdp_is_rtp_proto_(p->m->proto))
        return true;
    bool ok;
    dc_sdp_codec *c = attr_codec(p, t[0], "rtpmap", &ok);
    if (!ok)
        return false;
    g_auto(GStrv) enc = g_strsplit(t[1], "/", 4);
    guint n = g_strv_length(enc);
    uint64_t clock, ch = 0;
    if (n < 2 || n > 3 || !enc[0][0])
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad rtpmap: expected '<name>/<clock>[/<channels>]'");
    if (!number(p, enc[1], UINT32_MAX, &clock, "bad rtpmap: clock rate") ||
        (n == 3 && !number(p, enc[2], 255, &ch, "bad rtpmap: channel count")))
        return false;
    if (clock == 0 || (n == 3 && ch == 0))
        return fail(p, DC_SDP_ERROR_RANGE, "bad rtpmap: zero clock rate or channel count");
    if (!c)
        return true; /* payload type not in the m= line */
    if (c->name)
        return fail(p, DC_SDP_ERROR_STRUCTURE, "second rtpmap for payload type %u", c->pt);
    c->name = g_strdup(enc[0]);
    c->clock_rate = (uint32_t)clock;
    c->channels = (uint8_t)ch;
    return true;
}

static bool a_fmtp(parser *p, const char *v)
{
    if (!dc_sdp_is_rtp_proto_(p->m->proto))
        return true;
    const char *sp = v;
    while (*sp && !is_ws(*sp))
        sp++;
    g_autofree char *pt = g_strndup(v, (gsize)(sp - v));
    bool ok;
    dc_sdp_codec *c = attr_codec(p, pt, "fmtp", &ok);
    if (!ok)
        return false;
    const char *params = dc_sdp_skip_ws_(sp);
    if (!c || !*params)
        return true;
    if (c->fmtp)
        return fail(p, DC_SDP_ERROR_STRUCTURE, "second fmtp for payload type %u", c->pt);
    c->fmtp = g_strdup(params);
    return true;
}

static bool a_rtcp_fb(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    if (g_strv_length(t) < 2)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad rtcp-fb: expected '<pt> <type> [<param>]'");
    if (!dc_sdp_is_rtp_proto_(p->m->proto))
        return true;
    g_autofree char *fb = g_strjoinv(" ", t + 1);
    if (!strcmp(t[0], "*")) {
        for (guint i = 0; i < p->m->codecs->len; i++)
            dc_sdp_codec_add_fb(p->m->codecs->pdata[i], fb);
        return true;
    }
    bool ok;
    dc_sdp_codec *c = attr_codec(p, t[0], "rtcp-fb", &ok);
    if (c)
        dc_sdp_codec_add_fb(c, fb);
    return ok;
}

static bool a_extmap(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    uint64_t id;
    int dir = DC_SDP_DIR_NONE;
    if (g_strv_length(t) < 2)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad extmap: expected '<id>[/<direction>] <uri>'");
    char *slash = strchr(t[0], '/');
    if (slash) {
        *slash = '\0';
        if ((dir = dir_from_name(slash + 1)) < 0)
            return fail(p, DC_SDP_ERROR_SYNTAX, "bad extmap: unknown direction '%.20s'", slash + 1);
    }
    if (!number(p, t[0], 255, &id, "bad extmap: id"))
        return false;
    if (id == 0)
        return fail(p, DC_SDP_ERROR_RANGE, "bad extmap: id 0 is not allowed");
    if (!p->m)
        return true; /* session-level extmaps are not modelled */
    for (guint i = 0; i < p->m->extmaps->len; i++)
        if (((dc_sdp_extmap *)p->m->extmaps->pdata[i])->id == id)
            return fail(p, DC_SDP_ERROR_STRUCTURE, "extmap id %u used twice", (unsigned)id);
    dc_sdp_media_add_extmap(p->m, (uint16_t)id, t[1])->direction = (dc_sdp_direction)dir;
    return true;
}

static bool a_msid(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    guint n = g_strv_length(t);
    if (n < 1 || n > 2)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad msid: expected '<stream> [<track>]'");
    if (!p->m->msid_stream) {
        p->m->msid_stream = g_strdup(t[0]);
        p->m->msid_track = g_strdup(t[1]);
    }
    return true;
}

static bool a_ssrc(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    uint64_t ssrc;
    if (g_strv_length(t) < 2)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad ssrc: expected '<ssrc> <attribute>[:<value>]'");
    if (!number(p, t[0], UINT32_MAX, &ssrc, "bad ssrc: ssrc"))
        return false;
    if (g_str_has_prefix(t[1], "cname")) {
        if (strncmp(t[1], "cname:", 6) || !t[1][6])
            return fail(p, DC_SDP_ERROR_SYNTAX, "bad ssrc: cname without a value");
        dc_sdp_media_add_ssrc(p->m, (uint32_t)ssrc, t[1] + 6);
    }
    return true;
}

static bool a_ssrc_group(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    guint n = g_strv_length(t);
    if (n < 2)
        return fail(p, DC_SDP_ERROR_SYNTAX, "bad ssrc-group: expected '<semantics> <ssrc>...'");
    g_autofree uint32_t *ssrcs = g_new(uint32_t, n - 1);
    for (guint i = 1; i < n; i++) {
        uint64_t x = 0;
        if (!number(p, t[i], UINT32_MAX, &x, "bad ssrc-group: ssrc"))
            return false;
        ssrcs[i - 1] = (uint32_t)x;
    }
    dc_sdp_media_add_ssrc_group(p->m, t[0], ssrcs, n - 1);
    return true;
}

static bool a_candidate(parser *p, const char *v)
{
    g_auto(GStrv) t = split_ws(v);
    char *why = NULL;
    dc_sdp_candidate *c = candidate_from_tokens(t, &why);
    if (!c) {
        fail(p, DC_SDP_ERROR_SYNTAX, "bad %s", why);
        g_free(why);
        return false;
    }
    g_ptr_array_add(p->m->candidates, c);
    return true;
}

static bool a_end_of_candidates(parser *p, const char *v)
{
    if (p->m)
        p->m->end_of_candidates = true;
    return true;
}

enum { AT_SESSION = 1, AT_MEDIA = 2, AT_BOTH = 3, VALUE = 4 };

static const struct {
    const char *name;
    bool (*fn)(parser *p, const char *v);
    int flags; /* where the attribute may appear; VALUE: needs ":<value>" */
} attrs[] = {
    {"group", a_group, AT_SESSION | VALUE},
    {"extmap-allow-mixed", a_extmap_allow_mixed, AT_BOTH},
    {"msid-semantic", a_msid_semantic, AT_SESSION | VALUE},
    {"ice-options", a_ice_options, AT_BOTH | VALUE},
    {"ice-ufrag", a_ice_ufrag, AT_BOTH | VALUE},
    {"ice-pwd", a_ice_pwd, AT_BOTH | VALUE},
    {"fingerprint", a_fingerprint, AT_BOTH | VALUE},
    {"setup", a_setup, AT_BOTH | VALUE},
    {"mid", a_mid, AT_MEDIA | VALUE},
    {"sendrecv", a_direction, AT_BOTH},
    {"sendonly", a_direction, AT_BOTH},
    {"recvonly", a_direction, AT_BOTH},
    {"inactive", a_direction, AT_BOTH},
    {"rtcp-mux", a_rtcp_mux, AT_MEDIA},
    {"rtcp-rsize", a_rtcp_rsize, AT_MEDIA},
    {"rtpmap", a_rtpmap, AT_MEDIA | VALUE},
    {"fmtp", a_fmtp, AT_MEDIA | VALUE},
    {"rtcp-fb", a_rtcp_fb, AT_MEDIA | VALUE},
    {"extmap", a_extmap, AT_BOTH | VALUE},
    {"msid", a_msid, AT_MEDIA | VALUE},
    {"ssrc", a_ssrc, AT_MEDIA | VALUE},
    {"ssrc-group", a_ssrc_group, AT_MEDIA | VALUE},
    {"candidate", a_candidate, AT_MEDIA | VALUE},
    {"end-of-candidates", a_end_of_candidates, AT_BOTH},
};

static bool parse_attr(parser *p, const char *v)
{
    const char *colon = strchr(v, ':');
    size_t nlen = colon ? (size_t)(colon - v) : strlen(v);
    const char *value = colon ? colon + 1 : NULL;
    if (nlen == 0)
        return fail(p, DC_SDP_ERROR_SYNTAX, "attribute without a name");
    for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
        if (strlen(attrs[i].name) != nlen || strncmp(attrs[i].name, v, nlen))
            continue;
        if (!(attrs[i].flags & (p->m ? AT_MEDIA : AT_SESSION)))
            return fail(p, DC_SDP_ERROR_STRUCTURE, "a=%s is only allowed %s", attrs[i].name,
                        p->m ? "at session level" : "in a media section");
        p->attr = attrs[i].name;
        if ((attrs[i].flags & VALUE) && !value)
            return fail(p, DC_SDP_ERROR_SYNTAX, "a=%s needs a value", attrs[i].name);
        return attrs[i].fn(p, value);
    }
    return true; /* unknown attributes are ignored */
}

static bool parse_line(parser *p, const char *line)
{
    p->line = line;
    if (!g_ascii_islower(line[0]) || line[1] != '=')
        return fail(p, DC_SDP_ERROR_SYNTAX, "expected '<letter>=<value>'");
    const char *v = line + 2;
    if (p->lineno == 1) {
        if (line[0] != 'v')
            return fail(p, DC_SDP_ERROR_STRUCTURE, "SDP must start with v=0");
        if (strcmp(v, "0"))
            return fail(p, DC_SDP_ERROR_SYNTAX, "unsupported SDP version (expected v=0)");
        return true;
    }
    if (p->lineno == 2 && line[0] != 'o')
        return fail(p, DC_SDP_ERROR_STRUCTURE, "expected o= as the second line");
    if (p->lineno == 3 && line[0] != 's')
        return fail(p, DC_SDP_ERROR_STRUCTURE, "expected s= as the third line");
    switch (line[0]) {
    case 'v':
        return fail(p, DC_SDP_ERROR_STRUCTURE, "second v= line");
    case 'o':
        if (p->lineno != 2)
            return fail(p, DC_SDP_ERROR_STRUCTURE, "second o= line");
        return parse_origin(p, v);
    case 's':
        if (p->lineno != 3)
            return fail(p, DC_SDP_ERROR_STRUCTURE, "second s= line");
        p->seen_s = true;
        return true;
    case 'm':
        return parse_mline(p, v);
    case 'c':
        return parse_conn(p, v);
    case 'a':
        return parse_attr(p, v);
    case 't':
    case 'r':
    case 'z':
    case 'u':
    case 'e':
    case 'p':
        if (p->m)
            return fail(p, DC_SDP_ERROR_STRUCTURE, "%c= is not allowed in a media section",
                        line[0]);
        return line[0] == 't' ? parse_timing(p, v) : true;
    case 'i':
    case 'b':
    case 'k':
        return true;
    default:
        return fail(p, DC_SDP_ERROR_SYNTAX, "unknown line type '%c='", line[0]);
    }
}

/* Checks one raw line for bytes SDP does not allow. */
static bool check_bytes(parser *p, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            p->line = NULL;
            return fail(p, DC_SDP_ERROR_SYNTAX, "control character 0x%02x at column %zu", c, i + 1);
        }
    }
    return true;
}

/* True when only line ends and blanks remain from pos on. */
static bool only_newlines(const char *text, size_t pos, size_t len)
{
    for (; pos < len; pos++)
        if (text[pos] != '\r' && text[pos] != '\n' && !is_ws(text[pos]))
            return false;
    return true;
}

static bool parse_lines(parser *p, const char *text, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t l = end - pos;
        if (l && text[pos + l - 1] == '\r')
            l--;
        while (l && is_ws(text[pos + l - 1]))
            l--;
        p->lineno++;
        p->line = NULL;
        if ((nl ? end + 1 : end) > DC_SDP_MAX_SIZE)
            return fail(p, DC_SDP_ERROR_RANGE, "SDP longer than %d bytes", DC_SDP_MAX_SIZE);
        if (l > DC_SDP_MAX_LINE)
            return fail(p, DC_SDP_ERROR_RANGE, "line longer than %d bytes", DC_SDP_MAX_LINE);
        if (!check_bytes(p, text + pos, l))
            return false;
        if (l == 0) {
            if (only_newlines(text, pos, len))
                break;
            return fail(p, DC_SDP_ERROR_SYNTAX, "empty line");
        }
        g_autofree char *line = g_strndup(text + pos, l);
        if (!parse_line(p, line))
            return false;
        p->line = NULL;
        pos = nl ? end + 1 : len;
    }
    if (!p->seen_s) {
        p->lineno = MAX(p->lineno, 1);
        return fail(p, DC_SDP_ERROR_STRUCTURE, "truncated SDP: needs v=, o= and s= lines");
    }
    finish_section(p);
    return true;
}

bool dc_sdp_parse(const char *text, size_t len, dc_sdp **out, GError **error)
{
    g_return_val_if_fail(out != NULL, false);
    *out = NULL;
    parser p = {.s = dc_sdp_new(), .error = error};
    if (!parse_lines(&p, len ? text : "", len)) {
        dc_sdp_free(p.s);
        return false;
    }
    *out = p.s;
    return true;
}
