/* Unit tests for signaling/roster: admission and presence without sockets. */
#include <glib.h>
#include <string.h>

#include "signaling/roster.h"

#define CRED_TINH "tinh-secret-0001"
#define CRED_CAN_LOC "canloc-secret-02"
#define CRED_DUC_THO "ductho-secret-03"

static const char config_text[] = "[meeting]\nid = m\n[limits]\nmax_sites = %u\n"
                                  "[site.tinh]\nname = Công an tỉnh Hà Tĩnh\nrole = chair\n"
                                  "credential = " CRED_TINH "\n"
                                  "[site.can-loc]\nname = Huyện Can Lộc\nrole = district\n"
                                  "credential = " CRED_CAN_LOC "\n"
                                  "[site.duc-tho]\nname = Huyện Đức Thọ\nrole = district\n"
                                  "credential = " CRED_DUC_THO "\n";

typedef struct {
    dc_config *cfg;
    dc_roster *roster;
} fixture;

static const dc_config *current_cfg;

/* A join as the service makes it: the credential checked first (signaling/
 * auth, off the main loop in the service), the roster told the answer. */
static dc_join_result join(dc_roster *roster, const char *site, const char *cred, const char *role,
                           const char *session, char **replaced)
{
    const dc_config_site *cs = dc_config_find_site(current_cfg, site);
    bool ok = cs && dc_credential_verify(cs->credential, cred);
    return dc_roster_join(roster, site, ok, role, session, replaced);
}

static void setup_n(fixture *f, unsigned max_sites)
{
    g_autofree char *text = g_strdup_printf(config_text, max_sites);
    g_autoptr(GError) error = NULL;
    f->cfg = dc_config_load_data(text, strlen(text), "roster.ini", "/tmp", &error);
    g_assert_no_error(error);
    f->roster = dc_roster_new(f->cfg);
    current_cfg = f->cfg;
}

static void setup(fixture *f, gconstpointer data)
{
    setup_n(f, 14);
}

static void teardown(fixture *f, gconstpointer data)
{
    dc_roster_free(f->roster);
    dc_config_free(f->cfg);
}

static dc_site_state state_of(fixture *f, const char *site)
{
    for (size_t i = 0; i < dc_roster_size(f->roster); i++) {
        dc_roster_entry e = dc_roster_entry_at(f->roster, i);
        if (strcmp(e.site->id, site) == 0) {
            return e.state;
        }
    }
    g_assert_not_reached();
}

static void test_join_ok(fixture *f, gconstpointer data)
{
    char *old = (char *)"sentinel";
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s1", &old), ==, DC_JOIN_OK);
    g_assert_null(old);
    g_assert_cmpstr(dc_roster_session(f->roster, "can-loc"), ==, "s1");
    g_assert_cmpint(state_of(f, "can-loc"), ==, DC_SITE_CONNECTING);
    g_assert_cmpint(state_of(f, "tinh"), ==, DC_SITE_ABSENT);
    g_assert_cmpuint(dc_roster_present(f->roster), ==, 1);
    /* Explicit roles that match are fine too. */
    g_assert_cmpint(join(f->roster, "tinh", CRED_TINH, "chair", "s2", NULL), ==, DC_JOIN_OK);
    g_assert_cmpint(join(f->roster, "duc-tho", CRED_DUC_THO, "district", "s3", NULL), ==,
                    DC_JOIN_OK);
    g_assert_cmpuint(dc_roster_present(f->roster), ==, 3);
}

