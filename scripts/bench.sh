#!/usr/bin/env bash
# bench.sh PREFIX: raw Linux sockets vs. the Winsock SPI (`make bench`).
#
# PREFIX holds an installed ws2spi (PREFIX/lib/pkgconfig/ws2spi.pc); `make
# bench` installs one into build/bench-prefix. Builds
# bench/{pingpong,bulk,select64,echo}.c twice (raw, and -DUSE_SPI against the
# library; echo with its load generator bench/echo-client.c, raw sockets in
# both) and bench/startup.c and bench/overlapped-bulk.c (SPI only), runs
# raw and SPI alternately
# BENCH_RUNS times (default 9; echo and select64 have their own counts),
# and prints the medians against the targets:
#   pingpong  SPI/raw round-trip time   <= 1.05  (threads pinned to CPUs 0 and 1)
#   pingpong-same      the same, both threads pinned to CPU 0     <= 1.05
#   pingpong-unpinned  the same, no CPU affinity at all           <= 1.05
#   bulk      SPI/raw throughput        >= 0.95
#   overlapped SPI/raw throughput       >= 0.90  (bench/overlapped-bulk.c: 8
#             overlapped 64 KiB receives with completion routines, against
#             bulk-raw; paired runs, BENCH_BULK_RUNS of BENCH_BULK_MIB)
#   echo      SPI/raw requests/s        >= 0.80  (1000 connections, 64 B;
#             SPI: WSPAsyncSelect32 + WS2GetMessage, raw: epoll)
#   select64  SPI/raw time per call     <= 1.30  (WSPSelect vs poll(2),
#             64 sockets, one ready)
#   startup   dlopen + WSPStartup       <= 5 ms
# and the same for the AF_UNIX provider (libws2unix.so.2) against raw Linux
# AF_UNIX sockets: bench/pingpong.c and bench/bulk.c built twice more with
# -DNET_UNIX (abstract addresses; the SPI variant linked with
# -l:libws2unix.so.2 -lws2_32 instead of libws2spi), run in the same loops,
# alternately with the TCP runs, and bench/startup.c given libws2unix.so.2:
#   unix-pingpong, unix-pingpong-same, unix-pingpong-unpinned
#                 SPI/raw round-trip time  <= 1.05 (placements as above)
#   unix-bulk     SPI/raw throughput       >= 0.95 (paired runs, as bulk)
#   unix-startup  dlopen + WSPStartup      <= 5 ms
#
# Environment: BENCH_RUNS (9), BENCH_PINGPONG_ROUNDS (50000),
# BENCH_BULK_RUNS (21), BENCH_BULK_MIB (1024), BENCH_ECHO_RUNS (9),
# BENCH_ECHO_SECONDS (2), BENCH_ECHO_CONNS (1000), BENCH_SELECT_RUNS (5),
# BENCH_SELECT_CALLS (200000), BENCH_ONLY (a space-separated subset of
# "pingpong pingpong-same pingpong-unpinned bulk overlapped echo select64
# startup unix-pingpong unix-pingpong-same unix-pingpong-unpinned unix-bulk
# unix-startup"; default all), BENCH_STRICT=1
# (exit 1 on a MISS), CC, CFLAGS, PKG_CONFIG. Bulk gets many short runs: on
# a shared 2-core VM one 1 GiB run swings by +-30% whatever the code, and
# only the median of many alternating runs is stable.
set -euo pipefail

