/* ctl/watch: the live view. See watch.h. */
#include "ctl/watch.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define REFRESH_US G_USEC_PER_SEC

/* Alternate screen, hidden cursor, no autowrap (a narrow terminal cuts lines
 * instead of scrolling the table apart). */
#define ENTER "\033[?1049h\033[?25l\033[?7l\033[2J"
#define LEAVE "\033[?7h\033[?25h\033[?1049l"

static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t resized;
static struct termios saved_tio;
static bool tio_saved;
static bool screen_entered;

static void write_all(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

/* Safe to call more than once, and from exit paths. */
static void restore_terminal(void)
{
    if (screen_entered) {
        write_all(LEAVE, strlen(LEAVE));
        screen_entered = false;
    }
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
        tio_saved = false;
    }
}

static void on_signal(int sig)
{
    if (sig == SIGWINCH) {
        resized = 1;
    } else {
        quit_signal = sig;
    }
}

static void setup_terminal(void)
{
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
        struct termios raw = saved_tio;
        /* Keys one at a time, no echo, Ctrl-C as a byte; output processing
         * (\n → \r\n) stays on. */
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
        raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0) {
            tio_saved = true;
        }
    }
    atexit(restore_terminal);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    write_all(ENTER, strlen(ENTER));
    screen_entered = true;
}

static unsigned terminal_lines(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
        return ws.ws_row;
    }
    return 24;
}

/* Appends @block's lines while fewer than @max lines are used. */
static void add_lines(GString *out, unsigned *used, unsigned max, const char *block)
{
    if (*block == '\0' && *used < max) {
        g_string_append_c(out, '\n'); /* an empty line */
        (*used)++;
        return;
    }
    for (const char *p = block; *p && *used < max;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        g_string_append_len(out, p, (gssize)n);
        g_string_append_c(out, '\n');
        (*used)++;
        p += n + (nl ? 1 : 0);
    }
}

char *dc_ctl_watch_screen(GPtrArray *rows, const dc_ctl_meta *meta, const char *error,
                          unsigned lines, bool history, bool colour)
{
    GString *out = g_string_new(NULL);
    unsigned used = 0, body = lines > 1 ? lines - 1 : 1; /* the footer's line */
    if (meta && meta->meeting) {
        g_autofree char *title = dc_ctl_format_title(meta);
        add_lines(out, &used, body, title);
    } else {
        add_lines(out, &used, body, "diemcau-ctl watch · connecting…");
    }
    bool both = false;
    if (rows) {
        /* title + table (header + rows) + blank + history (header + rows) */
        both = 1 + 2 * (rows->len + 1) + 1 <= body;
        if (both || !history) {
            g_autofree char *table = dc_ctl_format_table(rows, colour);
            add_lines(out, &used, body, table);
        }
        if (both) {
            add_lines(out, &used, body, "");
        }
        if (both || history) {
            g_autofree char *hist = dc_ctl_format_history(rows, colour);
            add_lines(out, &used, body, hist);
        }
    }
    while (used < body) {
        add_lines(out, &used, body, "");
    }
    if (error) {
        g_autofree char *e = dc_ctl_fit(error, DC_CTL_COLUMNS - 1);
        g_string_append_printf(out, "%s%s%s\n", colour ? "\033[1;31m" : "", e,
                               colour ? "\033[0m" : "");
    } else {
        g_string_append_printf(out, "q quit%s · %s\n",
                               rows && !both ? (history ? " · h table" : " · h sparklines") : "",
                               dc_ctl_table_legend() + strlen("UP/↑ "));
    }
    return g_string_free(out, FALSE);
}

/* Draws @screen from the top left, clearing what each line leaves. */
static void draw(const char *screen)
{
    g_autoptr(GString) out = g_string_new("\033[H");
    for (const char *p = screen; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        g_string_append_len(out, p, (gssize)n);
        g_string_append(out, "\033[K");
        p += n;
        if (nl) {
            p++;
            if (*p) {
                g_string_append(out, "\r\n");
            }
        }
    }
    g_string_append(out, "\033[J");
    write_all(out->str, out->len);
}

typedef struct {
    GPtrArray *rows;
    dc_ctl_meta meta;
    char *error;
} view;

static void fetch(dc_ctl_client *client, view *v)
{
    int code = 0;
    g_autoptr(GError) e = NULL;
    g_autoptr(JsonNode) root = dc_ctl_get_json(client, "/api/stats", NULL, &code, &e);
    g_clear_pointer(&v->error, g_free);
    GPtrArray *rows = root ? dc_ctl_rows_from_json(root, &v->meta, &e) : NULL;
    if (!rows) {
        v->error = g_strdup(e->message); /* keep the last figures on screen */
        return;
    }
    g_clear_pointer(&v->rows, g_ptr_array_unref);
    v->rows = rows;
}

int dc_ctl_watch_run(dc_ctl_client *client, bool colour)
{
    if (!isatty(STDOUT_FILENO)) {
        fprintf(stderr, "diemcau-ctl: watch needs a terminal (use status --json in scripts)\n");
        return DC_CTL_EXIT_USAGE;
    }
    setup_terminal();
    view v = {0};
    bool history = false;
    int64_t next = 0;
    bool dirty = true;
    while (!quit_signal) {
        int64_t now = g_get_monotonic_time();
        if (now >= next) {
            fetch(client, &v);
            next = now + REFRESH_US;
            dirty = true;
        }
        if (dirty || resized) {
            resized = 0;
            dirty = false;
            g_autofree char *screen =
                dc_ctl_watch_screen(v.rows, &v.meta, v.error, terminal_lines(), history, colour);
            draw(screen);
        }
        now = g_get_monotonic_time();
        int timeout_ms = next > now ? (int)((next - now + 999) / 1000) : 0;
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int n = poll(&pfd, 1, timeout_ms);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (n > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(pfd.revents & POLLIN)) {
            break; /* the terminal went away */
        }
        if (n > 0) {
            char keys[64];
            ssize_t got = read(STDIN_FILENO, keys, sizeof keys);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                break; /* end of input, or the terminal is gone (EIO): never spin */
            }
            for (ssize_t i = 0; i < got; i++) {
                if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3 || keys[i] == 4) {
                    quit_signal = -1;
                } else if (keys[i] == 'h' || keys[i] == 'H') {
                    history = !history;
                    dirty = true;
                }
            }
        }
    }
    restore_terminal();
    g_clear_pointer(&v.rows, g_ptr_array_unref);
    dc_ctl_meta_clear(&v.meta);
    g_free(v.error);
    return DC_CTL_EXIT_OK;
}
