/* floor: the cheapest possible SFU forwarding loop, the baseline the bridge
 * is measured against (issues 3 and 7), plus a micro-benchmark of SRTP
 * protect for a 1190-byte RTP packet.
 *
 * The floor loop, on loopback: a sender thread protects 1190-byte RTP
 * packets and sends them to the loop's socket; the loop thread does
 * recvmmsg, unprotect, then for each of 13 receivers copy + protect (one
 * SRTP session per receiver), and one sendmmsg of the 13 copies; a drain
 * thread receives on the 13 receiver sockets and counts. The sender keeps
 * at most WINDOW packets in flight end to end, so nothing is dropped by a
 * full socket buffer and the numbers are for a loop that keeps up. The
 * result is the loop thread's CPU time (CLOCK_THREAD_CPUTIME_ID) divided by
 * the packets it sent out.
 *
 * libsrtp's crypto kernel is process-global, so each implementation runs in
 * its own process: the parent re-executes this binary with --child stock,
 * --child openssl, --child plain (no SRTP: the kernel's share) and --child
 * gcm (AEAD_AES_128_GCM on the OpenSSL types: what the bridge negotiates), and
 * prints a table with ratios against stock measured in the same run.
 *
 * Usage: diemcau-bench-floor [--smoke] [--seconds S]
 *   --smoke  about one second in total; exits non-zero if a child failed or
 *            a packet was lost. Never checks a timing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "core/srtp.h"

#define PKT_LEN 1190 /* RTP header + payload, before SRTP */
#define RECEIVERS 13
#define BATCH 32
#define WINDOW 48 /* packets in flight from sender to drain */
#define BUF_CAP (PKT_LEN + DC_SRTP_MAX_OVERHEAD)
#define MICRO_BLOCKS 10 /* protect micro-benchmark: best of 10 blocks */
#define SLICE_S 0.25    /* floor loop: CPU per packet measured per slice */
#define MAX_SLICES 2400

/* gcm: the loop with AEAD_AES_128_GCM on core/srtp-openssl's GCM, the
 * profile the bridge negotiates with browsers and with diemcau-load: the
 * floor with the crypto the bridge benchmark actually runs. */
typedef enum { MODE_STOCK, MODE_OPENSSL, MODE_PLAIN, MODE_GCM, N_MODES } mode;
static const char *const mode_names[] = {"stock", "openssl", "plain", "gcm"};

static dc_srtp_profile loop_profile(mode m)
{
    return m == MODE_GCM ? DC_SRTP_AEAD_AES_128_GCM : DC_SRTP_AES128_CM_SHA1_80;
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + 7 * i);
}

/* Session pair index i: a sender (local key i) or a receiver (remote key i). */
static dc_srtp *session(dc_srtp_profile profile, int i, gboolean sender)
{
    dc_srtp_keys k = {.profile = profile};
    uint8_t key[16], salt[14], other[16], osalt[14];
    fill(key, sizeof key, (uint8_t)(3 * i + 1));
    fill(salt, sizeof salt, (uint8_t)(3 * i + 2));
    fill(other, sizeof other, (uint8_t)(3 * i + 100));
    fill(osalt, sizeof osalt, (uint8_t)(3 * i + 101));
    memcpy(sender ? k.local_key : k.remote_key, key, sizeof key);
    memcpy(sender ? k.local_salt : k.remote_salt, salt, sizeof salt);
    memcpy(sender ? k.remote_key : k.local_key, other, sizeof other);
    memcpy(sender ? k.remote_salt : k.local_salt, osalt, sizeof osalt);
    int err = 0;
    dc_srtp *s = dc_srtp_new(&k, &err);
    if (s == NULL)
        g_error("dc_srtp_new: %s", g_strerror(-err));
    return s;
}

static void make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc)
{
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * 3000u;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    fill(buf + 12, PKT_LEN - 12, (uint8_t)seq);
}

/* ---- micro-benchmark: protect one 1190-byte packet ---- */

