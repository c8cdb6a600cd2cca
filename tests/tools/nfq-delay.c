/* nfq-delay: a delay stage for tests on kernels without netem.
 *
 *   nfq-delay --queue N --delay-ms D [--jitter-ms J] [--capacity C]
 *
 * Takes the packets an iptables "-j NFQUEUE --queue-num N" rule hands to
 * user space, holds each one until its arrival time + D (+ a uniform random
 * 0..J) milliseconds, then accepts it. Verdicts are issued in arrival order:
 * a packet is never released before the one that came before it (a packet
 * whose jittered time is earlier waits for its predecessor), so the link
 * delays and never reorders, like a real queue.
 *
 * The hold queue is a ring of C entries (default 8192); a packet arriving
 * when it is full is dropped and counted. On SIGTERM or SIGINT the held
 * packets are accepted at once, the counters are printed on stdout as one
 * line of "key=value" pairs, and the program exits 0.
 *
 * Only the packet's metadata is copied to user space (NFQNL_COPY_META): the
 * payload stays in the kernel. Run it in the network namespace that holds
 * the rule (ip netns exec NS nfq-delay ...): queues are per namespace. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_queue/libnetfilter_queue.h>

struct held {
    uint32_t id;        /* the kernel's packet id for the verdict */
    int64_t release_us; /* CLOCK_MONOTONIC time at which to accept */
};

struct delayer {
    struct nfq_q_handle *qh;
    struct held *ring;
    size_t cap, head, len;
    int64_t delay_us, jitter_us;
    int64_t last_release_us; /* keeps verdicts in arrival order */
    uint64_t seed;
    /* counters */
    uint64_t received, accepted, dropped_full, verdict_errors, recv_errors;
    int64_t max_held;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xorshift64*: jitter needs no more than this. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* The packet's arrival time on the monotonic clock: the kernel's receive
 * timestamp when it has one (it is wall-clock time), clamped to the last
 * second; otherwise now. */
static int64_t arrival_us(struct nfq_data *nfa)
{
    int64_t now = mono_us();
    struct timeval tv;
    if (nfq_get_timestamp(nfa, &tv) == 0 && tv.tv_sec > 0) {
        int64_t age = real_us() - ((int64_t)tv.tv_sec * 1000000 + tv.tv_usec);
        if (age > 0 && age < 1000000)
            return now - age;
    }
    return now;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data)
{
    (void)msg;
    struct delayer *d = data;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
    if (!ph)
        return 0;
    uint32_t id = ntohl(ph->packet_id);
    d->received++;
    if (d->len == d->cap) {
        d->dropped_full++;
        if (nfq_set_verdict(qh, id, NF_DROP, 0, NULL) < 0)
            d->verdict_errors++;
        return 0;
    }
    int64_t release = arrival_us(nfa) + d->delay_us;
    if (d->jitter_us > 0)
        release += (int64_t)(next_random(&d->seed) % (uint64_t)(d->jitter_us + 1));
    if (release < d->last_release_us)
        release = d->last_release_us;
    d->last_release_us = release;
    d->ring[(d->head + d->len) % d->cap] = (struct held){.id = id, .release_us = release};
    d->len++;
    if ((int64_t)d->len > d->max_held)
        d->max_held = (int64_t)d->len;
    return 0;
}

/* Accepts every held packet due at `now` (all of them if `all`). */
static void release_due(struct delayer *d, int64_t now, bool all)
{
    while (d->len > 0) {
        struct held *h = &d->ring[d->head];
        if (!all && h->release_us > now)
            break;
        if (nfq_set_verdict(d->qh, h->id, NF_ACCEPT, 0, NULL) < 0)
            d->verdict_errors++;
        else
            d->accepted++;
        d->head = (d->head + 1) % d->cap;
        d->len--;
    }
}

/* Milliseconds until the oldest held packet is due, rounded up; -1 when
 * nothing is held. */
static int poll_timeout_ms(const struct delayer *d, int64_t now)
{
    if (d->len == 0)
        return -1;
    int64_t wait = d->ring[d->head].release_us - now;
    if (wait <= 0)
        return 0;
    return (int)((wait + 999) / 1000);
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: nfq-delay --queue N --delay-ms D [--jitter-ms J] [--capacity C]\n"
        "Holds the packets of NFQUEUE N for D (+ random 0..J) ms, then accepts them in order.\n");
}

