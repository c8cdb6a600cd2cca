/* core/bwe: send-side bandwidth estimation (GCC over transport-cc). See
 * bwe.h; constants from draft-ietf-rmcat-gcc-02 unless said otherwise. */
#include "core/bwe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENT_SLOTS 4096
#define GROUP_US 5000          /* packets sent within 5 ms form one group */
#define TREND_WINDOW 20        /* groups in the least-squares window */
#define TREND_SMOOTHING 0.9    /* of the accumulated delay */
#define TREND_GAIN 4.0         /* the trend's scale before the threshold */
#define THRESHOLD_INIT_MS 12.5 /* the over-use detector's gamma */
#define THRESHOLD_MIN_MS 6.0
#define THRESHOLD_MAX_MS 600.0
#define K_UP 0.0087     /* gamma follows the trend up slowly ... */
#define K_DOWN 0.039    /* ... and down faster */
#define OVERUSE_MS 10.0 /* the trend must stay over gamma this long */
#define BETA 0.85       /* on over-use: this share of what arrived */
#define ACKED_WINDOW_US 500000
#define ACKED_SLOTS 1024
#define LOSS_INTERVAL_US 1000000
#define LOSS_MIN_PACKETS 20
#define PROBE_DURATION_US 15000 /* a cluster lasts about this long */
#define PROBE_MIN_PACKETS 5
#define PROBE_PACKET 1200              /* bytes, to size a cluster */
#define PROBE_GAP_US 100000            /* between clusters */
#define PROBE_RECOVERY_US 5000000      /* after a large drop, a probe this often ... */
#define PROBE_RECOVERY_MAX_US 10000000 /* ... backing off to this while they fail */
#define PROBE_QUIET_US 3000000         /* ... when the link has not over-used this long */
#define LARGE_DROP 0.7                 /* a target below this share of the peak */
#define PEAK_DECAY_PER_S 0.01          /* the peak forgets 1 % a second */
#define PROBE_BLAME_US 500000          /* an over-use this soon after a failed probe is its */
#define MAX_CLUSTERS 8

typedef struct {
    int64_t ext; /* -1 free */
    int64_t send_us;
    uint32_t size;
    int16_t cluster;
} sent_slot;

typedef struct {
    bool used;
    int id;
    uint64_t rate_bps;
    int64_t ext_first, ext_last;
    unsigned sent, reported, received;
    int64_t send_first, send_last;
    uint64_t bytes_sent, last_sent_size;
    int64_t arrive_first, arrive_last;
    uint64_t bytes_received, first_received_size;
    bool done;
} cluster_t;

typedef struct {
    int64_t first_send, last_send, last_arrival;
    bool open;
} group_t;

struct dc_bwe {
    dc_bwe_config cfg;
    sent_slot sent[SENT_SLOTS];
    int64_t last_ext;
    bool any_sent;

    /* delay-based */
    group_t cur, prev;
    bool have_prev;
    double accumulated_ms, smoothed_ms;
    double win_x[TREND_WINDOW], win_y[TREND_WINDOW];
    unsigned win_len, win_pos;
    unsigned num_deltas;
    int64_t first_arrival_us;
    bool have_first_arrival;
    double prev_slope, modified_trend;
    double threshold_ms;
    int64_t threshold_updated_us;
    double time_over_ms;
    unsigned overuse_count;
    dc_bwe_usage usage;

    /* what arrived */
    int64_t acked_at[ACKED_SLOTS];
    uint32_t acked_size[ACKED_SLOTS];
    unsigned acked_pos, acked_len;

    /* rate control */
    double delay_bps;
    double capacity_bps, capacity_var; /* at over-use; capacity 0: unknown */
    int64_t last_update_us, last_decrease_us, last_overuse_us;
    bool hold;

    /* loss-based */
    double loss_bps;
    unsigned loss_lost, loss_total;
    int64_t loss_since_us;
    double last_loss;

    /* probes */
    cluster_t clusters[MAX_CLUSTERS];
    uint64_t pending[4];
    unsigned n_pending;
    int next_cluster;
    int64_t next_probe_us, last_probe_us;
    uint64_t probes_sent, last_probe_result;
    int64_t recovery_interval_us;
    int64_t probe_failed_us; /* when a probe last showed the link full */
    double peak_bps;         /* the highest target lately (decaying) */
    int64_t peak_us;
};

