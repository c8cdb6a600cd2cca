/* Fuzz target for core/rtcp and core/rtcp-fb: iterates a compound packet and
 * parses every packet type it knows, expands NACKs and walks transport-cc
 * feedback. Whatever parses is built again and must parse to the same fields
 * (abort() otherwise), so the fuzzer checks the builders too.
 * Seeds: tests/fuzz/corpus/rtcp/ (written by tests/fuzz/corpus/rtcp/gen-seeds.py). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rtcp-fb.h"
#include "core/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[DC_RTCP_MAX_PACKET_LEN];
static dc_rtcp_fb_twcc_entry entries[65536];
static int32_t deltas[65536];

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_reports(const dc_rtcp_report_block *a, const dc_rtcp_report_block *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        check(a[i].ssrc == b[i].ssrc && a[i].fraction_lost == b[i].fraction_lost &&
              a[i].cumulative_lost == b[i].cumulative_lost &&
              a[i].ext_highest_seq == b[i].ext_highest_seq && a[i].jitter == b[i].jitter &&
              a[i].lsr == b[i].lsr && a[i].dlsr == b[i].dlsr);
    }
}

static void fuzz_sr(const dc_rtcp_packet *p)
{
    dc_rtcp_sr a, b;
    if (dc_rtcp_sr_parse(p->data, p->len, &a) < 0)
        return;
    int n = dc_rtcp_sr_build(out, sizeof out, &a);
    check(n > 0 && dc_rtcp_sr_parse(out, (size_t)n, &b) == 0);
    check(a.ssrc == b.ssrc && a.ntp_time == b.ntp_time && a.rtp_time == b.rtp_time &&
          a.packet_count == b.packet_count && a.octet_count == b.octet_count &&
          a.report_count == b.report_count);
    check_reports(a.reports, b.reports, a.report_count);
}

static void fuzz_rr(const dc_rtcp_packet *p)
{
    dc_rtcp_rr a, b;
    if (dc_rtcp_rr_parse(p->data, p->len, &a) < 0)
        return;
    int n = dc_rtcp_rr_build(out, sizeof out, &a);
    check(n > 0 && dc_rtcp_rr_parse(out, (size_t)n, &b) == 0);
    check(a.ssrc == b.ssrc && a.report_count == b.report_count);
    check_reports(a.reports, b.reports, a.report_count);
}

static void fuzz_sdes(const dc_rtcp_packet *p)
{
    dc_rtcp_sdes a, b;
    if (dc_rtcp_sdes_parse(p->data, p->len, &a) < 0)
        return;
    int n = dc_rtcp_sdes_build(out, sizeof out, &a);
    check(n > 0 && dc_rtcp_sdes_parse(out, (size_t)n, &b) == 0);
    check(a.chunk_count == b.chunk_count);
    for (unsigned i = 0; i < a.chunk_count; i++) {
        const dc_rtcp_sdes_chunk *x = &a.chunks[i], *y = &b.chunks[i];
        check(x->ssrc == y->ssrc && (x->cname == NULL) == (y->cname == NULL) &&
              x->cname_len == y->cname_len);
        if (x->cname)
            check(memcmp(x->cname, y->cname, x->cname_len) == 0);
    }
}

static void fuzz_bye(const dc_rtcp_packet *p)
{
    dc_rtcp_bye a, b;
    if (dc_rtcp_bye_parse(p->data, p->len, &a) < 0)
        return;
    int n = dc_rtcp_bye_build(out, sizeof out, &a);
    check(n > 0 && dc_rtcp_bye_parse(out, (size_t)n, &b) == 0);
    check(a.ssrc_count == b.ssrc_count && (a.reason == NULL) == (b.reason == NULL) &&
          a.reason_len == b.reason_len);
    check(memcmp(a.ssrcs, b.ssrcs, 4 * (size_t)a.ssrc_count) == 0);
    if (a.reason)
        check(memcmp(a.reason, b.reason, a.reason_len) == 0);
}

static void fuzz_nack(const dc_rtcp_packet *p)
{
    dc_rtcp_fb_nack nack;
    if (dc_rtcp_fb_nack_parse(p->data, p->len, &nack) < 0)
        return;
    uint16_t seqs[1024];
    int n = dc_rtcp_fb_nack_expand(&nack, seqs, sizeof seqs / sizeof seqs[0]);
    check(n > 0 || n == -ENOSPC);
    /* Whenever the expansion can be rebuilt, it expands to itself. */
    if (n > 0) {
        int len = dc_rtcp_fb_nack_build(out, sizeof out, 1, 2, seqs, (size_t)n);
        if (len > 0) {
            dc_rtcp_fb_nack again;
            uint16_t seqs2[1024];
            check(dc_rtcp_fb_nack_parse(out, (size_t)len, &again) == 0);
            int m = dc_rtcp_fb_nack_expand(&again, seqs2, sizeof seqs2 / sizeof seqs2[0]);
            check(m > 0 && m <= n);
        }
    }
}

