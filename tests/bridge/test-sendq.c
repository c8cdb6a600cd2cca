/* Tests of bridge/sendq over real UDP sockets on loopback: packets queued
 * for several destinations, interleaved, arrive at each in the order they
 * were queued with continuous sequence numbers (from start values 0, 32767
 * and 65535), whether the queue is flushed by hand, by filling up, or by the
 * main loop's prepare hook; a destination that changes address or is
 * cleared sends what it had first; a closed socket sends nothing. */
#include <gio/gio.h>
#include <string.h>

#include "bridge/sendq.h"

#define N_DEST 3
#define PKT_LEN 100

static const uint16_t starts[] = {0, 32767, 65535};

typedef struct {
    GSocket *tx[N_DEST]; /* the sockets the queue sends on (libnice's, in the bridge) */
    GSocket *rx[N_DEST]; /* the peers */
    struct sockaddr_storage addr[N_DEST];
    socklen_t addr_len[N_DEST];
} fixture;

static GSocket *udp_bound(void)
{
    GError *err = NULL;
    GSocket *s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err);
    g_assert_no_error(err);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) a = g_inet_socket_address_new(lo, 0);
    g_assert_true(g_socket_bind(s, a, FALSE, &err));
    g_assert_no_error(err);
    g_socket_set_blocking(s, FALSE);
    g_assert_true(g_socket_set_option(s, SOL_SOCKET, SO_RCVBUF, 1 << 20, NULL));
    return s;
}

static void fixture_init(fixture *f)
{
    for (int i = 0; i < N_DEST; i++) {
        f->tx[i] = udp_bound();
        f->rx[i] = udp_bound();
        g_autoptr(GSocketAddress) a = g_socket_get_local_address(f->rx[i], NULL);
        f->addr_len[i] = (socklen_t)g_socket_address_get_native_size(a);
        g_assert_true(g_socket_address_to_native(a, &f->addr[i], sizeof f->addr[i], NULL));
    }
}

static void fixture_clear(fixture *f)
{
    for (int i = 0; i < N_DEST; i++) {
        g_object_unref(f->tx[i]);
        g_object_unref(f->rx[i]);
    }
}

/* Queues one packet for d: destination id, then the 16-bit sequence. */
static void queue(dc_sendq_dest *d, int id, uint16_t seq)
{
    uint8_t *p = dc_sendq_dest_reserve(d);
    memset(p, 0xab, PKT_LEN);
    p[0] = (uint8_t)id;
    p[1] = (uint8_t)(seq >> 8);
    p[2] = (uint8_t)seq;
    dc_sendq_dest_commit(d, PKT_LEN);
}

/* Reads everything waiting on s and checks: n packets of destination id,
 * sequence numbers first, first + 1, ... (mod 2^16). */
static void expect(GSocket *s, int id, uint16_t first, unsigned n)
{
    uint8_t buf[2048];
    unsigned got = 0;
    uint16_t want = first;
    for (;;) {
        gssize r = g_socket_receive(s, (gchar *)buf, sizeof buf, NULL, NULL);
        if (r < 0)
            break;
        g_assert_cmpint(r, ==, PKT_LEN);
        g_assert_cmpuint(buf[0], ==, (unsigned)id);
        g_assert_cmpuint((unsigned)(buf[1] << 8 | buf[2]), ==, want);
        want++;
        got++;
    }
    g_assert_cmpuint(got, ==, n);
}

/* n packets per destination, interleaved (0, 1, 2, 0, 1, 2, ...). With
 * flush_each > 0, dc_sendq_flush() after every flush_each rounds. */
static void run_interleaved(unsigned n, unsigned flush_each)
{
    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        fixture f;
        fixture_init(&f);
        dc_sendq *q = dc_sendq_new(NULL);
        dc_sendq_dest *d[N_DEST];
        for (int i = 0; i < N_DEST; i++) {
            d[i] = dc_sendq_dest_new(q);
            g_assert_false(dc_sendq_dest_ready(d[i]));
            dc_sendq_dest_set(d[i], f.tx[i], (struct sockaddr *)&f.addr[i], f.addr_len[i]);
            g_assert_true(dc_sendq_dest_ready(d[i]));
        }
        for (unsigned k = 0; k < n; k++) {
            for (int i = 0; i < N_DEST; i++)
                queue(d[i], i, (uint16_t)(starts[s] + k));
            if (flush_each && (k + 1) % flush_each == 0)
                dc_sendq_flush(q);
        }
        dc_sendq_flush(q);
        for (int i = 0; i < N_DEST; i++) {
            expect(f.rx[i], i, starts[s], n);
            g_assert_cmpuint(dc_sendq_dest_sent(d[i]), ==, n);
            g_assert_cmpuint(dc_sendq_dest_failed(d[i]), ==, 0);
        }
        dc_sendq_stats st;
        dc_sendq_get_stats(q, &st);
        g_assert_cmpuint(st.datagrams, ==, (uint64_t)n * N_DEST);
        g_assert_cmpuint(st.failed, ==, 0);
        /* One sendmmsg per destination and flush, however many packets. */
        g_assert_cmpuint(st.calls, ==, st.flushes * N_DEST);
        for (int i = 0; i < N_DEST; i++)
            dc_sendq_dest_free(d[i]);
        dc_sendq_free(q);
        fixture_clear(&f);
    }
}