void dc_bwe_config_default(dc_bwe_config *cfg)
{
    *cfg =
        (dc_bwe_config){.start_bps = 300000, .min_bps = 30000, .max_bps = 20000000, .probe = true};
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

dc_bwe *dc_bwe_new(const dc_bwe_config *cfg, int64_t now_us)
{
    if (!cfg || cfg->min_bps == 0 || cfg->min_bps > cfg->max_bps || cfg->start_bps < cfg->min_bps ||
        cfg->start_bps > cfg->max_bps) {
        return NULL;
    }
    dc_bwe *b = calloc(1, sizeof *b);
    if (!b) {
        return NULL;
    }
    b->cfg = *cfg;
    for (size_t i = 0; i < SENT_SLOTS; i++) {
        b->sent[i].ext = -1;
    }
    b->threshold_ms = THRESHOLD_INIT_MS;
    b->threshold_updated_us = -1;
    b->time_over_ms = -1;
    b->delay_bps = (double)cfg->start_bps;
    b->loss_bps = (double)cfg->max_bps; /* no loss seen: no cap */
    b->last_update_us = now_us;
    b->last_decrease_us = INT64_MIN / 2;
    b->last_overuse_us = INT64_MIN / 2;
    b->loss_since_us = now_us;
    b->last_probe_us = now_us;
    b->next_cluster = 1;
    b->recovery_interval_us = PROBE_RECOVERY_US;
    b->probe_failed_us = INT64_MIN / 2;
    b->peak_bps = (double)cfg->start_bps;
    b->peak_us = now_us;
    if (cfg->probe) {
        /* Two clusters at the start, at 3x and 6x: the link's rate is
         * known within a second instead of after a minute of +8 %/s. */
        b->pending[b->n_pending++] = 3 * cfg->start_bps;
        b->pending[b->n_pending++] = 6 * cfg->start_bps;
        b->next_probe_us = now_us;
    } else {
        b->next_probe_us = INT64_MAX;
    }
    return b;
}

void dc_bwe_free(dc_bwe *b)
{
    free(b);
}

/* ---- sent packets ---- */

void dc_bwe_on_sent(dc_bwe *b, uint16_t seq, size_t size, int64_t now_us, int cluster)
{
    int64_t ext;
    if (!b->any_sent) {
        ext = seq;
        b->any_sent = true;
    } else {
        ext = b->last_ext + (int16_t)(uint16_t)(seq - (uint16_t)b->last_ext);
    }
    if (ext > b->last_ext || b->last_ext == 0) {
        b->last_ext = ext;
    }
    sent_slot *s = &b->sent[(uint64_t)ext % SENT_SLOTS];
    *s = (sent_slot){.ext = ext, .send_us = now_us, .size = (uint32_t)size, .cluster = -1};
    for (int i = 0; cluster > 0 && i < MAX_CLUSTERS; i++) {
        cluster_t *c = &b->clusters[i];
        if (c->used && c->id == cluster && !c->done) {
            s->cluster = (int16_t)i;
            if (c->sent == 0) {
                c->ext_first = ext;
                c->send_first = now_us;
            }
            c->ext_last = ext;
            c->send_last = now_us;
            c->sent++;
            c->bytes_sent += size;
            c->last_sent_size = size;
        }
    }
}

static sent_slot *find_sent(dc_bwe *b, uint16_t seq)
{
    if (!b->any_sent) {
        return NULL;
    }
    int64_t ext = b->last_ext + (int16_t)(uint16_t)(seq - (uint16_t)b->last_ext);
    sent_slot *s = &b->sent[(uint64_t)ext % SENT_SLOTS];
    return s->ext == ext ? s : NULL;
}

/* ---- delay-based: trendline and over-use detector ---- */

static void update_threshold(dc_bwe *b, double trend, int64_t now_us)
{
    if (b->threshold_updated_us < 0) {
        b->threshold_updated_us = now_us;
    }
    double abs_trend = fabs(trend);
    if (abs_trend > b->threshold_ms + 15.0) {
        /* A spike (a route change, a scheduler hiccup) is not taken in. */
        b->threshold_updated_us = now_us;
        return;
    }
    double k = abs_trend < b->threshold_ms ? K_DOWN : K_UP;
    double dt_ms = clampd((double)(now_us - b->threshold_updated_us) / 1000.0, 0, 100);
    b->threshold_ms += k * (abs_trend - b->threshold_ms) * dt_ms;
    b->threshold_ms = clampd(b->threshold_ms, THRESHOLD_MIN_MS, THRESHOLD_MAX_MS);
    b->threshold_updated_us = now_us;
}

static double trend_slope(const dc_bwe *b)
{
    double sx = 0, sy = 0;
    for (unsigned i = 0; i < b->win_len; i++) {
        sx += b->win_x[i];
        sy += b->win_y[i];
    }
    double mx = sx / b->win_len, my = sy / b->win_len;
    double num = 0, den = 0;
    for (unsigned i = 0; i < b->win_len; i++) {
        num += (b->win_x[i] - mx) * (b->win_y[i] - my);
        den += (b->win_x[i] - mx) * (b->win_x[i] - mx);
    }
    return den > 0 ? num / den : b->prev_slope;
}

/* One group's delay variation (ms) against the group before, arriving at
 * arrival_us, the two groups' send times send_delta_ms apart. */
static void trend_update(dc_bwe *b, double delay_delta_ms, double send_delta_ms, int64_t arrival_us,
                         int64_t now_us)
{
    if (!b->have_first_arrival) {
        b->first_arrival_us = arrival_us;
        b->have_first_arrival = true;
    }
    if (b->num_deltas < 1000) {
        b->num_deltas++;
    }
    b->accumulated_ms += delay_delta_ms;
    b->smoothed_ms = TREND_SMOOTHING * b->smoothed_ms + (1 - TREND_SMOOTHING) * b->accumulated_ms;
    b->win_x[b->win_pos] = (double)(arrival_us - b->first_arrival_us) / 1000.0;
    b->win_y[b->win_pos] = b->smoothed_ms;
    b->win_pos = (b->win_pos + 1) % TREND_WINDOW;
    if (b->win_len < TREND_WINDOW) {
        b->win_len++;
        if (b->win_len < TREND_WINDOW) {
            return;
        }
    }
    double slope = trend_slope(b);
    double trend = (b->num_deltas < 60 ? b->num_deltas : 60) * slope * TREND_GAIN;
    b->modified_trend = trend;
    if (trend > b->threshold_ms) {
        b->time_over_ms = b->time_over_ms < 0 ? send_delta_ms / 2 : b->time_over_ms + send_delta_ms;
        b->overuse_count++;
        if (b->time_over_ms > OVERUSE_MS && b->overuse_count > 1 && slope >= b->prev_slope) {
            b->time_over_ms = 0;
            b->overuse_count = 0;
            b->usage = DC_BWE_OVERUSE;
        }
    } else if (trend < -b->threshold_ms) {
        b->time_over_ms = -1;
        b->overuse_count = 0;
        b->usage = DC_BWE_UNDERUSE;
    } else {
        b->time_over_ms = -1;
        b->overuse_count = 0;
        b->usage = DC_BWE_NORMAL;
    }
    b->prev_slope = slope;
    update_threshold(b, trend, now_us);
}

/* A received packet, in send order, into the send-time groups. */
static void group_packet(dc_bwe *b, int64_t send_us, int64_t arrival_us, int64_t now_us)
{
    if (b->cur.open && send_us - b->cur.first_send <= GROUP_US) {
        if (send_us > b->cur.last_send) {
            b->cur.last_send = send_us;
        }
        if (arrival_us > b->cur.last_arrival) {
            b->cur.last_arrival = arrival_us;
        }
        return;
    }
    if (b->cur.open) {
        if (b->have_prev) {
            double send_delta = (double)(b->cur.last_send - b->prev.last_send) / 1000.0;
            double arrival_delta = (double)(b->cur.last_arrival - b->prev.last_arrival) / 1000.0;
            if (send_delta > 0) {
                trend_update(b, arrival_delta - send_delta, send_delta, b->cur.last_arrival,
                             now_us);
            }
        }
        b->prev = b->cur;
        b->have_prev = true;
    }
    b->cur = (group_t){
        .first_send = send_us, .last_send = send_us, .last_arrival = arrival_us, .open = true};
}

/* ---- what arrived ---- */

static void acked_add(dc_bwe *b, int64_t arrival_us, uint32_t size)
{
    b->acked_at[b->acked_pos] = arrival_us;
    b->acked_size[b->acked_pos] = size;
    b->acked_pos = (b->acked_pos + 1) % ACKED_SLOTS;
    if (b->acked_len < ACKED_SLOTS) {
        b->acked_len++;
    }
}

/* Bits per second that arrived over the 500 ms before the newest arrival;
 * 0 while less than 100 ms is known. */
static double acked_bps(const dc_bwe *b)
{
    if (b->acked_len < 2) {
        return 0;
    }
    unsigned newest = (b->acked_pos + ACKED_SLOTS - 1) % ACKED_SLOTS;
    int64_t end = b->acked_at[newest];
    uint64_t bytes = 0;
    int64_t start = end;
    for (unsigned i = 0; i < b->acked_len; i++) {
        unsigned k = (newest + ACKED_SLOTS - i) % ACKED_SLOTS;
        if (end - b->acked_at[k] > ACKED_WINDOW_US) {
            break;
        }
        bytes += b->acked_size[k];
        start = b->acked_at[k];
    }
    int64_t span = end - start;
    if (span < 100000) {
        return 0;
    }
    return (double)bytes * 8.0 * 1e6 / (double)span;
}

/* ---- probes ---- */

static void probe_result(dc_bwe *b, cluster_t *c, int64_t now_us)
{
    c->done = true;
    c->used = false;
    if (c->received < 2 || c->received * 10 < c->sent * 8) {
        return; /* too few arrived to measure */
    }
    double send_s = (double)(c->send_last - c->send_first) / 1e6;
    double recv_s = (double)(c->arrive_last - c->arrive_first) / 1e6;
    if (send_s <= 0 || recv_s <= 0) {
        return;
    }
    double send_rate = (double)(c->bytes_sent - c->last_sent_size) * 8.0 / send_s;
    double recv_rate = (double)(c->bytes_received - c->first_received_size) * 8.0 / recv_s;
    double result = recv_rate < send_rate ? recv_rate : send_rate;
    b->last_probe_result = (uint64_t)result;
    bool full = recv_rate < 0.9 * send_rate; /* a queue formed: the link's rate */
    if (full) {
        /* What arrived is what the link carries: the capacity, and the
         * reason for the delay growth that follows (not a congestion of
         * the media). Probing again waits longer. */
        b->probe_failed_us = now_us;
        b->capacity_bps = recv_rate;
        b->capacity_var = 0.4;
        b->recovery_interval_us = b->recovery_interval_us * 3 / 2;
        if (b->recovery_interval_us > PROBE_RECOVERY_MAX_US) {
            b->recovery_interval_us = PROBE_RECOVERY_MAX_US;
        }
    } else {
        b->recovery_interval_us = PROBE_RECOVERY_US;
    }
    if (result > b->delay_bps) {
        b->delay_bps = clampd(result, (double)b->cfg.min_bps, (double)b->cfg.max_bps);
        if (!full) {
            b->capacity_bps = 0; /* the old capacity is a thing of the past */
        }
    }
    /* The link kept up with the probe: try twice as much next. */
    if (!full && result >= 0.7 * (double)c->rate_bps && 2 * result <= (double)b->cfg.max_bps &&
        b->n_pending < 4) {
        b->pending[b->n_pending++] = (uint64_t)(2 * result);
        if (b->next_probe_us > now_us + PROBE_GAP_US) {
            b->next_probe_us = now_us + PROBE_GAP_US;
        }
    }
}

static void probe_feedback(dc_bwe *b, const sent_slot *s, bool received, int64_t arrival_us,
                           int64_t now_us)
{
    if (s->cluster < 0) {
        return;
    }
    cluster_t *c = &b->clusters[s->cluster];
    if (!c->used || c->done) {
        return;
    }
    c->reported++;
    if (received) {
        if (c->received == 0 || arrival_us < c->arrive_first) {
            c->arrive_first = arrival_us;
            c->first_received_size = s->size;
        }
        if (arrival_us > c->arrive_last) {
            c->arrive_last = arrival_us;
        }
        c->received++;
        c->bytes_received += s->size;
    }
    if (c->reported >= c->sent && s->ext >= c->ext_last) {
        probe_result(b, c, now_us);
    }
}

/* A large drop on a link that now loses little: worth a recovery probe
 * once the link has been quiet long enough. */
static bool recovery_wanted(const dc_bwe *b)
{
    uint64_t target = dc_bwe_target_bps(b);
    return b->last_loss < 0.02 && (double)target < LARGE_DROP * b->peak_bps &&
           target < b->cfg.max_bps;
}

bool dc_bwe_probe_due(dc_bwe *b, int64_t now_us, dc_bwe_probe *out)
{
    if (!b->cfg.probe) {
        return false;
    }
    if (b->n_pending == 0 && recovery_wanted(b) &&
        now_us - b->last_probe_us >= b->recovery_interval_us &&
        now_us - b->last_overuse_us >= PROBE_QUIET_US) {
        /* After a large drop, nothing but a probe finds the headroom again
         * soon (8 % a second takes 20 s to climb back from a fifth). */
        uint64_t rate = 2 * dc_bwe_target_bps(b);
        b->pending[b->n_pending++] = rate < b->cfg.max_bps ? rate : b->cfg.max_bps;
        b->next_probe_us = now_us;
    }
    if (b->n_pending == 0 || now_us < b->next_probe_us) {
        return false;
    }
    int slot = -1;
    for (int i = 0; i < MAX_CLUSTERS; i++) {
        if (!b->clusters[i].used) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        b->clusters[0].used = false; /* the oldest is never going to report */
        slot = 0;
    }
    uint64_t rate = b->pending[0];
    memmove(b->pending, b->pending + 1, --b->n_pending * sizeof b->pending[0]);
    cluster_t *c = &b->clusters[slot];
    *c = (cluster_t){.used = true, .id = b->next_cluster++, .rate_bps = rate};
    if (b->next_cluster > 30000) {
        b->next_cluster = 1;
    }
    size_t bytes = (size_t)(rate * PROBE_DURATION_US / 8 / 1000000);
    if (bytes < PROBE_MIN_PACKETS * PROBE_PACKET) {
        bytes = PROBE_MIN_PACKETS * PROBE_PACKET;
    }
    *out = (dc_bwe_probe){
        .cluster = c->id, .rate_bps = rate, .bytes = bytes, .min_packets = PROBE_MIN_PACKETS};
    b->probes_sent++;
    b->last_probe_us = now_us;
    b->next_probe_us = now_us + PROBE_GAP_US;
    return true;
}

int64_t dc_bwe_next_timeout(const dc_bwe *b)
{
    if (!b->cfg.probe) {
        return INT64_MAX;
    }
    if (b->n_pending) {
        return b->next_probe_us;
    }
    /* A recovery probe needs a large drop and a clean link, which only a
     * feedback can bring (and the caller asks again after each one); then
     * only the time. */
    if (!recovery_wanted(b)) {
        return INT64_MAX;
    }
    int64_t recovery = b->last_probe_us + b->recovery_interval_us;
    int64_t quiet = b->last_overuse_us + PROBE_QUIET_US;
    return recovery > quiet ? recovery : quiet;
}

/* ---- rate control ---- */

static void capacity_on_overuse(dc_bwe *b, double acked)
{
    if (b->capacity_bps <= 0) {
        b->capacity_bps = acked;
        b->capacity_var = 0.4;
        return;
    }
    /* An exponential average of the rate at over-use, and its normalised
     * variance, as in the draft's "link capacity" (alpha 0.05). */
    b->capacity_bps = 0.95 * b->capacity_bps + 0.05 * acked;
    double norm = b->capacity_bps > 1 ? b->capacity_bps : 1;
    double err = b->capacity_bps - acked;
    b->capacity_var = clampd(0.95 * b->capacity_var + 0.05 * err * err / norm, 0.4, 2.5);
}

static void rate_update(dc_bwe *b, int64_t now_us)
{
    double acked = acked_bps(b);
    double dt_s = clampd((double)(now_us - b->last_update_us) / 1e6, 0, 1);
    b->last_update_us = now_us;
    if (b->usage == DC_BWE_OVERUSE && now_us - b->probe_failed_us < PROBE_BLAME_US) {
        /* The queue of a probe the link could not carry: hold, no cut. */
        b->hold = true;
        b->usage = DC_BWE_NORMAL;
    } else if (b->usage == DC_BWE_OVERUSE) {
        b->last_overuse_us = now_us;
        if (now_us - b->last_decrease_us >= 200000 && acked > 0) {
            double lowered = BETA * acked;
            if (lowered > b->delay_bps && b->capacity_bps > 0) {
                lowered = BETA * b->capacity_bps;
            }
            if (lowered < b->delay_bps) {
                b->delay_bps = lowered;
            }
            capacity_on_overuse(b, acked);
            b->last_decrease_us = now_us;
        }
        b->hold = true;
        b->usage = DC_BWE_NORMAL; /* acted on; the detector says again if it lasts */
    } else if (b->usage == DC_BWE_UNDERUSE) {
        b->hold = true; /* queues drain: wait before raising */
    } else if (b->hold) {
        b->hold = false;
    } else {
        double sd = sqrt(b->capacity_var * (b->capacity_bps > 1 ? b->capacity_bps : 1));
        if (b->capacity_bps > 0 && b->delay_bps > b->capacity_bps + 3 * sd) {
            b->capacity_bps = 0; /* far above what over-used before: forget it */
        }
        double inc;
        if (b->capacity_bps > 0) {
            /* Near the known capacity: additive, a packet per response
             * time or 2 % a second, whichever is more (a packet alone
             * would take half a minute to climb 15 % at 8 Mbit/s). */
            double response_s = 0.3;
            inc = (PROBE_PACKET * 8.0 / response_s) * dt_s;
            if (inc < 0.02 * b->delay_bps * dt_s) {
                inc = 0.02 * b->delay_bps * dt_s;
            }
        } else {
            inc = b->delay_bps * (pow(1.08, dt_s) - 1);
            if (inc < 1000 * dt_s) {
                inc = 1000 * dt_s;
            }
        }
        double raised = b->delay_bps + inc;
        if (acked > 0 && raised > 1.5 * acked + 10000) {
            raised = b->delay_bps > 1.5 * acked + 10000 ? b->delay_bps : 1.5 * acked + 10000;
        }
        b->delay_bps = raised;
    }
    b->delay_bps = clampd(b->delay_bps, (double)b->cfg.min_bps, (double)b->cfg.max_bps);
    /* The peak the recovery probes aim back at: up at once, down slowly. */
    double t = b->loss_bps < b->delay_bps ? b->loss_bps : b->delay_bps;
    double decay_s = (double)(now_us - b->peak_us) / 1e6;
    b->peak_us = now_us;
    b->peak_bps *= 1 - PEAK_DECAY_PER_S * clampd(decay_s, 0, 10);
    if (t > b->peak_bps) {
        b->peak_bps = t;
    }
}

/* The loss-based cap, once a loss interval is complete. Below 2 % loss it
 * grows 5 % an interval and, once it has caught up with the delay-based
 * estimate, stops limiting (max); above 10 % it falls to (1 - loss/2) of
 * the target; between, it holds the target. */
static void loss_update(dc_bwe *b, unsigned lost, unsigned total, int64_t now_us)
{
    b->loss_lost += lost;
    b->loss_total += total;
    if (now_us - b->loss_since_us < LOSS_INTERVAL_US || b->loss_total < LOSS_MIN_PACKETS) {
        return;
    }
    double p = (double)b->loss_lost / (double)b->loss_total;
    double target = b->loss_bps < b->delay_bps ? b->loss_bps : b->delay_bps;
    b->last_loss = p;
    if (p < 0.02) {
        b->loss_bps *= 1.05;
        if (b->loss_bps >= b->delay_bps) {
            b->loss_bps = (double)b->cfg.max_bps;
        }
    } else if (p > 0.10) {
        b->loss_bps = target * (1 - p / 2);
    } else {
        b->loss_bps = target;
    }
    b->loss_bps = clampd(b->loss_bps, (double)b->cfg.min_bps, (double)b->cfg.max_bps);
    b->loss_lost = b->loss_total = 0;
    b->loss_since_us = now_us;
}

void dc_bwe_on_feedback(dc_bwe *b, const dc_bwe_packet_result *r, size_t n, int64_t now_us)
{
    unsigned lost = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        sent_slot *s = find_sent(b, r[i].seq);
        if (!s) {
            continue;
        }
        total++;
        if (!r[i].received) {
            lost++;
            probe_feedback(b, s, false, 0, now_us);
            continue;
        }
        acked_add(b, r[i].arrival_us, s->size);
        group_packet(b, s->send_us, r[i].arrival_us, now_us);
        probe_feedback(b, s, true, r[i].arrival_us, now_us);
    }
    if (total == 0) {
        return;
    }
    rate_update(b, now_us);
    loss_update(b, lost, total, now_us);
}

uint64_t dc_bwe_target_bps(const dc_bwe *b)
{
    double t = b->loss_bps < b->delay_bps ? b->loss_bps : b->delay_bps;
    return (uint64_t)clampd(t, (double)b->cfg.min_bps, (double)b->cfg.max_bps);
}

void dc_bwe_get_state(const dc_bwe *b, dc_bwe_state *out)
{
    *out = (dc_bwe_state){
        .target_bps = dc_bwe_target_bps(b),
        .delay_bps = (uint64_t)b->delay_bps,
        .loss_bps = (uint64_t)b->loss_bps,
        .acked_bps = (uint64_t)acked_bps(b),
        .trend_ms = b->modified_trend,
        .threshold_ms = b->threshold_ms,
        .usage = b->usage,
        .loss = b->last_loss,
        .probes_sent = b->probes_sent,
        .last_probe_bps = b->last_probe_result,
    };
}