static double bench_protect(dc_srtp_profile profile, int iters)
{
    dc_srtp *s = session(profile, 0, TRUE);
    uint8_t tmpl[PKT_LEN], buf[BUF_CAP];
    make_rtp(tmpl, 0, 0x1234);
    for (int i = 0; i < 100; i++) { /* warm up, first packet creates the stream */
        memcpy(buf, tmpl, PKT_LEN);
        buf[3] = (uint8_t)i;
        if (dc_srtp_protect_rtp(s, buf, PKT_LEN, sizeof buf) < 0)
            g_error("protect failed");
    }
    /* The least disturbed of several blocks: the machine may be shared. */
    double us = G_MAXDOUBLE;
    int block = iters / MICRO_BLOCKS > 0 ? iters / MICRO_BLOCKS : 1;
    uint16_t seq = 100;
    for (int b = 0; b < MICRO_BLOCKS; b++) {
        double t0 = thread_cpu_s();
        for (int i = 0; i < block; i++, seq++) {
            memcpy(buf, tmpl, PKT_LEN);
            buf[2] = (uint8_t)(seq >> 8);
            buf[3] = (uint8_t)seq;
            if (dc_srtp_protect_rtp(s, buf, PKT_LEN, sizeof buf) < 0)
                g_error("protect failed");
        }
        us = MIN(us, (thread_cpu_s() - t0) * 1e6 / block);
    }
    dc_srtp_free(s);
    return us;
}

/* ---- the floor loop ---- */

typedef struct {
    mode m;
    double seconds;
    int in_fd;                  /* the loop's socket */
    int out_fd[RECEIVERS];      /* the receivers' sockets */
    struct sockaddr_in in_addr; /* where the sender sends */
    struct sockaddr_in out_addr[RECEIVERS];
    gint64 sent;      /* by the sender */
    gint64 delivered; /* received by the drain, all receivers together */
    gint stop_sender;
    gint stop_drain;
    gint64 bad; /* wrong lengths, failed unprotects */
} floor_ctx;

static int udp_socket(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        g_error("socket: %s", g_strerror(errno));
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof *addr;
    if (bind(fd, (struct sockaddr *)addr, len) < 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) < 0)
        g_error("bind: %s", g_strerror(errno));
    return fd;
}

/* Sends protected packets to the loop, keeping at most WINDOW in flight. */
static gpointer sender_main(gpointer data)
{
    floor_ctx *c = data;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    dc_srtp *s = c->m == MODE_PLAIN ? NULL : session(loop_profile(c->m), 0, TRUE);
    static uint8_t bufs[BATCH][BUF_CAP];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    uint16_t seq = 0;

    while (!g_atomic_int_get(&c->stop_sender)) {
        gint64 sent = g_atomic_pointer_get(&c->sent);
        gint64 room = WINDOW - (sent - g_atomic_pointer_get(&c->delivered) / RECEIVERS);
        if (room <= 0) {
            g_usleep(20);
            continue;
        }
        int n = room < BATCH ? (int)room : BATCH;
        for (int i = 0; i < n; i++) {
            make_rtp(bufs[i], seq++, 0xabcd0001u);
            int len = PKT_LEN;
            if (s != NULL && (len = dc_srtp_protect_rtp(s, bufs[i], PKT_LEN, BUF_CAP)) < 0)
                g_error("sender protect failed");
            iov[i] = (struct iovec){bufs[i], (size_t)len};
            msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &c->in_addr,
                                                   .msg_namelen = sizeof c->in_addr,
                                                   .msg_iov = &iov[i],
                                                   .msg_iovlen = 1}};
        }
        int k = sendmmsg(fd, msgs, (unsigned)n, 0);
        if (k > 0)
            g_atomic_pointer_add(&c->sent, k);
    }
    dc_srtp_free(s);
    close(fd);
    return NULL;
}

/* Receives on the 13 receiver sockets and counts. */
static gpointer drain_main(gpointer data)
{
    floor_ctx *c = data;
    static uint8_t bufs[BATCH][BUF_CAP];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct pollfd pfd[RECEIVERS];
    /* The auth tag: 10 bytes of HMAC-SHA1-80, 16 of GCM. */
    size_t want = c->m == MODE_PLAIN ? PKT_LEN : PKT_LEN + (c->m == MODE_GCM ? 16 : 10);
    for (int r = 0; r < RECEIVERS; r++)
        pfd[r] = (struct pollfd){.fd = c->out_fd[r], .events = POLLIN};

    while (!g_atomic_int_get(&c->stop_drain)) {
        if (poll(pfd, RECEIVERS, 20) <= 0)
            continue;
        for (int r = 0; r < RECEIVERS; r++) {
            if (!(pfd[r].revents & POLLIN))
                continue;
            for (int i = 0; i < BATCH; i++) {
                iov[i] = (struct iovec){bufs[i], BUF_CAP};
                msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
            }
            int n = recvmmsg(c->out_fd[r], msgs, BATCH, MSG_DONTWAIT, NULL);
            for (int i = 0; i < n; i++)
                if (msgs[i].msg_len != want)
                    g_atomic_pointer_add(&c->bad, 1);
            if (n > 0)
                g_atomic_pointer_add(&c->delivered, n);
        }
    }
    return NULL;
}

