/* Unit tests for client/jitter: VP8 frame assembly from real encoded frames,
 * NACK pacing, retransmission, give-up after the bounded wait, keyframe
 * skipping, reordering, duplicates, and sequence wrap (every case from start
 * values 0, 32767 and 65535). Hand clock, no sleeping. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "client/jitter.h"
#include "client/video-dec.h"
#include "vp8-stream.h"

#define MS 1000
#define FRAME_US (1000000 / VS_FPS)

static const uint16_t starts[] = {0, 32767, 65535};

typedef struct {
    vs_stream vs;
    dc_jitter *jb;
    dc_vdec *dec;
    int64_t now;
    uint8_t out[1 << 20];
} fx;

static void fx_init(fx *f, uint16_t seq0)
{
    vs_init(&f->vs, seq0, "can-loc", 5, 300);
    f->jb = dc_jitter_new(NULL);
    g_assert_nonnull(f->jb);
    GError *error = NULL;
    f->dec = dc_vdec_new(1, &error);
    g_assert_no_error(error);
    f->now = 1000 * MS;
}

static void fx_clear(fx *f)
{
    vs_clear(&f->vs);
    dc_jitter_free(f->jb);
    dc_vdec_free(f->dec);
}

static int push(fx *f, const vs_packet *k)
{
    return dc_jitter_push(f->jb, k->seq, k->ts, k->marker, k->payload, k->payload_len, f->now);
}

/* Pops one frame; asserts it is exactly the last encoded frame when
 * expect_last, and that it decodes (or not). */
static void pop_expect_frame(fx *f, bool after_loss)
{
    dc_jitter_frame fr;
    g_assert_cmpint(dc_jitter_pop(f->jb, f->now, f->out, sizeof f->out, &fr), ==, 1);
    g_assert_cmpint(fr.after_loss, ==, after_loss);
    g_assert_cmpuint(fr.len, ==, f->vs.frame_len);
    g_assert_cmpmem(f->out, fr.len, f->vs.frame, f->vs.frame_len);
    g_assert_cmpint(fr.keyframe, ==, f->vs.keyframe);
    dc_i420 pic;
    if (after_loss)
        dc_vdec_mark_loss(f->dec);
    int rc = dc_vdec_decode(f->dec, f->out, fr.len, &pic);
    g_assert_cmpint(rc, ==, 0);
}

static void pop_none(fx *f)
{
    dc_jitter_frame fr;
    g_assert_cmpint(dc_jitter_pop(f->jb, f->now, f->out, sizeof f->out, &fr), ==, 0);
}

/* Frames whose packets arrive in order complete at their last packet. */
static void test_in_order(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    size_t multi = 0;
    for (int i = 0; i < 30; i++) {
        vs_next(&f.vs, 0, false);
        if (f.vs.n_pkts > 1)
            multi++;
        for (size_t k = 0; k < f.vs.n_pkts; k++) {
            g_assert_cmpint(push(&f, &f.vs.pkts[k]), ==, 0);
            if (k + 1 < f.vs.n_pkts)
                pop_none(&f);
        }
        pop_expect_frame(&f, false);
        pop_none(&f);
        f.now += FRAME_US;
    }
    g_assert_cmpuint(multi, >, 0); /* at least the keyframe spans packets */
    dc_jitter_stats st;
    dc_jitter_get_stats(f.jb, &st);
    g_assert_cmpuint(st.frames, ==, 30);
    g_assert_cmpuint(st.nacked, ==, 0);
    g_assert_cmpuint(st.lost, ==, 0);
    uint16_t seqs[8];
    g_assert_cmpuint(dc_jitter_poll_nacks(f.jb, f.now, seqs, 8), ==, 0);
    g_assert_cmpint(dc_jitter_next_timeout(f.jb), ==, DC_JITTER_NO_TIMEOUT);
    fx_clear(&f);
}

/* A lost packet is NACKed after the delay and the frame (and those held
 * behind it) complete when the retransmission arrives. */
