/* signaling/conn-limits: per-address and total connection counts, header
 * deadlines and refusal log limiting. See conn-limits.h. */
#include "signaling/conn-limits.h"

#include <glib.h>

#define NO_TIME INT64_MAX

/* One peer key: its open connections and its refusal log state. */
typedef struct {
    char *key;
    unsigned count;
    bool logged;         /* a refusal line went out in this burst */
    int64_t last_log_us; /* when */
    unsigned suppressed; /* refusals since, not logged */
} peer;

typedef struct {
    const void *handle;
    peer *peer;
    GList link; /* in l->deadlines while its deadline runs (data = this) */
    bool running;
    int64_t deadline_us;
} conn;

struct dc_conn_limits {
    dc_conn_limits_params p;
    GHashTable *peers; /* key → peer (owned) */
    GHashTable *conns; /* handle → conn (owned) */
    GQueue deadlines;  /* conn *, earliest first */
    unsigned total;
    peer total_log;    /* the total cap's log state (key NULL, count unused) */
    int64_t log_at_us; /* the earliest summary due, NO_TIME when none */
};

static void peer_free(gpointer p)
{
    peer *e = p;
    g_free(e->key);
    g_free(e);
}

dc_conn_limits *dc_conn_limits_new(const dc_conn_limits_params *p)
{
    dc_conn_limits *l = g_new0(dc_conn_limits, 1);
    l->p = *p;
    l->peers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, peer_free);
    l->conns = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    g_queue_init(&l->deadlines);
    l->log_at_us = NO_TIME;
    return l;
}

void dc_conn_limits_free(dc_conn_limits *l)
{
    if (!l) {
        return;
    }
    g_hash_table_destroy(l->conns);
    g_hash_table_destroy(l->peers);
    g_free(l);
}

/* A refusal charged to @r: logged now (with the count suppressed before)
 * or counted for the next summary. */
static void refused(dc_conn_limits *l, peer *r, int64_t now_us, bool *log, unsigned *suppressed)
{
    bool now_log = !r->logged || now_us - r->last_log_us >= l->p.log_interval_us;
    if (now_log) {
        if (suppressed) {
            *suppressed = r->suppressed;
        }
        r->suppressed = 0;
        r->logged = true;
        r->last_log_us = now_us;
    } else {
        if (r->suppressed++ == 0 && r->last_log_us + l->p.log_interval_us < l->log_at_us) {
            l->log_at_us = r->last_log_us + l->p.log_interval_us;
        }
    }
    if (log) {
        *log = now_log;
    }
}

/* Forgets @e when nothing is left to keep. */
static void peer_maybe_drop(dc_conn_limits *l, peer *e)
{
    if (e->count == 0 && e->suppressed == 0) {
        g_hash_table_remove(l->peers, e->key);
    }
}

dc_conn_verdict dc_conn_limits_open(dc_conn_limits *l, const void *handle, const char *key,
                                    int64_t now_us, bool *log, unsigned *suppressed)
{
    if (log) {
        *log = false;
    }
    if (suppressed) {
        *suppressed = 0;
    }
    if (g_hash_table_contains(l->conns, handle)) {
        return DC_CONN_OK; /* already counted */
    }
    peer *e = g_hash_table_lookup(l->peers, key);
    if (e && e->count >= l->p.max_per_address) {
        refused(l, e, now_us, log, suppressed);
        return DC_CONN_REFUSE_ADDRESS;
    }
    if (l->total >= l->p.max_total) {
        refused(l, &l->total_log, now_us, log, suppressed);
        return DC_CONN_REFUSE_TOTAL;
    }
    if (!e) {
        e = g_new0(peer, 1);
        e->key = g_strdup(key);
        g_hash_table_insert(l->peers, e->key, e);
    }
    e->count++;
    l->total++;
    conn *c = g_new0(conn, 1);
    c->handle = handle;
    c->peer = e;
    c->link.data = c;
    g_hash_table_insert(l->conns, (gpointer)handle, c);
    return DC_CONN_OK;
}

static void stop_deadline(dc_conn_limits *l, conn *c)
{
    if (c->running) {
        g_queue_unlink(&l->deadlines, &c->link);
        c->running = false;
    }
}

void dc_conn_limits_request_started(dc_conn_limits *l, const void *handle, int64_t now_us)
{
    conn *c = g_hash_table_lookup(l->conns, handle);
    if (!c) {
        return;
    }
    stop_deadline(l, c);
    c->deadline_us = now_us + l->p.header_timeout_us;
    c->running = true;
    g_queue_push_tail_link(&l->deadlines, &c->link);
}

void dc_conn_limits_request_read(dc_conn_limits *l, const void *handle)
{
    conn *c = g_hash_table_lookup(l->conns, handle);
    if (c) {
        stop_deadline(l, c);
    }
}

void dc_conn_limits_close(dc_conn_limits *l, const void *handle)
{
    conn *c = g_hash_table_lookup(l->conns, handle);
    if (!c) {
        return;
    }
    stop_deadline(l, c);
    peer *e = c->peer;
    e->count--;
    l->total--;
    g_hash_table_remove(l->conns, handle);
    peer_maybe_drop(l, e);
}

const void *dc_conn_limits_expired(dc_conn_limits *l, int64_t now_us)
{
    GList *head = l->deadlines.head;
    if (!head || ((conn *)head->data)->deadline_us > now_us) {
        return NULL;
    }
    conn *c = head->data;
    stop_deadline(l, c);
    return c->handle;
}

int64_t dc_conn_limits_next_timeout(const dc_conn_limits *l)
{
    int64_t t = l->log_at_us;
    GList *head = l->deadlines.head;
    if (head && ((conn *)head->data)->deadline_us < t) {
        t = ((conn *)head->data)->deadline_us;
    }
    return t == NO_TIME ? -1 : t;
}

/* The summary of @r when due at @now_us; otherwise folds its due time into
 * *@next. */
static bool summary_due(dc_conn_limits *l, peer *r, int64_t now_us, unsigned *suppressed,
                        int64_t *next)
{
    if (r->suppressed == 0) {
        return false;
    }
    int64_t due = r->last_log_us + l->p.log_interval_us;
    if (due > now_us) {
        *next = MIN(*next, due);
        return false;
    }
    *suppressed = r->suppressed;
    r->suppressed = 0;
    r->last_log_us = now_us;
    return true;
}

bool dc_conn_limits_log_due(dc_conn_limits *l, int64_t now_us, const char **key,
                            unsigned *suppressed)
{
    if (l->log_at_us > now_us) {
        return false;
    }
    int64_t next = NO_TIME;
    if (summary_due(l, &l->total_log, now_us, suppressed, &next)) {
        *key = NULL;
        return true; /* log_at_us unchanged: the next call looks again */
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, l->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        peer *e = value;
        if (summary_due(l, e, now_us, suppressed, &next)) {
            *key = e->key;
            if (e->count == 0) {
                /* Dropped later: *key must live until the next call. */
                e->logged = false;
            }
            return true;
        }
        if (e->count == 0 && e->suppressed == 0 && !e->logged) {
            g_hash_table_iter_remove(&it);
        }
    }
    l->log_at_us = next;
    return false;
}

unsigned dc_conn_limits_count(const dc_conn_limits *l, const char *key)
{
    const peer *e = g_hash_table_lookup(l->peers, key);
    return e ? e->count : 0;
}

unsigned dc_conn_limits_total(const dc_conn_limits *l)
{
    return l->total;
}

unsigned dc_conn_limits_keys(const dc_conn_limits *l)
{
    return g_hash_table_size(l->peers);
}
