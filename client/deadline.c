/* deadline: see deadline.h. */
#include "client/deadline.h"

typedef struct {
    GSource source;
    dc_deadline_func fn;
    void *user;
} deadline_source;

struct dc_deadline {
    deadline_source *src;
};

static gboolean dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    deadline_source *s = (deadline_source *)source;
    g_source_set_ready_time(source, -1);
    s->fn(s->user, g_get_monotonic_time());
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs funcs = {
    .dispatch = dispatch,
};

dc_deadline *dc_deadline_new(GMainContext *ctx, dc_deadline_func fn, void *user)
{
    dc_deadline *d = g_new0(dc_deadline, 1);
    d->src = (deadline_source *)g_source_new(&funcs, sizeof(deadline_source));
    d->src->fn = fn;
    d->src->user = user;
    g_source_set_ready_time(&d->src->source, -1);
    g_source_attach(&d->src->source, ctx);
    return d;
}

void dc_deadline_free(dc_deadline *d)
{
    if (!d)
        return;
    g_source_destroy(&d->src->source);
    g_source_unref(&d->src->source);
    g_free(d);
}

void dc_deadline_set(dc_deadline *d, int64_t at_us)
{
    g_source_set_ready_time(&d->src->source, at_us == INT64_MAX ? -1 : at_us);
}

void dc_deadline_set_earlier(dc_deadline *d, int64_t at_us)
{
    if (at_us == INT64_MAX)
        return;
    int64_t cur = g_source_get_ready_time(&d->src->source);
    if (cur < 0 || at_us < cur)
        g_source_set_ready_time(&d->src->source, at_us);
}
