/* signaling/auth: credential checks off the main loop, with a cache of the
 * secrets that verified and the per-address throttle. See auth.h. */
#define G_LOG_DOMAIN "dc-auth"

#include "signaling/auth.h"

#include <gio/gio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

/* Hashes at once (16 MiB each with the default parameters): the machine's other work (the bridge,
 * sites on the same host) keeps a core even while a burst of sites joins. */
#define WORKERS 2
/* Checks under way at most; more are refused (DC_AUTH_BUSY). */
#define MAX_JOBS 256
#define MAC_LEN 32

struct dc_auth_job {
    dc_auth *auth;
    const dc_credential *stored; /* borrowed, immutable */
    char *given;                 /* wiped on free */
    char *who;
    char *key;            /* the throttle's key, NULL when not throttled */
    dc_auth_done_fn done; /* NULL once cancelled */
    void *user;
    GSource *timer; /* waiting on the throttle */
    bool ok;        /* the worker's answer */
};

typedef struct {
    GSource source;
    dc_auth *auth;
} done_source;

struct dc_auth {
    GMainContext *ctx;
    GThreadPool *pool;
    GAsyncQueue *done; /* jobs back from the workers */
    GSource *wake;     /* dispatches them on ctx */
    gint stopping;     /* atomic: workers skip the hash */
    bool cache_ok;     /* the MAC key could be drawn */
    uint8_t mac_key[32];
    GHashTable *cache; /* const dc_credential * → uint8_t[MAC_LEN] */
    GHashTable *jobs;  /* every live dc_auth_job * */
    dc_throttle *throttle;
    dc_throttle_params limits; /* the throttle's, for the log */
};

static void job_free(dc_auth_job *job)
{
    if (job->timer) {
        g_source_destroy(job->timer);
        g_source_unref(job->timer);
    }
    OPENSSL_cleanse(job->given, strlen(job->given));
    g_free(job->given);
    g_free(job->who);
    g_free(job->key);
    g_free(job);
}

static bool mac_of(const dc_auth *a, const char *secret, uint8_t out[MAC_LEN])
{
    unsigned int n = MAC_LEN;
    return a->cache_ok &&
           HMAC(EVP_sha256(), a->mac_key, sizeof a->mac_key, (const unsigned char *)secret,
                strlen(secret), out, &n) &&
           n == MAC_LEN;
}

/* ---- back on the main context ---- */

static void finish(dc_auth *a, dc_auth_job *job)
{
    g_hash_table_remove(a->jobs, job);
    uint8_t mac[MAC_LEN];
    if (job->ok) {
        if (mac_of(a, job->given, mac)) {
            g_hash_table_replace(a->cache, (gpointer)job->stored, g_memdup2(mac, sizeof mac));
        }
        OPENSSL_cleanse(mac, sizeof mac);
    } else if (job->key) {
        unsigned failures = 0;
        int64_t span = 0;
        if (dc_throttle_failed(a->throttle, job->key, g_get_monotonic_time(), &failures, &span)) {
            const dc_throttle_params *p = &a->limits;
            g_warning("%u wrong credentials from %s in %.0f s (the last for %s): its next attempts "
                      "are checked only after %" G_GINT64_FORMAT " s, doubling up to "
                      "%" G_GINT64_FORMAT " s",
                      failures, job->key, (double)span / G_USEC_PER_SEC, job->who,
                      p->first_delay_us / G_USEC_PER_SEC, p->max_delay_us / G_USEC_PER_SEC);
        }
    }
    if (job->done) {
        job->done(job->user, job->ok);
    }
    job_free(job);
}

static gboolean done_ready(GSource *source, gint *timeout)
{
    *timeout = -1;
    return g_async_queue_length(((done_source *)source)->auth->done) > 0;
}

static gboolean done_check(GSource *source)
{
    return g_async_queue_length(((done_source *)source)->auth->done) > 0;
}

