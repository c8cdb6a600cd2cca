/* Unit tests for bridge/timer: many timers of one context behind one
 * GSource fire in deadline order, each once, never before its deadline;
 * re-arming, disarming and freeing from inside callbacks (another timer,
 * itself, the context's last timer); two contexts do not share a heap; a
 * timer made on another thread joins the heap on its first arming.
 *
 * Deadlines are real (g_get_monotonic_time); the assertions are on order
 * and on "not before", never on how late. */
#include <stdint.h>

#include <glib.h>

#include "bridge/timer.h"

#define N 200

typedef struct {
    dc_timer *t;
    int64_t at;
    int fired;
    int64_t fired_at;
    int order;
} probe;

static int next_order;

static void on_probe(void *user, int64_t now_us)
{
    probe *p = user;
    p->fired++;
    p->fired_at = now_us;
    p->order = next_order++;
}

static void run_until(GMainContext *ctx, int *done, int want, int64_t limit_us)
{
    int64_t end = g_get_monotonic_time() + limit_us;
    while (*done < want && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, TRUE);
}

static int count_fired(probe *p, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += p[i].fired;
    return c;
}

static gint cmp_at(gconstpointer a, gconstpointer b)
{
    const probe *x = *(probe *const *)a, *y = *(probe *const *)b;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* 200 timers with shuffled deadlines over 60 ms, a quarter re-armed later
 * and a tenth disarmed before they fire. */
static void test_order(void)
{
    GMainContext *ctx = g_main_context_new();
    static probe p[N];
    GRand *rnd = g_rand_new_with_seed(7);
    int64_t t0 = g_get_monotonic_time();
    next_order = 0;
    for (int i = 0; i < N; i++) {
        p[i] = (probe){.t = dc_timer_new(ctx, on_probe, &p[i])};
        p[i].at = t0 + 5000 + g_rand_int_range(rnd, 0, 60000);
        dc_timer_set(p[i].t, p[i].at);
    }
    int expected = N;
    for (int i = 0; i < N; i++) {
        if (i % 4 == 0) {
            p[i].at += 10000;
            dc_timer_set(p[i].t, p[i].at);
        } else if (i % 10 == 1) {
            dc_timer_set(p[i].t, INT64_MAX);
            p[i].at = INT64_MAX;
            expected--;
        }
    }
    int done = 0;
    int64_t end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while ((done = count_fired(p, N)) < expected && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, TRUE);
    g_assert_cmpint(done, ==, expected);
    GPtrArray *by_at = g_ptr_array_new();
    for (int i = 0; i < N; i++) {
        if (p[i].at == INT64_MAX) {
            g_assert_cmpint(p[i].fired, ==, 0);
            continue;
        }
        g_assert_cmpint(p[i].fired, ==, 1);
        g_assert_cmpint(p[i].fired_at, >=, p[i].at);
        g_ptr_array_add(by_at, &p[i]);
    }
    g_ptr_array_sort(by_at, cmp_at);
    for (guint i = 1; i < by_at->len; i++) {
        const probe *a = by_at->pdata[i - 1], *b = by_at->pdata[i];
        if (a->at < b->at)
            g_assert_cmpint(a->order, <, b->order);
    }
    /* Nothing fires twice: iterate a little more. */
    for (int k = 0; k < 5; k++)
        g_main_context_iteration(ctx, FALSE);
    g_assert_cmpint(count_fired(p, N), ==, expected);
    g_ptr_array_unref(by_at);
    g_rand_free(rnd);
    for (int i = 0; i < N; i++)
        dc_timer_free(p[i].t);
    g_main_context_unref(ctx);
}

/* Callbacks that change the heap under the dispatch. */
typedef struct {
    GMainContext *ctx;
    dc_timer *self, *victim, *late;
    int fired, victim_fired, rearms, late_fired;
} chaos;

static void on_victim(void *user, int64_t now_us)
{
    (void)now_us;
    chaos *c = user;
    c->victim_fired++;
}

static void on_late(void *user, int64_t now_us)
{
    (void)now_us;
    chaos *c = user;
    c->late_fired++;
}

static void on_chaos(void *user, int64_t now_us)
{
    chaos *c = user;
    c->fired++;
    if (c->fired == 1) {
        dc_timer_free(c->victim); /* due at the same time: must not fire */
        c->victim = NULL;
        c->late = dc_timer_new(c->ctx, on_late, c);
        dc_timer_set(c->late, now_us + 2000);
    }
    if (c->rearms < 3) {
        c->rearms++;
        dc_timer_set(c->self, now_us); /* due again at once */
    }
}

static void test_callbacks(void)
{
    chaos c = {.ctx = g_main_context_new()};
    c.self = dc_timer_new(c.ctx, on_chaos, &c);
    c.victim = dc_timer_new(c.ctx, on_victim, &c);
    int64_t at = g_get_monotonic_time() + 1000;
    dc_timer_set(c.self, at);
    dc_timer_set(c.victim, at + 1); /* after self in the heap */
    run_until(c.ctx, &c.late_fired, 1, 5 * G_USEC_PER_SEC);
    g_assert_cmpint(c.fired, ==, 4); /* once, then three immediate re-arms */
    g_assert_cmpint(c.victim_fired, ==, 0);
    g_assert_cmpint(c.late_fired, ==, 1);
    dc_timer_free(c.self);
    dc_timer_free(c.late);
    g_assert_false(dc_timer_context_has_heap(c.ctx));
    g_main_context_unref(c.ctx);
}

/* The last timer of a context freed by its own callback: the heap goes
 * away with it, and a new timer afterwards gets a new heap. */
typedef struct {
    dc_timer *t;
    int fired;
} last;

static void on_last(void *user, int64_t now_us)
{
    (void)now_us;
    last *l = user;
    l->fired++;
    dc_timer_free(l->t);
    l->t = NULL;
}

static void test_free_last_in_callback(void)
{
    GMainContext *ctx = g_main_context_new();
    for (int round = 0; round < 2; round++) {
        last l = {0};
        l.t = dc_timer_new(ctx, on_last, &l);
        dc_timer_set(l.t, g_get_monotonic_time() + 500);
        g_assert_true(dc_timer_context_has_heap(ctx));
        run_until(ctx, &l.fired, 1, 5 * G_USEC_PER_SEC);
        g_assert_cmpint(l.fired, ==, 1);
        g_assert_null(l.t);
        g_main_context_iteration(ctx, FALSE);
        g_assert_false(dc_timer_context_has_heap(ctx));
    }
    /* Never armed: no heap at all; freeing is fine. */
    dc_timer *idle = dc_timer_new(ctx, on_probe, NULL);
    dc_timer_set(idle, INT64_MAX);
    g_assert_false(dc_timer_context_has_heap(ctx));
    dc_timer_free(idle);
    dc_timer_free(NULL);
    g_main_context_unref(ctx);
}

/* Two contexts, two heaps: iterating one never fires the other's timers.
 * A timer created on another thread joins its heap when first armed. */
static gpointer make_timer(gpointer data)
{
    GMainContext *ctx = data;
    static probe p;
    return dc_timer_new(ctx, on_probe, &p);
}

static void test_contexts(void)
{
    GMainContext *a = g_main_context_new(), *b = g_main_context_new();
    probe pa = {0}, pb = {0};
    pa.t = dc_timer_new(a, on_probe, &pa);
    pb.t = dc_timer_new(b, on_probe, &pb);
    int64_t now = g_get_monotonic_time();
    dc_timer_set(pa.t, now);
    dc_timer_set(pb.t, now);
    run_until(a, &pa.fired, 1, 5 * G_USEC_PER_SEC);
    g_assert_cmpint(pa.fired, ==, 1);
    g_assert_cmpint(pb.fired, ==, 0);
    run_until(b, &pb.fired, 1, 5 * G_USEC_PER_SEC);
    g_assert_cmpint(pb.fired, ==, 1);

    GThread *th = g_thread_new("maker", make_timer, a);
    dc_timer *t = g_thread_join(th);
    dc_timer_set(t, g_get_monotonic_time());
    int before = next_order;
    int64_t end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (next_order == before && g_get_monotonic_time() < end)
        g_main_context_iteration(a, TRUE);
    g_assert_cmpint(next_order, ==, before + 1);
    dc_timer_free(t);
    dc_timer_free(pa.t);
    dc_timer_free(pb.t);
    g_main_context_unref(a);
    g_main_context_unref(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/timer/order", test_order);
    g_test_add_func("/timer/callbacks", test_callbacks);
    g_test_add_func("/timer/free-last-in-callback", test_free_last_in_callback);
    g_test_add_func("/timer/contexts", test_contexts);
    return g_test_run();
}