static void fuzz_twcc(const dc_rtcp_packet *p)
{
    dc_rtcp_fb_twcc tw;
    if (dc_rtcp_fb_twcc_parse(p->data, p->len, &tw) < 0)
        return;
    dc_rtcp_fb_twcc_iter it;
    dc_rtcp_fb_twcc_status st;
    dc_rtcp_fb_twcc_iter_init(&it, &tw);
    size_t n = 0;
    int r;
    while ((r = dc_rtcp_fb_twcc_iter_next(&it, &st)) == 1) {
        entries[n] = (dc_rtcp_fb_twcc_entry){
            .seq = st.seq, .received = st.received, .arrival_us = st.arrival_us};
        deltas[n] = st.delta_us;
        n++;
    }
    check(r == 0 && n == tw.status_count);
    /* Rebuilt, every status and every delta after the first is the same
     * (the first may move to a new reference time). */
    int len = dc_rtcp_fb_twcc_build(out, sizeof out, 1, 2, tw.fb_pkt_count, entries, n);
    check(len > 0);
    dc_rtcp_fb_twcc tw2;
    check(dc_rtcp_fb_twcc_parse(out, (size_t)len, &tw2) == 0);
    check(tw2.base_seq == tw.base_seq && tw2.status_count == tw.status_count);
    dc_rtcp_fb_twcc_iter_init(&it, &tw2);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        check(dc_rtcp_fb_twcc_iter_next(&it, &st) == 1);
        check(st.seq == entries[i].seq && st.received == entries[i].received);
        if (st.received && !first)
            check(st.delta_us == deltas[i]);
        first = first && !st.received;
    }
    check(dc_rtcp_fb_twcc_iter_next(&it, &st) == 0);
}

static void fuzz_psfb(const dc_rtcp_packet *p)
{
    dc_rtcp_fb fb;
    dc_rtcp_fb_fir fir;
    dc_rtcp_fb_remb remb;
    volatile uint32_t sink = 0;
    (void)dc_rtcp_fb_pli_parse(p->data, p->len, &fb);
    if (dc_rtcp_fb_fir_parse(p->data, p->len, &fir) == 0) {
        for (size_t i = 0; i < fir.entry_count; i++)
            sink += dc_rtcp_fb_fir_entry_at(&fir, i).ssrc;
    }
    if (dc_rtcp_fb_remb_parse(p->data, p->len, &remb) == 0) {
        for (size_t i = 0; i < remb.ssrc_count; i++)
            sink += dc_rtcp_fb_remb_ssrc_at(&remb, i);
        uint32_t ssrcs[255];
        for (size_t i = 0; i < remb.ssrc_count; i++)
            ssrcs[i] = dc_rtcp_fb_remb_ssrc_at(&remb, i);
        int len = dc_rtcp_fb_remb_build(out, sizeof out, remb.fb.sender_ssrc, remb.bitrate_bps,
                                        ssrcs, remb.ssrc_count);
        dc_rtcp_fb_remb again;
        check(len > 0 && dc_rtcp_fb_remb_parse(out, (size_t)len, &again) == 0);
        check(again.ssrc_count == remb.ssrc_count && again.bitrate_bps <= remb.bitrate_bps);
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dc_rtcp_iter it;
    dc_rtcp_packet pkt;
    dc_rtcp_iter_init(&it, data, size);
    while (dc_rtcp_iter_next(&it, &pkt) == 1) {
        switch (pkt.pt) {
        case DC_RTCP_PT_SR:
            fuzz_sr(&pkt);
            break;
        case DC_RTCP_PT_RR:
            fuzz_rr(&pkt);
            break;
        case DC_RTCP_PT_SDES:
            fuzz_sdes(&pkt);
            break;
        case DC_RTCP_PT_BYE:
            fuzz_bye(&pkt);
            break;
        case DC_RTCP_PT_RTPFB:
            fuzz_nack(&pkt);
            fuzz_twcc(&pkt);
            break;
        case DC_RTCP_PT_PSFB:
            fuzz_psfb(&pkt);
            break;
        default:
            break;
        }
    }
    return 0;
}