static void test_nack_then_retransmit(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    vs_next(&f.vs, 0, false); /* keyframe: several packets */
    g_assert_cmpuint(f.vs.n_pkts, >=, 3);
    vs_packet lost = f.vs.pkts[1];
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        if (k != 1)
            g_assert_cmpint(push(&f, &f.vs.pkts[k]), ==, 0);
    pop_none(&f);
    uint16_t seqs[8];
    g_assert_cmpuint(dc_jitter_poll_nacks(f.jb, f.now, seqs, 8), ==, 0); /* reorder grace */
    g_assert_cmpint(dc_jitter_next_timeout(f.jb), ==, f.now + 5 * MS);
    f.now += 5 * MS;
    g_assert_cmpuint(dc_jitter_poll_nacks(f.jb, f.now, seqs, 8), ==, 1);
    g_assert_cmpuint(seqs[0], ==, lost.seq);
    g_assert_cmpuint(dc_jitter_poll_nacks(f.jb, f.now, seqs, 8), ==, 0); /* paced */
    f.now += 20 * MS;
    g_assert_cmpint(push(&f, &lost), ==, 0);
    pop_expect_frame(&f, false);
    pop_none(&f);
    /* The next frames continue normally. */
    for (int i = 0; i < 3; i++) {
        vs_next(&f.vs, 0, false);
        for (size_t k = 0; k < f.vs.n_pkts; k++)
            push(&f, &f.vs.pkts[k]);
        pop_expect_frame(&f, false);
    }
    dc_jitter_stats st;
    dc_jitter_get_stats(f.jb, &st);
    g_assert_cmpuint(st.recovered, ==, 1);
    g_assert_cmpuint(st.nacked, ==, 1);
    g_assert_cmpuint(st.lost, ==, 0);
    g_assert_cmpint(push(&f, &lost), ==, -EALREADY); /* a late duplicate */
    fx_clear(&f);
}

/* A packet that never comes is NACKed max_nacks times, then its frame is
 * given up at max_wait; the next frame is flagged after_loss, the decoder
 * refuses it, and decoding resumes at the next keyframe. */
static void test_unrecoverable(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    vs_next(&f.vs, 0, false);
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    pop_expect_frame(&f, false);
    f.now += FRAME_US;
    vs_next(&f.vs, 0, false); /* delta frame: lose its first packet */
    size_t lost_n = f.vs.n_pkts;
    int64_t t0 = f.now;
    /* The next frame arrives whole: it is held behind the hole. */
    vs_next(&f.vs, 0, false);
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    pop_none(&f);
    uint16_t seqs[8];
    unsigned nacks = 0;
    while (f.now < t0 + 150 * MS) {
        int64_t t = dc_jitter_next_timeout(f.jb);
        g_assert_cmpint(t, >, f.now);
        f.now = t;
        nacks += (unsigned)dc_jitter_poll_nacks(f.jb, f.now, seqs, 8);
        if (f.now < t0 + 150 * MS)
            pop_none(&f);
    }
    g_assert_cmpuint(nacks, ==, 3 * lost_n);
    dc_jitter_frame fr;
    g_assert_cmpint(dc_jitter_pop(f.jb, f.now, f.out, sizeof f.out, &fr), ==, 1);
    g_assert_true(fr.after_loss);
    g_assert_false(fr.keyframe);
    dc_i420 pic;
    dc_vdec_mark_loss(f.dec);
    g_assert_cmpint(dc_vdec_decode(f.dec, f.out, fr.len, &pic), ==, -EAGAIN);
    dc_jitter_stats st;
    dc_jitter_get_stats(f.jb, &st);
    g_assert_cmpuint(st.lost, ==, lost_n);
    g_assert_cmpuint(st.frames_skipped, ==, 1);
    /* PLI answered: the next keyframe decodes. */
    f.now += FRAME_US;
    vs_next(&f.vs, 0, true);
    g_assert_true(f.vs.keyframe);
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    pop_expect_frame(&f, false);
    fx_clear(&f);
}

/* A hole in a delta frame is not waited for once a complete keyframe
 * follows it. */
static void test_keyframe_skips_hole(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    vs_next(&f.vs, 0, false);
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    pop_expect_frame(&f, false);
    vs_next(&f.vs, 0, false); /* lost entirely */
    vs_next(&f.vs, 0, true);
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    pop_expect_frame(&f, true); /* at once, no wait */
    fx_clear(&f);
}

/* Packets reordered within and across frames: every frame completes, in
 * order, without NACKs when the late packet arrives within the grace. */
