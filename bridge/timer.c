/* timer: every dc_timer of a main context in one binary heap behind one
 * GSource. See timer.h.
 *
 * A worker runs a few timers per site (DTLS retransmission, consent,
 * offers, drops, restarts, the router's deadline). As one GSource each they
 * were some seventy sources per 14-site meeting that GLib prepares and
 * checks on every wake-up, about a sixth of the bridge's CPU at one meeting;
 * as a heap they are one source whose ready time is the earliest deadline.
 * Arming, re-arming and disarming are O(log n) and allocate nothing after a
 * timer's first arming.
 *
 * The meetings of a worker are created on the control thread, so
 * dc_timer_new() only allocates; a timer joins its context's heap (and the
 * heap grows) on its first dc_timer_set(), which like dc_timer_free() runs
 * on the context's own thread. */
#include "bridge/timer.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct timer_heap timer_heap;

struct dc_timer {
    GMainContext *ctx;
    timer_heap *h; /* NULL until first armed */
    dc_timer_func fn;
    void *user;
    int64_t at;   /* deadline while armed */
    unsigned pos; /* index in h->heap, or NOT_ARMED */
};

#define NOT_ARMED UINT32_MAX

struct timer_heap {
    GSource base;
    dc_timer **heap; /* min-heap on at */
    unsigned n;      /* armed timers */
    unsigned cap;    /* room in heap: at least the number of timers */
    unsigned timers; /* timers in this heap, armed or not */
    int64_t ready;   /* the ready time last given to GLib */
};

/* A marker for g_main_context_find_source_by_funcs_user_data(). */
static int heap_marker;

static void heap_swap(timer_heap *h, unsigned a, unsigned b)
{
    dc_timer *t = h->heap[a];
    h->heap[a] = h->heap[b];
    h->heap[b] = t;
    h->heap[a]->pos = a;
    h->heap[b]->pos = b;
}

static void sift_up(timer_heap *h, unsigned i)
{
    while (i > 0) {
        unsigned parent = (i - 1) / 2;
        if (h->heap[parent]->at <= h->heap[i]->at)
            break;
        heap_swap(h, i, parent);
        i = parent;
    }
}

static void sift_down(timer_heap *h, unsigned i)
{
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->heap[l]->at < h->heap[m]->at)
            m = l;
        if (r < h->n && h->heap[r]->at < h->heap[m]->at)
            m = r;
        if (m == i)
            break;
        heap_swap(h, i, m);
        i = m;
    }
}

static void heap_remove(timer_heap *h, dc_timer *t)
{
    unsigned i = t->pos;
    t->pos = NOT_ARMED;
    h->n--;
    if (i == h->n)
        return;
    h->heap[i] = h->heap[h->n];
    h->heap[i]->pos = i;
    sift_down(h, i);
    sift_up(h, i);
}

/* Tells GLib the earliest deadline, when it changed. */
static void update_ready(timer_heap *h)
{
    int64_t ready = h->n > 0 ? h->heap[0]->at : -1;
    if (ready != h->ready) {
        h->ready = ready;
        g_source_set_ready_time(&h->base, ready);
    }
}

/* Fires every timer that is due, earliest first. A callback may arm, disarm,
 * create or free any timer of the context, itself included. */
static gboolean heap_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    (void)callback;
    (void)data;
    timer_heap *h = (timer_heap *)source;
    int64_t now = g_get_monotonic_time();
    while (h->n > 0 && h->heap[0]->at <= now && !g_source_is_destroyed(source)) {
        dc_timer *t = h->heap[0];
        heap_remove(h, t);
        t->fn(t->user, now);
    }
    if (!g_source_is_destroyed(source)) {
        h->ready = INT64_MIN; /* GLib does not reset it; make sure it is set */
        update_ready(h);
    }
    return G_SOURCE_CONTINUE;
}

static void heap_finalize(GSource *source)
{
    timer_heap *h = (timer_heap *)source;
    g_free(h->heap);
}

static GSourceFuncs heap_funcs = {
    .dispatch = heap_dispatch,
    .finalize = heap_finalize,
};

static gboolean never_called(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE;
}

dc_timer *dc_timer_new(GMainContext *ctx, dc_timer_func fn, void *user)
{
    dc_timer *t = g_new0(dc_timer, 1);
    t->ctx = g_main_context_ref(ctx);
    t->fn = fn;
    t->user = user;
    t->pos = NOT_ARMED;
    return t;
}

/* On the context's thread: the context's heap, made on first use. */
static void join_heap(dc_timer *t)
{
    GSource *found =
        g_main_context_find_source_by_funcs_user_data(t->ctx, &heap_funcs, &heap_marker);
    timer_heap *h = (timer_heap *)found;
    if (h == NULL) {
        h = (timer_heap *)g_source_new(&heap_funcs, sizeof(timer_heap));
        h->ready = -1;
        g_source_set_ready_time(&h->base, -1);
        /* The callback is only the marker that finds this source again. */
        g_source_set_callback(&h->base, never_called, &heap_marker, NULL);
        g_source_set_name(&h->base, "dc_timer heap");
        g_source_attach(&h->base, t->ctx);
        g_source_unref(&h->base); /* the context holds it until its last timer goes */
    }
    if (h->timers == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 16;
        h->heap = g_renew(dc_timer *, h->heap, h->cap);
    }
    h->timers++;
    t->h = h;
}

void dc_timer_set(dc_timer *t, int64_t at_us)
{
    if (t->h == NULL) {
        if (at_us == INT64_MAX)
            return;
        join_heap(t);
    }
    timer_heap *h = t->h;
    if (at_us == INT64_MAX) {
        if (t->pos != NOT_ARMED) {
            heap_remove(h, t);
            update_ready(h);
        }
        return;
    }
    at_us = at_us < 0 ? 0 : at_us;
    if (t->pos == NOT_ARMED) {
        t->at = at_us;
        t->pos = h->n;
        h->heap[h->n++] = t;
        sift_up(h, t->pos);
    } else if (at_us != t->at) {
        bool earlier = at_us < t->at;
        t->at = at_us;
        if (earlier)
            sift_up(h, t->pos);
        else
            sift_down(h, t->pos);
    }
    update_ready(h);
}

void dc_timer_free(dc_timer *t)
{
    if (!t)
        return;
    timer_heap *h = t->h;
    if (h != NULL) {
        if (t->pos != NOT_ARMED) {
            heap_remove(h, t);
            update_ready(h);
        }
        if (--h->timers == 0)
            g_source_destroy(&h->base); /* freed now, or after a running dispatch */
    }
    g_main_context_unref(t->ctx);
    g_free(t);
}

gboolean dc_timer_context_has_heap(GMainContext *ctx)
{
    return g_main_context_find_source_by_funcs_user_data(ctx, &heap_funcs, &heap_marker) != NULL;
}
