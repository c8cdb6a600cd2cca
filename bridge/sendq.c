/* sendq: batched UDP sends of one worker. See sendq.h. */
#include "bridge/sendq.h"

#include <errno.h>
#include <string.h>

/* Runs before the flush of every other source's prepare. */
#define SENDQ_PRIORITY (G_PRIORITY_HIGH * 10)

typedef struct {
    dc_sendq_dest *dest;
    uint32_t len;
    int32_t next; /* the destination's next slot; -1 at its tail */
} slot_info;

struct dc_sendq_dest {
    dc_sendq *q;
    GSocket *socket; /* NULL: not ready */
    int fd;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int32_t head, tail; /* its queued slots, in order; -1 when none */
    uint64_t sent, failed;
};

typedef struct {
    GSource base;
    dc_sendq *q;
} flush_source;

struct dc_sendq {
    GSource *source;
    unsigned used;     /* slots committed */
    unsigned n_active; /* destinations with a queued slot, in first-queued order */
    dc_sendq_stats stats;
    dc_sendq_dest *active[DC_SENDQ_SLOTS];
    slot_info info[DC_SENDQ_SLOTS];
    struct mmsghdr msgs[DC_SENDQ_SLOTS];
    struct iovec iov[DC_SENDQ_SLOTS];
    uint8_t data[DC_SENDQ_SLOTS][DC_SENDQ_SLOT];
};

static gboolean flush_prepare(GSource *source, gint *timeout)
{
    dc_sendq_flush(((flush_source *)source)->q);
    *timeout = -1;
    return FALSE;
}

static gboolean flush_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    return G_SOURCE_CONTINUE; /* never ready */
}

static GSourceFuncs flush_funcs = {
    .prepare = flush_prepare,
    .dispatch = flush_dispatch,
};

dc_sendq *dc_sendq_new(GMainContext *ctx)
{
    dc_sendq *q = g_malloc(sizeof *q); /* the slots need no zeroing */
    memset(q, 0, offsetof(dc_sendq, data));
    if (ctx) {
        q->source = g_source_new(&flush_funcs, sizeof(flush_source));
        ((flush_source *)q->source)->q = q;
        g_source_set_priority(q->source, SENDQ_PRIORITY);
        g_source_set_static_name(q->source, "dc-sendq-flush");
        g_source_attach(q->source, ctx);
    }
    return q;
}

void dc_sendq_free(dc_sendq *q)
{
    if (!q)
        return;
    g_warn_if_fail(q->used == 0);
    if (q->source) {
        g_source_destroy(q->source);
        g_source_unref(q->source);
    }
    g_free(q);
}

void dc_sendq_get_stats(const dc_sendq *q, dc_sendq_stats *out)
{
    *out = q->stats;
}

/* Sends d's queued slots with as few sendmmsg() calls as the kernel allows. */
static void send_dest(dc_sendq *q, dc_sendq_dest *d)
{
    unsigned n = 0;
    for (int32_t i = d->head; i >= 0; i = q->info[i].next) {
        q->iov[n].iov_base = q->data[i];
        q->iov[n].iov_len = q->info[i].len;
        q->msgs[n].msg_hdr = (struct msghdr){
            .msg_name = &d->addr,
            .msg_namelen = d->addr_len,
            .msg_iov = &q->iov[n],
            .msg_iovlen = 1,
        };
        n++;
    }
    d->head = d->tail = -1;
    /* libnice closes its sockets when it frees a stream: the descriptor
     * number may already belong to someone else. */
    if (!d->socket || g_socket_is_closed(d->socket)) {
        d->failed += n;
        q->stats.failed += n;
        return;
    }
    unsigned off = 0;
    while (off < n) {
        int rc = sendmmsg(d->fd, q->msgs + off, n - off, MSG_DONTWAIT);
        q->stats.calls++;
        if (rc > 0) {
            off += (unsigned)rc;
            d->sent += (unsigned)rc;
            q->stats.datagrams += (unsigned)rc;
            continue;
        }
        if (rc < 0 && errno == EINTR)
            continue;
        /* A full send buffer refuses the rest too; anything else (an ICMP
         * error reported late) is about this one datagram only. */
        unsigned lost =
            rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) ? n - off : 1;
        off += lost;
        d->failed += lost;
        q->stats.failed += lost;
    }
}

void dc_sendq_flush(dc_sendq *q)
{
    if (q->used == 0)
        return;
    for (unsigned i = 0; i < q->n_active; i++)
        send_dest(q, q->active[i]);
    q->n_active = 0;
    q->used = 0;
    q->stats.flushes++;
}

dc_sendq_dest *dc_sendq_dest_new(dc_sendq *q)
{
    dc_sendq_dest *d = g_new0(dc_sendq_dest, 1);
    d->q = q;
    d->fd = -1;
    d->head = d->tail = -1;
    return d;
}

void dc_sendq_dest_clear(dc_sendq_dest *d)
{
    if (d->head >= 0)
        dc_sendq_flush(d->q);
    g_clear_object(&d->socket);
    d->fd = -1;
}

void dc_sendq_dest_free(dc_sendq_dest *d)
{
    if (!d)
        return;
    dc_sendq_dest_clear(d);
    g_free(d);
}

void dc_sendq_dest_set(dc_sendq_dest *d, GSocket *socket, const struct sockaddr *to, socklen_t len)
{
    if (d->head >= 0)
        dc_sendq_flush(d->q);
    g_object_ref(socket);
    g_clear_object(&d->socket);
    d->socket = socket;
    d->fd = g_socket_get_fd(socket);
    d->addr_len = len <= sizeof d->addr ? len : (socklen_t)sizeof d->addr;
    memcpy(&d->addr, to, d->addr_len);
}

bool dc_sendq_dest_ready(const dc_sendq_dest *d)
{
    return d->socket && !g_socket_is_closed(d->socket);
}

uint64_t dc_sendq_dest_sent(const dc_sendq_dest *d)
{
    return d->sent;
}

uint64_t dc_sendq_dest_failed(const dc_sendq_dest *d)
{
    return d->failed;
}

uint8_t *dc_sendq_dest_reserve(dc_sendq_dest *d)
{
    dc_sendq *q = d->q;
    if (q->used == DC_SENDQ_SLOTS)
        dc_sendq_flush(q);
    return q->data[q->used];
}

void dc_sendq_dest_commit(dc_sendq_dest *d, size_t len)
{
    dc_sendq *q = d->q;
    if (!d->socket || len > DC_SENDQ_SLOT || q->used == DC_SENDQ_SLOTS) {
        d->failed++;
        q->stats.failed++;
        return;
    }
    int32_t i = (int32_t)q->used++;
    q->info[i] = (slot_info){.dest = d, .len = (uint32_t)len, .next = -1};
    if (d->head < 0) {
        d->head = i;
        q->active[q->n_active++] = d;
    } else {
        q->info[d->tail].next = i;
    }
    d->tail = i;
}