static void test_reorder(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    vs_next(&f.vs, 0, false);
    g_assert_cmpuint(f.vs.n_pkts, >=, 3);
    /* Within a frame: 2, 0, 1, 3... */
    g_assert_cmpint(push(&f, &f.vs.pkts[2]), ==, 0);
    pop_none(&f); /* not taken for an orphan: the start may still come */
    g_assert_cmpint(push(&f, &f.vs.pkts[0]), ==, 0);
    pop_none(&f);
    g_assert_cmpint(push(&f, &f.vs.pkts[1]), ==, 0);
    for (size_t k = 3; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    pop_expect_frame(&f, false);
    /* Across frames: frame B's packets before frame A's last one. */
    vs_next(&f.vs, 0, true);
    vs_packet a[VS_MAX_PKTS];
    size_t na = f.vs.n_pkts;
    memcpy(a, f.vs.pkts, sizeof a);
    uint8_t a_frame[65536];
    size_t a_len = f.vs.frame_len;
    memcpy(a_frame, f.vs.frame, a_len);
    for (size_t k = 0; k + 1 < na; k++)
        push(&f, &a[k]);
    vs_next(&f.vs, 0, false);
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    f.now += 2 * MS;
    push(&f, &a[na - 1]);
    dc_jitter_frame fr;
    g_assert_cmpint(dc_jitter_pop(f.jb, f.now, f.out, sizeof f.out, &fr), ==, 1);
    g_assert_cmpmem(f.out, fr.len, a_frame, a_len);
    g_assert_false(fr.after_loss);
    pop_expect_frame(&f, false);
    uint16_t seqs[8];
    g_assert_cmpuint(dc_jitter_poll_nacks(f.jb, f.now + 100 * MS, seqs, 8), ==, 0);
    dc_jitter_stats st;
    dc_jitter_get_stats(f.jb, &st);
    g_assert_cmpuint(st.nacked, ==, 0);
    g_assert_cmpuint(st.frames, ==, 3);
    fx_clear(&f);
}

/* Duplicates are refused; a long run across the wrap keeps every frame. */
static void test_duplicates_and_wrap(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    for (int i = 0; i < 60; i++) {
        vs_next(&f.vs, 0, i % 20 == 0);
        for (size_t k = 0; k < f.vs.n_pkts; k++) {
            g_assert_cmpint(push(&f, &f.vs.pkts[k]), ==, 0);
            if (k == 0 && f.vs.n_pkts > 1)
                g_assert_cmpint(push(&f, &f.vs.pkts[k]), ==, -EALREADY);
        }
        pop_expect_frame(&f, false);
        f.now += FRAME_US;
    }
    dc_jitter_stats st;
    dc_jitter_get_stats(f.jb, &st);
    g_assert_cmpuint(st.frames, ==, 60);
    g_assert_cmpuint(st.lost, ==, 0);
    fx_clear(&f);
}

/* A jump of more than half the buffer restarts it at the new packet. */
static void test_jump_resets(gconstpointer data)
{
    fx f;
    fx_init(&f, *(const uint16_t *)data);
    vs_next(&f.vs, 0, false);
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    pop_expect_frame(&f, false);
    f.vs.seq += 1000;
    vs_next(&f.vs, 0, true);
    for (size_t k = 0; k < f.vs.n_pkts; k++)
        push(&f, &f.vs.pkts[k]);
    pop_expect_frame(&f, true);
    dc_jitter_stats st;
    dc_jitter_get_stats(f.jb, &st);
    g_assert_cmpuint(st.resets, ==, 1);
    fx_clear(&f);
}

static void add(const char *name, GTestDataFunc fn)
{
    for (size_t i = 0; i < G_N_ELEMENTS(starts); i++) {
        char *path = g_strdup_printf("/jitter/%s/start-%u", name, starts[i]);
        g_test_add_data_func(path, &starts[i], fn);
        g_free(path);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add("in-order", test_in_order);
    add("nack-then-retransmit", test_nack_then_retransmit);
    add("unrecoverable", test_unrecoverable);
    add("keyframe-skips-hole", test_keyframe_skips_hole);
    add("reorder", test_reorder);
    add("duplicates-and-wrap", test_duplicates_and_wrap);
    add("jump-resets", test_jump_resets);
    return g_test_run();
}