typedef struct {
    gint64 in, out, sent, delivered, bad;
    double cpu_s, wall_s;
    double slice_us[MAX_SLICES]; /* loop CPU us per outbound packet, per slice */
    int n_slices;
} floor_result;

/* The loop itself, on the calling thread, for c->seconds. */
static void floor_loop(floor_ctx *c, floor_result *res)
{
    dc_srtp *rx = c->m == MODE_PLAIN ? NULL : session(loop_profile(c->m), 0, FALSE);
    dc_srtp *tx[RECEIVERS] = {0};
    for (int r = 0; r < RECEIVERS && c->m != MODE_PLAIN; r++)
        tx[r] = session(loop_profile(c->m), 1 + r, TRUE);
    static uint8_t in_bufs[BATCH][BUF_CAP];
    static uint8_t out_bufs[RECEIVERS][BUF_CAP];
    struct mmsghdr in_msgs[BATCH], out_msgs[RECEIVERS];
    struct iovec in_iov[BATCH], out_iov[RECEIVERS];
    for (int r = 0; r < RECEIVERS; r++)
        out_msgs[r] = (struct mmsghdr){.msg_hdr = {.msg_name = &c->out_addr[r],
                                                   .msg_namelen = sizeof c->out_addr[r],
                                                   .msg_iov = &out_iov[r],
                                                   .msg_iovlen = 1}};
    struct pollfd pfd = {.fd = c->in_fd, .events = POLLIN};

    double t_end = mono_s() + c->seconds, t0 = mono_s(), cpu0 = thread_cpu_s();
    double slice_end = t0 + SLICE_S, slice_cpu = cpu0;
    gint64 slice_out = 0;
    for (double now = t0; now < t_end; now = mono_s()) {
        if (now >= slice_end) {
            double cpu = thread_cpu_s();
            if (res->out > slice_out && res->n_slices < MAX_SLICES)
                res->slice_us[res->n_slices++] =
                    (cpu - slice_cpu) * 1e6 / (double)(res->out - slice_out);
            slice_cpu = cpu;
            slice_out = res->out;
            slice_end = now + SLICE_S;
        }
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        for (int i = 0; i < BATCH; i++) {
            in_iov[i] = (struct iovec){in_bufs[i], BUF_CAP};
            in_msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &in_iov[i], .msg_iovlen = 1}};
        }
        int n = recvmmsg(c->in_fd, in_msgs, BATCH, MSG_DONTWAIT, NULL);
        for (int i = 0; i < n; i++) {
            int len = (int)in_msgs[i].msg_len;
            res->in++;
            if (rx != NULL && (len = dc_srtp_unprotect_rtp(rx, in_bufs[i], (size_t)len)) < 0) {
                res->bad++;
                continue;
            }
            for (int r = 0; r < RECEIVERS; r++) {
                int olen = len;
                memcpy(out_bufs[r], in_bufs[i], (size_t)len);
                if (tx[r] != NULL &&
                    (olen = dc_srtp_protect_rtp(tx[r], out_bufs[r], (size_t)len, BUF_CAP)) < 0)
                    g_error("loop protect failed");
                out_iov[r] = (struct iovec){out_bufs[r], (size_t)olen};
            }
            int done = 0;
            while (done < RECEIVERS) {
                int k = sendmmsg(c->in_fd, out_msgs + done, (unsigned)(RECEIVERS - done), 0);
                if (k <= 0)
                    break;
                done += k;
            }
            res->out += done;
        }
    }
    res->cpu_s = thread_cpu_s() - cpu0;
    res->wall_s = mono_s() - t0;
    dc_srtp_free(rx);
    for (int r = 0; r < RECEIVERS; r++)
        dc_srtp_free(tx[r]);
}