static bool parse_num(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"queue", required_argument, NULL, 'q'},
        {"delay-ms", required_argument, NULL, 'd'},
        {"jitter-ms", required_argument, NULL, 'j'},
        {"capacity", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long queue = -1, delay_ms = -1, jitter_ms = 0, capacity = 8192;
    int c;
    while ((c = getopt_long(argc, argv, "q:d:j:c:h", opts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'q':
            ok = parse_num(optarg, 0, 65535, &queue);
            break;
        case 'd':
            ok = parse_num(optarg, 0, 10000, &delay_ms);
            break;
        case 'j':
            ok = parse_num(optarg, 0, 10000, &jitter_ms);
            break;
        case 'c':
            ok = parse_num(optarg, 1, 1 << 20, &capacity);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "nfq-delay: bad value for -%c: %s\n", c, optarg);
            usage(stderr);
            return 2;
        }
    }
    if (queue < 0 || delay_ms < 0 || optind != argc) {
        usage(stderr);
        return 2;
    }

    struct delayer d = {
        .cap = (size_t)capacity,
        .delay_us = delay_ms * 1000,
        .jitter_us = jitter_ms * 1000,
        .seed = ((uint64_t)mono_us() ^ ((uint64_t)getpid() << 32)) | 1,
    };
    d.ring = calloc(d.cap, sizeof *d.ring);
    if (!d.ring) {
        fprintf(stderr, "nfq-delay: out of memory\n");
        return 1;
    }

    struct nfq_handle *h = nfq_open();
    if (!h) {
        fprintf(stderr, "nfq-delay: nfq_open: %s\n", strerror(errno));
        return 1;
    }
    /* Needed on old kernels, harmless (EINVAL/EBUSY ignored) on new ones. */
    (void)nfq_unbind_pf(h, AF_INET);
    (void)nfq_bind_pf(h, AF_INET);
    d.qh = nfq_create_queue(h, (uint16_t)queue, on_packet, &d);
    if (!d.qh) {
        fprintf(stderr, "nfq-delay: cannot bind queue %ld: %s\n", queue, strerror(errno));
        nfq_close(h);
        return 1;
    }
    if (nfq_set_mode(d.qh, NFQNL_COPY_META, 0) < 0 &&
        nfq_set_mode(d.qh, NFQNL_COPY_PACKET, 64) < 0) {
        fprintf(stderr, "nfq-delay: cannot set copy mode: %s\n", strerror(errno));
        nfq_destroy_queue(d.qh);
        nfq_close(h);
        return 1;
    }
    /* The kernel holds the packets; let it hold a full ring and a bit. */
    (void)nfq_set_queue_maxlen(d.qh, (uint32_t)(d.cap + 1024));
    (void)nfnl_rcvbufsiz(nfq_nfnlh(h), 4u << 20);

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd = nfq_fd(h);
    char buf[4096] __attribute__((aligned));
    printf("nfq-delay: queue %ld delay %ld ms jitter %ld ms capacity %ld\n", queue, delay_ms,
           jitter_ms, capacity);
    fflush(stdout);
    while (!stop_requested) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, poll_timeout_ms(&d, mono_us()));
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "nfq-delay: poll: %s\n", strerror(errno));
            break;
        }
        if (n > 0 && (pfd.revents & POLLIN)) {
            /* Drain what is there without blocking. */
            for (;;) {
                ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r < 0) {
                    if (errno == ENOBUFS)
                        d.recv_errors++; /* the kernel dropped messages: count, go on */
                    else if (errno != EAGAIN && errno != EINTR)
                        d.recv_errors++;
                    if (errno != ENOBUFS)
                        break;
                    continue;
                }
                nfq_handle_packet(h, buf, (int)r);
            }
        }
        release_due(&d, mono_us(), false);
    }
    release_due(&d, 0, true);
    printf("nfq-delay: queue=%ld received=%" PRIu64 " accepted=%" PRIu64 " dropped_full=%" PRIu64
           " verdict_errors=%" PRIu64 " recv_errors=%" PRIu64 " max_held=%" PRId64 "\n",
           queue, d.received, d.accepted, d.dropped_full, d.verdict_errors, d.recv_errors,
           d.max_held);
    fflush(stdout);
    nfq_destroy_queue(d.qh);
    nfq_close(h);
    free(d.ring);
    return 0;
}
