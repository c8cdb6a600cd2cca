#!/bin/sh
# Fails if core/ does I/O, runs a main loop, starts threads or reads a clock.
# core/ takes bytes and time as input and returns packets, events and timeouts.
set -eu
dir="$1"
pattern='#include *<nice|#include *<agent\.h>|nice_agent_|GSource|g_main_|g_timeout_add|g_idle_add|g_io_|\<socket *\(|\<sendto *\(|\<sendmsg *\(|\<sendmmsg *\(|\<recvfrom *\(|\<recvmsg *\(|\<recvmmsg *\(|\<bind *\(|\<connect *\(|\<poll *\(|\<epoll_|\<select *\(|clock_gettime|gettimeofday|g_get_monotonic_time|g_get_real_time|g_get_current_time|\<time *\(|pthread_|GThread|g_thread_|#include *<sys/socket\.h>|#include *<pthread\.h>|BIO_new_dgram|BIO_new_socket|usleep|nanosleep|\<sleep *\('
bad=$(grep -nE "$pattern" "$dir"/*.c "$dir"/*.h 2>/dev/null | grep -vE '^[^:]+:[0-9]+: *(\*|//|/\*)' || true)
if [ -n "$bad" ]; then
    echo "core/ must not do I/O, threads or clock reads:"
    echo "$bad"
    exit 1
fi
n=$(ls "$dir"/*.c | wc -l)
echo "core/: $n source files checked, no I/O, threads or clock reads"