static void test_one_flush(void)
{
    run_interleaved(20, 0);
}

static void test_flush_per_round(void)
{
    run_interleaved(20, 1);
}

/* More than DC_SENDQ_SLOTS queued: the queue flushes itself when full. */
static void test_full_queue(void)
{
    run_interleaved(DC_SENDQ_SLOTS / N_DEST * 2 + 7, 0);
}

/* The prepare hook sends what one main-loop iteration queued before the
 * context polls again. */
static void test_main_loop_flush(void)
{
    fixture f;
    fixture_init(&f);
    GMainContext *ctx = g_main_context_new();
    dc_sendq *q = dc_sendq_new(ctx);
    dc_sendq_dest *d = dc_sendq_dest_new(q);
    dc_sendq_dest_set(d, f.tx[0], (struct sockaddr *)&f.addr[0], f.addr_len[0]);
    for (unsigned k = 0; k < 5; k++)
        queue(d, 0, (uint16_t)(65533 + k));
    expect(f.rx[0], 0, 0, 0); /* nothing yet */
    g_main_context_iteration(ctx, FALSE);
    expect(f.rx[0], 0, 65533, 5);
    dc_sendq_stats st;
    dc_sendq_get_stats(q, &st);
    g_assert_cmpuint(st.calls, ==, 1);
    g_assert_cmpuint(st.datagrams, ==, 5);
    dc_sendq_dest_free(d);
    dc_sendq_free(q);
    g_main_context_unref(ctx);
    fixture_clear(&f);
}

/* A new address (a new selected pair) or a cleared destination (consent
 * lost, a relay pair): what was queued goes out first, where it was meant
 * to go; freeing a destination sends what it had. */
static void test_change_and_clear(void)
{
    fixture f;
    fixture_init(&f);
    dc_sendq *q = dc_sendq_new(NULL);
    dc_sendq_dest *d = dc_sendq_dest_new(q);
    dc_sendq_dest_set(d, f.tx[0], (struct sockaddr *)&f.addr[0], f.addr_len[0]);
    for (unsigned k = 0; k < 4; k++)
        queue(d, 0, (uint16_t)(32767 + k));
    dc_sendq_dest_set(d, f.tx[0], (struct sockaddr *)&f.addr[1], f.addr_len[1]);
    expect(f.rx[0], 0, 32767, 4);
    for (unsigned k = 4; k < 7; k++)
        queue(d, 0, (uint16_t)(32767 + k));
    dc_sendq_dest_clear(d);
    g_assert_false(dc_sendq_dest_ready(d));
    expect(f.rx[1], 0, 32767 + 4, 3);
    dc_sendq_dest_set(d, f.tx[2], (struct sockaddr *)&f.addr[2], f.addr_len[2]);
    queue(d, 0, 9);
    dc_sendq_dest_free(d); /* flushes */
    expect(f.rx[2], 0, 9, 1);
    dc_sendq_free(q);
    fixture_clear(&f);
}

/* libnice closed the socket (stream removed) with packets queued: they are
 * counted as failed, never written to a descriptor that may be reused. */
static void test_closed_socket(void)
{
    fixture f;
    fixture_init(&f);
    dc_sendq *q = dc_sendq_new(NULL);
    dc_sendq_dest *d = dc_sendq_dest_new(q);
    dc_sendq_dest_set(d, f.tx[0], (struct sockaddr *)&f.addr[0], f.addr_len[0]);
    queue(d, 0, 1);
    queue(d, 0, 2);
    g_assert_true(g_socket_close(f.tx[0], NULL));
    g_assert_false(dc_sendq_dest_ready(d));
    dc_sendq_flush(q);
    g_assert_cmpuint(dc_sendq_dest_failed(d), ==, 2);
    g_assert_cmpuint(dc_sendq_dest_sent(d), ==, 0);
    expect(f.rx[0], 0, 0, 0);
    dc_sendq_dest_free(d);
    dc_sendq_free(q);
    fixture_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sendq/interleaved-one-flush", test_one_flush);
    g_test_add_func("/sendq/interleaved-flush-per-round", test_flush_per_round);
    g_test_add_func("/sendq/full-queue-flushes-itself", test_full_queue);
    g_test_add_func("/sendq/main-loop-prepare-flushes", test_main_loop_flush);
    g_test_add_func("/sendq/change-and-clear-send-first", test_change_and_clear);
    g_test_add_func("/sendq/closed-socket-sends-nothing", test_closed_socket);
    return g_test_run();
}