static gboolean done_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    dc_auth *a = ((done_source *)source)->auth;
    dc_auth_job *job;
    while ((job = g_async_queue_try_pop(a->done))) {
        finish(a, job);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs done_funcs = {
    .prepare = done_ready,
    .check = done_check,
    .dispatch = done_dispatch,
};

/* ---- on a worker ---- */

static void work(gpointer data, gpointer user)
{
    dc_auth_job *job = data;
    dc_auth *a = user;
    if (!g_atomic_int_get(&a->stopping)) {
        job->ok = dc_credential_verify(job->stored, job->given);
        /* The pool's threads are GLib's and outlive this job (and maybe the
         * process's last free): release OpenSSL's per-thread state now. */
        OPENSSL_thread_stop();
    }
    g_async_queue_push(a->done, job);
    g_main_context_wakeup(a->ctx);
}

static void start(dc_auth *a, dc_auth_job *job)
{
    g_thread_pool_push(a->pool, job, NULL);
}

static gboolean waited_cb(gpointer data)
{
    dc_auth_job *job = data;
    g_clear_pointer(&job->timer, g_source_unref);
    start(job->auth, job);
    return G_SOURCE_REMOVE;
}

/* ---- public ---- */

dc_auth *dc_auth_new(const dc_throttle_params *throttle)
{
    dc_auth *a = g_new0(dc_auth, 1);
    a->ctx = g_main_context_ref_thread_default();
    a->pool = g_thread_pool_new(work, a, WORKERS, FALSE, NULL);
    a->done = g_async_queue_new();
    a->wake = g_source_new(&done_funcs, sizeof(done_source));
    ((done_source *)a->wake)->auth = a;
    g_source_set_name(a->wake, "dc-auth results");
    g_source_attach(a->wake, a->ctx);
    a->cache_ok = RAND_bytes(a->mac_key, sizeof a->mac_key) == 1;
    if (!a->cache_ok) {
        g_warning("no random key (OpenSSL RAND_bytes failed): every check runs the full hash");
    }
    a->cache = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    a->jobs = g_hash_table_new(g_direct_hash, g_direct_equal);
    a->limits = throttle ? *throttle : dc_throttle_defaults();
    a->throttle = dc_throttle_new(&a->limits);
    return a;
}

void dc_auth_free(dc_auth *a)
{
    if (!a) {
        return;
    }
    g_atomic_int_set(&a->stopping, 1);
    g_thread_pool_free(a->pool, FALSE, TRUE); /* queued jobs skip the hash */
    while (g_async_queue_try_pop(a->done)) {
        /* every job is also in a->jobs, freed below */
    }
    GHashTableIter it;
    gpointer job;
    g_hash_table_iter_init(&it, a->jobs);
    while (g_hash_table_iter_next(&it, &job, NULL)) {
        job_free(job);
    }
    g_hash_table_destroy(a->jobs);
    g_source_destroy(a->wake);
    g_source_unref(a->wake);
    g_async_queue_unref(a->done);
    GHashTableIter ci;
    gpointer mac;
    g_hash_table_iter_init(&ci, a->cache);
    while (g_hash_table_iter_next(&ci, NULL, &mac)) {
        OPENSSL_cleanse(mac, MAC_LEN);
    }
    g_hash_table_destroy(a->cache);
    OPENSSL_cleanse(a->mac_key, sizeof a->mac_key);
    dc_throttle_free(a->throttle);
    g_main_context_unref(a->ctx);
    g_free(a);
}

bool dc_auth_known(const dc_auth *a, const dc_credential *stored, const char *given)
{
    if (!stored || !given || !*given) {
        return false;
    }
    uint8_t mac[MAC_LEN];
    const uint8_t *known = g_hash_table_lookup(a->cache, stored);
    bool hit = known && mac_of(a, given, mac) && CRYPTO_memcmp(known, mac, MAC_LEN) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    return hit;
}

dc_auth_result dc_auth_check(dc_auth *a, const dc_credential *stored, const char *given,
                             const char *who, const char *address, dc_auth_done_fn done, void *user,
                             dc_auth_job **job_out)
{
    if (job_out) {
        *job_out = NULL;
    }
    if (!stored || !given || !*given) {
        return DC_AUTH_WRONG;
    }
    if (dc_auth_known(a, stored, given)) {
        return DC_AUTH_OK;
    }
    if (g_hash_table_size(a->jobs) >= MAX_JOBS) {
        g_warning("%u credential checks under way: refusing one for %s from %s",
                  g_hash_table_size(a->jobs), who, address ? address : "?");
        return DC_AUTH_BUSY;
    }
    dc_auth_job *job = g_new0(dc_auth_job, 1);
    job->auth = a;
    job->stored = stored;
    job->given = g_strdup(given);
    job->who = g_strdup(who);
    job->key = address ? dc_auth_address_key(address) : NULL;
    job->done = done;
    job->user = user;
    g_hash_table_add(a->jobs, job);
    int64_t wait_us =
        job->key ? dc_throttle_delay(a->throttle, job->key, g_get_monotonic_time()) : 0;
    if (wait_us > 0) {
        g_debug("%s: an attempt from %s waits %.1f s", who, job->key,
                (double)wait_us / G_USEC_PER_SEC);
        job->timer = g_timeout_source_new((guint)(wait_us / 1000));
        g_source_set_callback(job->timer, waited_cb, job, NULL);
        g_source_attach(job->timer, a->ctx);
    } else {
        start(a, job);
    }
    if (job_out) {
        *job_out = job;
    }
    return DC_AUTH_PENDING;
}

void dc_auth_cancel(dc_auth *a, dc_auth_job *job)
{
    if (!job) {
        return;
    }
    job->done = NULL;
    if (job->timer) {
        /* Still waiting: never verified, never counted. */
        g_hash_table_remove(a->jobs, job);
        job_free(job);
    }
    /* Otherwise a worker has it: finish() counts it (a peer cannot dodge the
     * throttle by hanging up) and frees it. */
}

unsigned dc_auth_pending(const dc_auth *a)
{
    return g_hash_table_size(a->jobs);
}

char *dc_auth_address_key(const char *address)
{
    g_autoptr(GInetAddress) ip = address ? g_inet_address_new_from_string(address) : NULL;
    if (!ip) {
        return g_strdup(address ? address : "?");
    }
    if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV4) {
        return g_inet_address_to_string(ip);
    }
    const guint8 *b = g_inet_address_to_bytes(ip);
    static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, sizeof mapped) == 0) {
        return g_strdup_printf("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    }
    guint8 prefix[16] = {0};
    memcpy(prefix, b, 8);
    g_autoptr(GInetAddress) net = g_inet_address_new_from_bytes(prefix, G_SOCKET_FAMILY_IPV6);
    g_autofree char *text = g_inet_address_to_string(net);
    return g_strdup_printf("%s/64", text);
}
