/* signaling/throttle: per-address counting of wrong credentials. See
 * throttle.h. */
#include "signaling/throttle.h"

#include <glib.h>

typedef struct {
    unsigned failures; /* in the current burst */
    int64_t first_us;  /* the burst's first failure */
    int64_t last_us;   /* its latest failure */
    bool logged;       /* dc_throttle_failed() said so once */
} entry;

struct dc_throttle {
    dc_throttle_params p;
    GHashTable *table; /* address (owned) → entry (owned) */
};

dc_throttle_params dc_throttle_defaults(void)
{
    return (dc_throttle_params){
        .free_failures = 5,
        .window_us = 60 * G_USEC_PER_SEC,
        .first_delay_us = G_USEC_PER_SEC,
        .max_delay_us = 30 * G_USEC_PER_SEC,
        .max_addresses = 1024,
    };
}

dc_throttle *dc_throttle_new(const dc_throttle_params *params)
{
    dc_throttle *t = g_new0(dc_throttle, 1);
    t->p = params ? *params : dc_throttle_defaults();
    if (t->p.max_addresses == 0) {
        t->p.max_addresses = 1;
    }
    t->table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return t;
}

void dc_throttle_free(dc_throttle *t)
{
    if (!t) {
        return;
    }
    g_hash_table_destroy(t->table);
    g_free(t);
}

/* The entry of @address with its burst still running at @now_us; an ended
 * burst is forgotten. NULL when there is none. */
static entry *lookup(dc_throttle *t, const char *address, int64_t now_us)
{
    entry *e = address ? g_hash_table_lookup(t->table, address) : NULL;
    if (e && now_us - e->last_us >= t->p.window_us) {
        g_hash_table_remove(t->table, address);
        return NULL;
    }
    return e;
}

int64_t dc_throttle_delay(dc_throttle *t, const char *address, int64_t now_us)
{
    entry *e = lookup(t, address, now_us);
    if (!e || e->failures < t->p.free_failures) {
        return 0;
    }
    unsigned doublings = e->failures - t->p.free_failures;
    int64_t d = t->p.first_delay_us;
    for (unsigned i = 0; i < doublings && d < t->p.max_delay_us; i++) {
        d *= 2;
    }
    return d < t->p.max_delay_us ? d : t->p.max_delay_us;
}

/* Makes room for one more address: drops ended bursts, then the address
 * whose last failure is oldest. */
static void make_room(dc_throttle *t, int64_t now_us)
{
    GHashTableIter it;
    gpointer key, value;
    const char *oldest = NULL;
    int64_t oldest_us = 0;
    g_hash_table_iter_init(&it, t->table);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        entry *e = value;
        if (now_us - e->last_us >= t->p.window_us) {
            g_hash_table_iter_remove(&it);
        } else if (!oldest || e->last_us < oldest_us) {
            oldest = key;
            oldest_us = e->last_us;
        }
    }
    if (g_hash_table_size(t->table) >= t->p.max_addresses && oldest) {
        g_hash_table_remove(t->table, oldest);
    }
}

bool dc_throttle_failed(dc_throttle *t, const char *address, int64_t now_us, unsigned *failures,
                        int64_t *span_us)
{
    if (!address) {
        return false;
    }
    entry *e = lookup(t, address, now_us);
    if (!e) {
        if (g_hash_table_size(t->table) >= t->p.max_addresses) {
            make_room(t, now_us);
        }
        e = g_new0(entry, 1);
        e->first_us = now_us;
        g_hash_table_insert(t->table, g_strdup(address), e);
    }
    e->failures++;
    e->last_us = now_us;
    if (failures) {
        *failures = e->failures;
    }
    if (span_us) {
        *span_us = now_us - e->first_us;
    }
    if (!e->logged && e->failures >= t->p.free_failures) {
        e->logged = true;
        return true;
    }
    return false;
}

unsigned dc_throttle_failures(dc_throttle *t, const char *address, int64_t now_us)
{
    entry *e = lookup(t, address, now_us);
    return e ? e->failures : 0;
}

size_t dc_throttle_size(const dc_throttle *t)
{
    return g_hash_table_size(t->table);
}