static void run_floor(mode m, double seconds, floor_result *res)
{
    floor_ctx c = {.m = m, .seconds = seconds};
    c.in_fd = udp_socket(&c.in_addr);
    for (int r = 0; r < RECEIVERS; r++)
        c.out_fd[r] = udp_socket(&c.out_addr[r]);
    GThread *drain = g_thread_new("drain", drain_main, &c);
    GThread *sender = g_thread_new("sender", sender_main, &c);
    memset(res, 0, sizeof *res);
    floor_loop(&c, res);
    g_atomic_int_set(&c.stop_sender, 1);
    g_thread_join(sender);
    /* Let the last packets in flight arrive (bounded: 100 ms without progress). */
    for (int i = 0; i < 100; i++) {
        gint64 d = g_atomic_pointer_get(&c.delivered);
        if (d >= res->out)
            break;
        g_usleep(1000);
    }
    g_atomic_int_set(&c.stop_drain, 1);
    g_thread_join(drain);
    res->sent = c.sent;
    res->delivered = c.delivered;
    res->bad += c.bad;
    close(c.in_fd);
    for (int r = 0; r < RECEIVERS; r++)
        close(c.out_fd[r]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Child: one implementation, prints one key=value line on stdout. */
static int child_main(mode m, double seconds, int iters)
{
    int got = dc_srtp_global_init(m == MODE_OPENSSL || m == MODE_GCM ? DC_SRTP_CRYPTO_OPENSSL
                                                                     : DC_SRTP_CRYPTO_STOCK);
    if (got < 0 || ((m == MODE_OPENSSL || m == MODE_GCM) && got != DC_SRTP_CRYPTO_OPENSSL))
        return 3;
    double cm = 0, gcm = 0;
    if (m == MODE_STOCK || m == MODE_OPENSSL) {
        cm = bench_protect(DC_SRTP_AES128_CM_SHA1_80, iters);
        gcm = bench_protect(DC_SRTP_AEAD_AES_128_GCM, iters);
    }
    static floor_result r;
    run_floor(m, seconds, &r);
    qsort(r.slice_us, (size_t)r.n_slices, sizeof r.slice_us[0], cmp_double);
    double med = r.n_slices > 0 ? r.slice_us[r.n_slices / 2] : 0.0;
    double best = r.n_slices > 0 ? r.slice_us[0] : 0.0;
    /* Inbound packets the loop did not get before it stopped are still in
     * its socket: lost means more were sent than the loop could have seen
     * beyond one window, or outbound packets never delivered. */
    gint64 lost = (r.sent - r.in > WINDOW ? r.sent - r.in - WINDOW : 0) + (r.out - r.delivered);
    printf("mode=%s protect_cm_us=%.3f protect_gcm_us=%.3f floor_us=%.3f in=%" G_GINT64_FORMAT
           " out=%" G_GINT64_FORMAT " delivered=%" G_GINT64_FORMAT " lost=%" G_GINT64_FORMAT
           " bad=%" G_GINT64_FORMAT " cpu_s=%.3f wall_s=%.3f slice_med_us=%.3f slice_min_us=%.3f\n",
           mode_names[m], cm, gcm, r.out > 0 ? r.cpu_s * 1e6 / (double)r.out : 0.0, r.in, r.out,
           r.delivered, lost, r.bad, r.cpu_s, r.wall_s, med, best);
    return 0;
}

/* Parses "k=v k=v" into a table of strings (owned). */
static GHashTable *parse_line(const char *line)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) kv = g_strsplit_set(line, " \n", -1);
    for (char **p = kv; *p != NULL; p++) {
        char *eq = strchr(*p, '=');
        if (eq != NULL)
            g_hash_table_insert(t, g_strndup(*p, (gsize)(eq - *p)), g_strdup(eq + 1));
    }
    return t;
}

static double num(GHashTable *t, const char *k)
{
    const char *v = g_hash_table_lookup(t, k);
    return v != NULL ? g_ascii_strtod(v, NULL) : 0.0;
}

