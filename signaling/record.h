/* signaling/record: the durable record of the meetings, in SQLite.
 *
 * One database file ([record] path) holds every meeting: its row (start,
 * open, end, and the chair's live state so that a restarted diemcau-signal
 * continues it), per site its chair state and whether the record has it
 * present, the timeline of events (joins, leaves, chair commands, the floor,
 * link-quality incidents) and quality samples. The schema is documented in
 * docs/protocol.md, "The meeting record".
 *
 * Durability: WAL journal, synchronous=FULL; the caller groups one event
 * and the state it changes in dc_record_begin()/dc_record_commit(), and
 * acknowledges only after the commit returned true. Times are wall clock
 * microseconds since the Unix epoch. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "signaling/chair.h"

typedef struct dc_record dc_record;

/* Opens (creating if needed) the database at @path. NULL with @error set. */
dc_record *dc_record_open(const char *path, GError **error);
void dc_record_close(dc_record *rec);

/* The id of the newest meeting of config id @meeting that has not ended,
 * 0 when there is none. */
int64_t dc_record_find_open(dc_record *rec, const char *meeting);
/* Inserts a new meeting; returns its id, 0 on failure. Inside a transaction. */
int64_t dc_record_new_meeting(dc_record *rec, const char *meeting, const char *title,
                              int64_t now_us);

/* The configured sites of meeting @mid (id, name, role, order), for the
 * report. Inside a transaction. */
bool dc_record_sites(dc_record *rec, int64_t mid, const dc_config *cfg);

bool dc_record_begin(dc_record *rec);
bool dc_record_commit(dc_record *rec); /* on failure the transaction is rolled back */
void dc_record_rollback(dc_record *rec);

/* One timeline event. @site (the subject), @actor (who sent it) and
 * @detail (a JSON object text) may be NULL. */
bool dc_record_event(dc_record *rec, int64_t mid, int64_t t_us, const char *kind, const char *site,
                     const char *actor, const char *detail);
/* The meeting row's live state; ended_us 0 = not ended; opened_us 0 = keep. */
bool dc_record_save_meeting(dc_record *rec, int64_t mid, const dc_chair *c, const dc_config *cfg,
                            int64_t opened_us, int64_t ended_us);
/* One site's chair state and record presence. */
bool dc_record_save_site(dc_record *rec, int64_t mid, const char *site, bool present,
                         const dc_chair_site *s);
/* One quality sample (score 0..100, level name). */
bool dc_record_quality(dc_record *rec, int64_t mid, int64_t t_us, const char *site, double score,
                       const char *level);

/* Restores meeting @mid into @c; present[i] (cfg order) gets the record's
 * presence and incident[i] whether an incident is open for site i. */
bool dc_record_load(dc_record *rec, int64_t mid, const dc_config *cfg, dc_chair *c, bool *present,
                    bool *incident);