prefix=${1:?usage: bench.sh PREFIX}
prefix=$(cd "$prefix" && pwd)
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-9}
rounds=${BENCH_PINGPONG_ROUNDS:-50000}
mib=${BENCH_BULK_MIB:-1024}
bulk_runs=${BENCH_BULK_RUNS:-21}
echo_runs=${BENCH_ECHO_RUNS:-9}
echo_seconds=${BENCH_ECHO_SECONDS:-2}
echo_conns=${BENCH_ECHO_CONNS:-1000}
select_runs=${BENCH_SELECT_RUNS:-5}
select_calls=${BENCH_SELECT_CALLS:-200000}
only=" ${BENCH_ONLY:-pingpong pingpong-same pingpong-unpinned bulk overlapped echo select64 startup unix-pingpong unix-pingpong-same unix-pingpong-unpinned unix-bulk unix-startup} "
want() { case "$only" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
out=build/bench
mkdir -p "$out"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
spi_cflags=$($PKG_CONFIG --cflags ws2spi)
spi_libs=$($PKG_CONFIG --libs ws2spi)
lib="$prefix/lib/libws2spi.so.2"
unix_lib="$prefix/lib/libws2unix.so.2"
# The AF_UNIX provider exports the same WSP* names as libws2spi: it is linked
# alone, with the Winsock DLL part, in place of pkg-config's -lws2spi.
unix_libs="-L$prefix/lib -l:libws2unix.so.2 -lws2_32"

echo "bench: building (CC=$CC CFLAGS=$CFLAGS; SPI from $prefix)"
for b in pingpong bulk select64 echo; do
    extra=
    [ "$b" = echo ] && extra=bench/echo-client.c    # the load generator: raw in both
    # shellcheck disable=SC2086
    $CC $CFLAGS -o "$out/$b-raw" "bench/$b.c" $extra -pthread
    # shellcheck disable=SC2086
    $CC $CFLAGS -DUSE_SPI $spi_cflags -o "$out/$b-spi" "bench/$b.c" $extra \
        $spi_libs -Wl,-rpath,"$prefix/lib" -pthread
done
# AF_UNIX: the same two programs over raw AF_UNIX and the AF_UNIX provider
for b in pingpong bulk; do
    $CC $CFLAGS -DNET_UNIX -o "$out/$b-unix-raw" "bench/$b.c" -pthread
    # shellcheck disable=SC2086
    $CC $CFLAGS -DNET_UNIX -DUSE_SPI $spi_cflags -o "$out/$b-unix-spi" "bench/$b.c" \
        $unix_libs -Wl,-rpath,"$prefix/lib" -pthread
done
# shellcheck disable=SC2086
$CC $CFLAGS -DUSE_SPI $spi_cflags -o "$out/startup-spi" bench/startup.c -ldl
# overlapped I/O exists only through the SPI; its reference is bulk-raw
# shellcheck disable=SC2086
$CC $CFLAGS -DUSE_SPI $spi_cflags -o "$out/overlapped-bulk-spi" bench/overlapped-bulk.c \
    $spi_libs -Wl,-rpath,"$prefix/lib" -pthread

# value KEY LINE: the number after KEY= in LINE.
value() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# run NAME KEY COMMAND...: runs it, appends KEY's value to $out/NAME.txt.
run() {
    local name=$1 key=$2 line v
    shift 2
    if ! line=$("$@"); then
        echo "bench: $name failed: $*" >&2
        exit 1
    fi
    v=$(value "$key" "$line")
    if [ -z "$v" ]; then
        echo "bench: $name printed no $key=: $line" >&2
        exit 1
    fi
    echo "$v" >> "$out/$name.txt"
    printf '  %-22s %s\n' "$name" "$line"
}

median() { [ -f "$1" ] || { echo nan; return; }; sort -g "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rm -f "$out"/*.txt
if want pingpong || want pingpong-same || want pingpong-unpinned || want startup ||
   want unix-pingpong || want unix-pingpong-same || want unix-pingpong-unpinned ||
   want unix-startup; then
    for i in $(seq 1 "$runs"); do
        echo "bench: run $i of $runs"
        if want pingpong; then
            run pingpong-raw rtt_us     "$out/pingpong-raw" "$rounds" apart
            run pingpong-spi rtt_us     "$out/pingpong-spi" "$rounds" apart
        fi
        if want pingpong-same; then
            run pingpong-same-raw rtt_us "$out/pingpong-raw" "$rounds" same
            run pingpong-same-spi rtt_us "$out/pingpong-spi" "$rounds" same
        fi
        if want pingpong-unpinned; then
            run pingpong-unpinned-raw rtt_us "$out/pingpong-raw" "$rounds" unpinned
            run pingpong-unpinned-spi rtt_us "$out/pingpong-spi" "$rounds" unpinned
        fi
        if want startup; then
            run startup-spi  ms         "$out/startup-spi" "$lib"
        fi
        if want unix-pingpong; then
            run unix-pingpong-raw rtt_us "$out/pingpong-unix-raw" "$rounds" apart
            run unix-pingpong-spi rtt_us "$out/pingpong-unix-spi" "$rounds" apart
        fi
        if want unix-pingpong-same; then
            run unix-pingpong-same-raw rtt_us "$out/pingpong-unix-raw" "$rounds" same
            run unix-pingpong-same-spi rtt_us "$out/pingpong-unix-spi" "$rounds" same
        fi
        if want unix-pingpong-unpinned; then
            run unix-pingpong-unpinned-raw rtt_us "$out/pingpong-unix-raw" "$rounds" unpinned
            run unix-pingpong-unpinned-spi rtt_us "$out/pingpong-unix-spi" "$rounds" unpinned
        fi
        if want unix-startup; then
            run unix-startup-spi ms     "$out/startup-spi" "$unix_lib"
        fi
    done
fi
if want bulk; then
    for i in $(seq 1 "$bulk_runs"); do
        echo "bench: bulk run $i of $bulk_runs"
        run bulk-raw     MiB_per_s  "$out/bulk-raw" "$mib"
        run bulk-spi     MiB_per_s  "$out/bulk-spi" "$mib"
    done
fi
if want unix-bulk; then
    for i in $(seq 1 "$bulk_runs"); do
        echo "bench: unix bulk run $i of $bulk_runs"
        run unix-bulk-raw MiB_per_s "$out/bulk-unix-raw" "$mib"
        run unix-bulk-spi MiB_per_s "$out/bulk-unix-spi" "$mib"
    done
fi
if want overlapped; then
    for i in $(seq 1 "$bulk_runs"); do
        echo "bench: overlapped run $i of $bulk_runs"
        run overlapped-raw MiB_per_s "$out/bulk-raw" "$mib"
        run overlapped-spi MiB_per_s "$out/overlapped-bulk-spi" "$mib"
    done
fi
if want select64; then
    for i in $(seq 1 "$select_runs"); do
        echo "bench: select64 run $i of $select_runs"
        run select64-raw ns_per_call "$out/select64-raw" "$select_calls"
        run select64-spi ns_per_call "$out/select64-spi" "$select_calls"
    done
fi
if want echo; then
    for i in $(seq 1 "$echo_runs"); do
        echo "bench: echo run $i of $echo_runs"
        run echo-raw     requests_per_s "$out/echo-raw" "$echo_seconds" "$echo_conns"
        run echo-spi     requests_per_s "$out/echo-spi" "$echo_seconds" "$echo_conns"
    done
fi

pp_raw=$(median "$out/pingpong-raw.txt"); pp_spi=$(median "$out/pingpong-spi.txt")
p1_raw=$(median "$out/pingpong-same-raw.txt"); p1_spi=$(median "$out/pingpong-same-spi.txt")
pu_raw=$(median "$out/pingpong-unpinned-raw.txt"); pu_spi=$(median "$out/pingpong-unpinned-spi.txt")
bk_raw=$(median "$out/bulk-raw.txt");     bk_spi=$(median "$out/bulk-spi.txt")
ov_raw=$(median "$out/overlapped-raw.txt"); ov_spi=$(median "$out/overlapped-spi.txt")
ec_raw=$(median "$out/echo-raw.txt");     ec_spi=$(median "$out/echo-spi.txt")
sl_raw=$(median "$out/select64-raw.txt"); sl_spi=$(median "$out/select64-spi.txt")
st_spi=$(median "$out/startup-spi.txt")
up_raw=$(median "$out/unix-pingpong-raw.txt"); up_spi=$(median "$out/unix-pingpong-spi.txt")
u1_raw=$(median "$out/unix-pingpong-same-raw.txt"); u1_spi=$(median "$out/unix-pingpong-same-spi.txt")
uu_raw=$(median "$out/unix-pingpong-unpinned-raw.txt"); uu_spi=$(median "$out/unix-pingpong-unpinned-spi.txt")
ub_raw=$(median "$out/unix-bulk-raw.txt"); ub_spi=$(median "$out/unix-bulk-spi.txt")
us_spi=$(median "$out/unix-startup-spi.txt")

# verdict VALUE OP LIMIT -> OK / MISS
# A benchmark left out by BENCH_ONLY has nan figures and the verdict "-".
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v == "nan" || v == "") { print "-"; exit }
    ok = (op == "<=") ? (v <= l) : (v >= l); print ok ? "OK" : "MISS" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3f", a / b }'; }

pp_ratio=$(ratio "$pp_spi" "$pp_raw")
p1_ratio=$(ratio "$p1_spi" "$p1_raw")
pu_ratio=$(ratio "$pu_spi" "$pu_raw")
# Bulk and echo: the median of the per-pair ratios (each SPI run against the
# raw run just before it), which cancels the VM's drift between runs better
# than a ratio of two medians (single runs of either swing by +-30%).
paired_ratio() {
    [ -s "$out/$1-spi.txt" ] || { echo nan; return; }
    paste "$out/$1-spi.txt" "$out/$1-raw.txt" | awk '{ print $1 / $2 }' > "$out/$1-ratios.txt"
    awk -v r="$(median "$out/$1-ratios.txt")" 'BEGIN { printf "%.3f", r }'
}
bk_ratio=$(paired_ratio bulk)
ov_ratio=$(paired_ratio overlapped)
ec_ratio=$(paired_ratio echo)
sl_ratio=$(ratio "$sl_spi" "$sl_raw")
up_ratio=$(ratio "$up_spi" "$up_raw")
u1_ratio=$(ratio "$u1_spi" "$u1_raw")
uu_ratio=$(ratio "$uu_spi" "$uu_raw")
ub_ratio=$(paired_ratio unix-bulk)
pp_v=$(verdict "$pp_ratio" "<=" 1.05)
p1_v=$(verdict "$p1_ratio" "<=" 1.05)
pu_v=$(verdict "$pu_ratio" "<=" 1.05)
bk_v=$(verdict "$bk_ratio" ">=" 0.95)
ov_v=$(verdict "$ov_ratio" ">=" 0.90)
ec_v=$(verdict "$ec_ratio" ">=" 0.80)
sl_v=$(verdict "$sl_ratio" "<=" 1.30)
st_v=$(verdict "$st_spi" "<=" 5)
up_v=$(verdict "$up_ratio" "<=" 1.05)
u1_v=$(verdict "$u1_ratio" "<=" 1.05)
uu_v=$(verdict "$uu_ratio" "<=" 1.05)
ub_v=$(verdict "$ub_ratio" ">=" 0.95)
us_v=$(verdict "$us_spi" "<=" 5)

echo
echo "medians (pingpong, each placement: $runs runs of $rounds round trips; bulk: $bulk_runs runs of $mib MiB;"
echo "  echo: $echo_runs runs of ${echo_seconds} s, $echo_conns connections; select64: $select_runs runs of $select_calls calls; startup: $runs runs)"
printf '%-26s %12s %12s %8s  %-16s %s\n' benchmark raw SPI ratio target result
printf '%-26s %12s %12s %8s  %-16s %s\n' "pingpong rtt (us)" "$pp_raw" "$pp_spi" "$pp_ratio" "SPI/raw <= 1.05" "$pp_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "pingpong same CPU (us)" "$p1_raw" "$p1_spi" "$p1_ratio" "SPI/raw <= 1.05" "$p1_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "pingpong unpinned (us)" "$pu_raw" "$pu_spi" "$pu_ratio" "SPI/raw <= 1.05" "$pu_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "bulk throughput (MiB/s)" "$bk_raw" "$bk_spi" "$bk_ratio" "SPI/raw >= 0.95" "$bk_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "overlapped bulk (MiB/s)" "$ov_raw" "$ov_spi" "$ov_ratio" "SPI/raw >= 0.90" "$ov_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "echo 1000 conns (req/s)" "$ec_raw" "$ec_spi" "$ec_ratio" "SPI/raw >= 0.80" "$ec_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "select64 (ns/call)" "$sl_raw" "$sl_spi" "$sl_ratio" "SPI/raw <= 1.30" "$sl_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "startup (ms)" "-" "$st_spi" "-" "<= 5 ms" "$st_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "unix pingpong rtt (us)" "$up_raw" "$up_spi" "$up_ratio" "SPI/raw <= 1.05" "$up_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "unix pingpong same (us)" "$u1_raw" "$u1_spi" "$u1_ratio" "SPI/raw <= 1.05" "$u1_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "unix pingpong unpin. (us)" "$uu_raw" "$uu_spi" "$uu_ratio" "SPI/raw <= 1.05" "$uu_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "unix bulk (MiB/s)" "$ub_raw" "$ub_spi" "$ub_ratio" "SPI/raw >= 0.95" "$ub_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "unix startup (ms)" "-" "$us_spi" "-" "<= 5 ms" "$us_v"
echo "(pingpong: threads on CPUs 0 and 1; same CPU: both on CPU 0; unpinned: no affinity;"
echo " echo raw: epoll server; select64 raw: poll(2) on the same 64 sockets;"
echo " overlapped: runs like bulk's, raw = bulk-raw, SPI = 8 overlapped 64 KiB receives;"
echo " unix: the same pingpong and bulk over AF_UNIX stream sockets, raw Linux against"
echo " libws2unix.so.2 (same runs and placements); unix startup: dlopen(libws2unix.so.2) + WSPStartup)"

if [ "${BENCH_STRICT:-0}" = 1 ]; then
    case "$pp_v$p1_v$pu_v$bk_v$ov_v$ec_v$sl_v$st_v$up_v$u1_v$uu_v$ub_v$us_v" in
        *MISS*) exit 1 ;;
    esac
fi