int main(int argc, char **argv)
{
    gboolean smoke = FALSE;
    double seconds = 5.0;
    g_autofree char *child = NULL;
    int iters = 0;
    GOptionEntry entries[] = {
        {"smoke", 0, 0, G_OPTION_ARG_NONE, &smoke, "Short run for CI (~1 s), checks no loss", NULL},
        {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Floor loop duration per mode", "S"},
        {"child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &child, NULL, NULL},
        {"iters", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &iters, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) oc = g_option_context_new("- SRTP and floor-loop benchmark");
    g_option_context_add_main_entries(oc, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &err)) {
        g_printerr("%s\n", err->message);
        return 2;
    }
    if (seconds <= 0 || seconds > 600) {
        g_printerr("--seconds must be in (0, 600]\n");
        return 2;
    }
    if (child != NULL) {
        for (int m = 0; m < N_MODES; m++)
            if (strcmp(child, mode_names[m]) == 0)
                return child_main((mode)m, seconds, iters > 0 ? iters : 20000);
        return 2;
    }
    if (smoke)
        seconds = 0.25;
    g_autofree char *secs = g_strdup_printf("%g", seconds);
    const char *iter_s = smoke ? "2000" : "50000";

    GHashTable *res[N_MODES] = {0};
    int failed = 0;
    for (int m = 0; m < N_MODES; m++) {
        const char *av[] = {"/proc/self/exe", "--child", mode_names[m], "--seconds", secs,
                            "--iters",        iter_s,    NULL};
        g_autofree char *out = NULL;
        int status = 0;
        g_autoptr(GError) e = NULL;
        if (!g_spawn_sync(NULL, (char **)av, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                          &e) ||
            !g_spawn_check_wait_status(status, &e)) {
            g_printerr("child %s failed: %s\n", mode_names[m], e != NULL ? e->message : "?");
            failed++;
            continue;
        }
        g_print("# %s", out);
        res[m] = parse_line(out);
    }
    if (failed > 0)
        return 1;

    double base_cm = num(res[MODE_STOCK], "protect_cm_us");
    double base_floor = num(res[MODE_STOCK], "floor_us");
    g_print("\nSRTP protect, %d-byte RTP packet (CPU us per packet; ratio to stock AES-CM):\n",
            PKT_LEN);
    g_print("  %-34s %8.3f us  %5.2fx\n", "AES_CM_128_HMAC_SHA1_80 stock", base_cm, 1.0);
    g_print("  %-34s %8.3f us  %5.2fx\n", "AES_CM_128_HMAC_SHA1_80 openssl",
            num(res[MODE_OPENSSL], "protect_cm_us"),
            num(res[MODE_OPENSSL], "protect_cm_us") / base_cm);
    g_print("  %-34s %8.3f us  %5.2fx\n", "AEAD_AES_128_GCM stock",
            num(res[MODE_STOCK], "protect_gcm_us"),
            num(res[MODE_STOCK], "protect_gcm_us") / base_cm);
    g_print("  %-34s %8.3f us  %5.2fx\n", "AEAD_AES_128_GCM openssl",
            num(res[MODE_OPENSSL], "protect_gcm_us"),
            num(res[MODE_OPENSSL], "protect_gcm_us") / base_cm);
    g_print("\nFloor loop, 1 in -> %d out on loopback (loop-thread CPU us per outbound packet:\n"
            "whole run, median and best %.2f-s slice; ratio of the whole run to stock):\n",
            RECEIVERS, SLICE_S);
    int lost = 0;
    for (int m = 0; m < N_MODES; m++) {
        double f = num(res[m], "floor_us");
        g_print("  %-8s %8.3f us (median %.3f, best %.3f)  %5.2fx   in %.0f  out %.0f  "
                "delivered %.0f  lost %.0f  bad %.0f\n",
                mode_names[m], f, num(res[m], "slice_med_us"), num(res[m], "slice_min_us"),
                f / base_floor, num(res[m], "in"), num(res[m], "out"), num(res[m], "delivered"),
                num(res[m], "lost"), num(res[m], "bad"));
        if (num(res[m], "in") < 1 || num(res[m], "lost") > 0 || num(res[m], "bad") > 0)
            lost++;
    }
    for (int m = 0; m < N_MODES; m++)
        g_hash_table_unref(res[m]);
    if (lost > 0) {
        g_printerr("a mode moved no packets or lost some\n");
        return 1;
    }
    return 0;
}
