/* timer: a GSource with only a ready time. See timer.h. */
#include "bridge/timer.h"

#include <stdint.h>

typedef struct {
    GSource base;
    dc_timer_func fn;
    void *user;
} timer_source;

struct dc_timer {
    timer_source *src;
};

static gboolean timer_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    timer_source *ts = (timer_source *)source;
    g_source_set_ready_time(source, -1);
    ts->fn(ts->user, g_get_monotonic_time());
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {
    .dispatch = timer_dispatch,
};

dc_timer *dc_timer_new(GMainContext *ctx, dc_timer_func fn, void *user)
{
    dc_timer *t = g_new0(dc_timer, 1);
    t->src = (timer_source *)g_source_new(&timer_funcs, sizeof(timer_source));
    t->src->fn = fn;
    t->src->user = user;
    g_source_set_ready_time(&t->src->base, -1);
    g_source_attach(&t->src->base, ctx);
    return t;
}

void dc_timer_set(dc_timer *t, int64_t at_us)
{
    g_source_set_ready_time(&t->src->base, at_us == INT64_MAX ? -1 : (at_us < 0 ? 0 : at_us));
}

void dc_timer_free(dc_timer *t)
{
    if (!t)
        return;
    g_source_destroy(&t->src->base);
    g_source_unref(&t->src->base);
    g_free(t);
}
