#!/usr/bin/env bash
# uring-vs-epoll.sh [ARGS...]: builds bench/uring-vs-epoll.c and runs it.
#
# The measurement behind issue 4's "if io_uring would beat epoll here"
# (results in the notes, see bench/uring-vs-epoll.c for the variants).
# Prints the kernel, whether io_uring is usable here (the
# kernel.io_uring_disabled sysctl, and a real io_uring_setup + NOP), then the
# benchmark's table. ARGS go to the program (default: -m 2048 -r 7, i.e.
# 2 GiB per run, 7 rounds of all variants in rotated order; -h for the rest).
# Environment: CC (cc), CFLAGS (-O2). Needs no ws2spi build and no liburing.
set -euo pipefail
cd "$(dirname "$0")/.."

CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}
out=build/uring
mkdir -p "$out"
# shellcheck disable=SC2086
$CC $CFLAGS -o "$out/uring-vs-epoll" bench/uring-vs-epoll.c -pthread

echo "kernel: $(uname -r) ($(nproc) CPUs)"
if [ -r /proc/sys/kernel/io_uring_disabled ]; then
    echo "kernel.io_uring_disabled: $(cat /proc/sys/kernel/io_uring_disabled)" \
         "(0 all may use it, 1 only CAP_SYS_ADMIN or kernel.io_uring_group, 2 nobody)"
else
    echo "kernel.io_uring_disabled: absent (kernel before 6.6, or no io_uring)"
fi
if ! "$out/uring-vs-epoll" -p; then
    echo "io_uring is not usable here: only base, epoll and epoll-app can run"
    [ $# -eq 0 ] && set -- -v base,epoll,epoll-app
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
[ $# -eq 0 ] && set -- -m 2048 -r 7
echo "running: $out/uring-vs-epoll $*"
"$out/uring-vs-epoll" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
