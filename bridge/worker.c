/* worker: threads each with a GMainContext. See worker.h. */
#include "bridge/worker.h"

typedef struct {
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    dc_sendq *sendq; /* NULL without batch_send */
} worker;

struct dc_workers {
    unsigned n;
    worker *w;
};

static gpointer worker_main(gpointer data)
{
    worker *w = data;
    g_main_context_push_thread_default(w->ctx);
    g_main_loop_run(w->loop);
    /* Let sources that finish asynchronously (libnice sockets) settle. */
    for (int i = 0; i < 100 && g_main_context_iteration(w->ctx, FALSE); i++) {
    }
    g_main_context_pop_thread_default(w->ctx);
    return NULL;
}

dc_workers *dc_workers_new(unsigned n, bool batch_send)
{
    dc_workers *p = g_new0(dc_workers, 1);
    p->n = n ? n : 1;
    p->w = g_new0(worker, p->n);
    for (unsigned i = 0; i < p->n; i++) {
        p->w[i].ctx = g_main_context_new();
        p->w[i].loop = g_main_loop_new(p->w[i].ctx, FALSE);
        if (batch_send)
            p->w[i].sendq = dc_sendq_new(p->w[i].ctx);
        g_autofree char *name = g_strdup_printf("dc-worker-%u", i);
        p->w[i].thread = g_thread_new(name, worker_main, &p->w[i]);
    }
    return p;
}

unsigned dc_workers_count(const dc_workers *w)
{
    return w->n;
}

GMainContext *dc_workers_context(const dc_workers *w, unsigned i)
{
    return w->w[i % w->n].ctx;
}

dc_sendq *dc_workers_sendq(const dc_workers *w, unsigned i)
{
    return w->w[i % w->n].sendq;
}

void dc_workers_invoke(dc_workers *w, unsigned i, GSourceFunc fn, gpointer data,
                       GDestroyNotify destroy)
{
    g_main_context_invoke_full(w->w[i % w->n].ctx, G_PRIORITY_DEFAULT, fn, data, destroy);
}

static gboolean quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

void dc_workers_free(dc_workers *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->n; i++)
        g_main_context_invoke_full(p->w[i].ctx, G_PRIORITY_LOW, quit_loop, p->w[i].loop, NULL);
    for (unsigned i = 0; i < p->n; i++) {
        g_thread_join(p->w[i].thread);
        g_main_loop_unref(p->w[i].loop);
        dc_sendq_free(p->w[i].sendq); /* its endpoints are gone with the meetings */
        g_main_context_unref(p->w[i].ctx);
    }
    g_free(p->w);
    g_free(p);
}