static void test_refusals_change_nothing(fixture *f, gconstpointer data)
{
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s1", NULL), ==, DC_JOIN_OK);
    static const struct {
        const char *site, *cred, *role;
        dc_join_result want;
        const char *code, *field;
    } cases[] = {
        {"can-loc", "wrong-credential", NULL, DC_JOIN_BAD_CREDENTIAL, "bad-credential",
         "credential"},
        {"can-loc", CRED_DUC_THO, NULL, DC_JOIN_BAD_CREDENTIAL, "bad-credential", "credential"},
        {"can-loc", "", NULL, DC_JOIN_BAD_CREDENTIAL, "bad-credential", "credential"},
        {"can-loc", NULL, NULL, DC_JOIN_BAD_CREDENTIAL, "bad-credential", "credential"},
        {"nowhere", CRED_CAN_LOC, NULL, DC_JOIN_UNKNOWN_SITE, "unknown-site", "site"},
        {"Can-Loc", CRED_CAN_LOC, NULL, DC_JOIN_UNKNOWN_SITE, "unknown-site", "site"},
        {"can-loc", CRED_CAN_LOC, "chair", DC_JOIN_ROLE_NOT_ALLOWED, "role-not-allowed", "role"},
        {"duc-tho", CRED_DUC_THO, "chair", DC_JOIN_ROLE_NOT_ALLOWED, "role-not-allowed", "role"},
        {"tinh", CRED_TINH, "district", DC_JOIN_ROLE_NOT_ALLOWED, "role-not-allowed", "role"},
        /* A wrong credential is reported before a wrong role. */
        {"duc-tho", "nope-nope-nope", "chair", DC_JOIN_BAD_CREDENTIAL, "bad-credential",
         "credential"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *old = (char *)"sentinel";
        dc_join_result r = join(f->roster, cases[i].site, cases[i].cred, cases[i].role, "sX", &old);
        g_assert_cmpint(r, ==, cases[i].want);
        g_assert_cmpstr(dc_join_result_code(r), ==, cases[i].code);
        g_assert_cmpstr(dc_join_result_field(r), ==, cases[i].field);
        g_assert_null(old);
        /* Nothing changed. */
        g_assert_cmpuint(dc_roster_present(f->roster), ==, 1);
        g_assert_cmpstr(dc_roster_session(f->roster, "can-loc"), ==, "s1");
        g_assert_null(dc_roster_session(f->roster, "duc-tho"));
        g_assert_null(dc_roster_session(f->roster, "tinh"));
    }
}

static void test_reconnect_replaces(fixture *f, gconstpointer data)
{
    char *old = NULL;
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s1", &old), ==, DC_JOIN_OK);
    g_assert_true(dc_roster_set_state(f->roster, "can-loc", "s1", DC_SITE_CONNECTED));
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s2", &old), ==, DC_JOIN_OK);
    g_assert_cmpstr(old, ==, "s1");
    g_free(old);
    /* One entry, the new session, media renegotiating. */
    g_assert_cmpuint(dc_roster_present(f->roster), ==, 1);
    g_assert_cmpstr(dc_roster_session(f->roster, "can-loc"), ==, "s2");
    g_assert_cmpint(state_of(f, "can-loc"), ==, DC_SITE_CONNECTING);
    /* The old session can no longer leave or set state (no ghost effects). */
    g_assert_false(dc_roster_leave(f->roster, "can-loc", "s1"));
    g_assert_false(dc_roster_set_state(f->roster, "can-loc", "s1", DC_SITE_CONNECTED));
    g_assert_cmpstr(dc_roster_session(f->roster, "can-loc"), ==, "s2");
    size_t entries = 0;
    for (size_t i = 0; i < dc_roster_size(f->roster); i++) {
        dc_roster_entry e = dc_roster_entry_at(f->roster, i);
        entries += strcmp(e.site->id, "can-loc") == 0;
    }
    g_assert_cmpuint(entries, ==, 1);
}

static void test_leave(fixture *f, gconstpointer data)
{
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s1", NULL), ==, DC_JOIN_OK);
    g_assert_false(dc_roster_leave(f->roster, "duc-tho", "s1"));
    g_assert_false(dc_roster_leave(f->roster, "nowhere", "s1"));
    g_assert_true(dc_roster_leave(f->roster, "can-loc", "s1"));
    g_assert_false(dc_roster_leave(f->roster, "can-loc", "s1"));
    g_assert_null(dc_roster_session(f->roster, "can-loc"));
    g_assert_cmpint(state_of(f, "can-loc"), ==, DC_SITE_ABSENT);
    g_assert_cmpuint(dc_roster_present(f->roster), ==, 0);
    /* And may come back. */
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s2", NULL), ==, DC_JOIN_OK);
}

static void test_states(fixture *f, gconstpointer data)
{
    g_assert_false(dc_roster_set_state(f->roster, "can-loc", "s1", DC_SITE_CONNECTED));
    join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s1", NULL);
    join(f->roster, "tinh", CRED_TINH, NULL, "s2", NULL);
    g_assert_true(dc_roster_set_state(f->roster, "can-loc", "s1", DC_SITE_CONNECTED));
    g_assert_false(dc_roster_set_state(f->roster, "can-loc", "s1", DC_SITE_CONNECTED));
    g_assert_false(dc_roster_set_state(f->roster, "can-loc", "s1", DC_SITE_ABSENT));
    g_assert_cmpstr(dc_site_state_name(state_of(f, "can-loc")), ==, "connected");
    g_assert_true(dc_roster_reset_states(f->roster));
    g_assert_false(dc_roster_reset_states(f->roster));
    g_assert_cmpint(state_of(f, "can-loc"), ==, DC_SITE_CONNECTING);
    g_assert_cmpint(state_of(f, "tinh"), ==, DC_SITE_CONNECTING);
    g_assert_cmpint(state_of(f, "duc-tho"), ==, DC_SITE_ABSENT);
}

/* A join with the site's current session (a session resumed on a new
 * connection) keeps its media state; a wrong credential still refuses. */
static void test_resume_keeps_state(fixture *f, gconstpointer data)
{
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s1", NULL), ==, DC_JOIN_OK);
    g_assert_true(dc_roster_set_state(f->roster, "can-loc", "s1", DC_SITE_CONNECTED));
    g_assert_cmpint(join(f->roster, "can-loc", "wrong-credential", NULL, "s1", NULL), ==,
                    DC_JOIN_BAD_CREDENTIAL);
    char *old = NULL;
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s1", &old), ==, DC_JOIN_OK);
    g_assert_cmpstr(old, ==, "s1");
    g_free(old);
    g_assert_cmpstr(dc_roster_session(f->roster, "can-loc"), ==, "s1");
    g_assert_cmpint(state_of(f, "can-loc"), ==, DC_SITE_CONNECTED);
    /* A new session starts over. */
    g_assert_cmpint(join(f->roster, "can-loc", CRED_CAN_LOC, NULL, "s2", NULL), ==, DC_JOIN_OK);
    g_assert_cmpint(state_of(f, "can-loc"), ==, DC_SITE_CONNECTING);
    g_assert_cmpuint(dc_roster_present(f->roster), ==, 1);
}

static void test_meeting_full(void)
{
    fixture f;
    setup_n(&f, 2);
    g_assert_cmpint(join(f.roster, "tinh", CRED_TINH, NULL, "s1", NULL), ==, DC_JOIN_OK);
    g_assert_cmpint(join(f.roster, "can-loc", CRED_CAN_LOC, NULL, "s2", NULL), ==, DC_JOIN_OK);
    g_assert_cmpint(join(f.roster, "duc-tho", CRED_DUC_THO, NULL, "s3", NULL), ==,
                    DC_JOIN_MEETING_FULL);
    g_assert_cmpstr(dc_join_result_code(DC_JOIN_MEETING_FULL), ==, "meeting-full");
    /* A reconnect of a present site does not count against the limit. */
    g_assert_cmpint(join(f.roster, "can-loc", CRED_CAN_LOC, NULL, "s4", NULL), ==, DC_JOIN_OK);
    g_assert_cmpuint(dc_roster_present(f.roster), ==, 2);
    teardown(&f, NULL);
}

/* The roster takes the credential check's answer: a wrong one is refused
 * before the role and the meeting's size are looked at, an unknown site
 * before the credential. */
static void test_credential_answer_first(fixture *f, gconstpointer data)
{
    g_assert_cmpint(dc_roster_join(f->roster, "duc-tho", false, "chair", "s1", NULL), ==,
                    DC_JOIN_BAD_CREDENTIAL);
    g_assert_cmpint(dc_roster_join(f->roster, "ha-noi", true, NULL, "s1", NULL), ==,
                    DC_JOIN_UNKNOWN_SITE);
    g_assert_cmpint(dc_roster_join(f->roster, "duc-tho", true, "chair", "s1", NULL), ==,
                    DC_JOIN_ROLE_NOT_ALLOWED);
    g_assert_cmpint(dc_roster_join(f->roster, "duc-tho", true, NULL, "s1", NULL), ==, DC_JOIN_OK);
    g_assert_cmpuint(dc_roster_present(f->roster), ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)
    ADD("/roster/join-ok", test_join_ok);
    ADD("/roster/refusals-change-nothing", test_refusals_change_nothing);
    ADD("/roster/reconnect-replaces", test_reconnect_replaces);
    ADD("/roster/leave", test_leave);
    ADD("/roster/states", test_states);
    ADD("/roster/resume-keeps-state", test_resume_keeps_state);
    ADD("/roster/credential-answer-first", test_credential_answer_first);
    g_test_add_func("/roster/meeting-full", test_meeting_full);
    return g_test_run();
}
