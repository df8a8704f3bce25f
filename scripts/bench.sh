#!/usr/bin/env bash
# bench.sh PREFIX: raw Linux sockets vs. the Winsock SPI (`make bench`).
#
# PREFIX holds an installed ws2spi (PREFIX/lib/pkgconfig/ws2spi.pc); `make
# bench` installs one into build/bench-prefix. Builds bench/{pingpong,bulk}.c
# twice (raw, and -DUSE_SPI against the library) and bench/startup.c (SPI
# only), runs raw and SPI alternately BENCH_RUNS times (default 9), and
# prints the medians against the targets:
#   pingpong  SPI/raw round-trip time   <= 1.05
#   bulk      SPI/raw throughput        >= 0.95
#   startup   dlopen + WSPStartup       <= 5 ms
#
# Environment: BENCH_RUNS (9), BENCH_PINGPONG_ROUNDS (50000),
# BENCH_BULK_RUNS (21), BENCH_BULK_MIB (1024), BENCH_STRICT=1 (exit 1 on a
# MISS), CC, CFLAGS, PKG_CONFIG. Bulk gets many short runs: on a shared
# 2-core VM one 1 GiB run swings by +-30% whatever the code, and only the
# median of many alternating runs is stable.
set -euo pipefail

prefix=${1:?usage: bench.sh PREFIX}
prefix=$(cd "$prefix" && pwd)
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-9}
rounds=${BENCH_PINGPONG_ROUNDS:-50000}
mib=${BENCH_BULK_MIB:-1024}
bulk_runs=${BENCH_BULK_RUNS:-21}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
out=build/bench
mkdir -p "$out"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
spi_cflags=$($PKG_CONFIG --cflags ws2spi)
spi_libs=$($PKG_CONFIG --libs ws2spi)
lib="$prefix/lib/libws2spi.so.2"

echo "bench: building (CC=$CC CFLAGS=$CFLAGS; SPI from $prefix)"
for b in pingpong bulk; do
    $CC $CFLAGS -o "$out/$b-raw" "bench/$b.c" -pthread
    # shellcheck disable=SC2086
    $CC $CFLAGS -DUSE_SPI $spi_cflags -o "$out/$b-spi" "bench/$b.c" \
        $spi_libs -Wl,-rpath,"$prefix/lib" -pthread
done
# shellcheck disable=SC2086
$CC $CFLAGS -DUSE_SPI $spi_cflags -o "$out/startup-spi" bench/startup.c -ldl

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
    printf '  %-13s %s\n' "$name" "$line"
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rm -f "$out"/*.txt
for i in $(seq 1 "$runs"); do
    echo "bench: run $i of $runs"
    run pingpong-raw rtt_us     "$out/pingpong-raw" "$rounds"
    run pingpong-spi rtt_us     "$out/pingpong-spi" "$rounds"
    run startup-spi  ms         "$out/startup-spi" "$lib"
done
for i in $(seq 1 "$bulk_runs"); do
    echo "bench: bulk run $i of $bulk_runs"
    run bulk-raw     MiB_per_s  "$out/bulk-raw" "$mib"
    run bulk-spi     MiB_per_s  "$out/bulk-spi" "$mib"
done

pp_raw=$(median "$out/pingpong-raw.txt"); pp_spi=$(median "$out/pingpong-spi.txt")
bk_raw=$(median "$out/bulk-raw.txt");     bk_spi=$(median "$out/bulk-spi.txt")
st_spi=$(median "$out/startup-spi.txt")

# verdict VALUE OP LIMIT -> OK / MISS
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    ok = (op == "<=") ? (v <= l) : (v >= l); print ok ? "OK" : "MISS" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

pp_ratio=$(ratio "$pp_spi" "$pp_raw")
bk_ratio=$(ratio "$bk_spi" "$bk_raw")
pp_v=$(verdict "$pp_ratio" "<=" 1.05)
bk_v=$(verdict "$bk_ratio" ">=" 0.95)
st_v=$(verdict "$st_spi" "<=" 5)

echo
echo "medians (pingpong: $runs runs of $rounds round trips; bulk: $bulk_runs runs of $mib MiB; startup: $runs runs)"
printf '%-26s %12s %12s %8s  %-16s %s\n' benchmark raw SPI ratio target result
printf '%-26s %12s %12s %8s  %-16s %s\n' "pingpong rtt (us)" "$pp_raw" "$pp_spi" "$pp_ratio" "SPI/raw <= 1.05" "$pp_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "bulk throughput (MiB/s)" "$bk_raw" "$bk_spi" "$bk_ratio" "SPI/raw >= 0.95" "$bk_v"
printf '%-26s %12s %12s %8s  %-16s %s\n' "startup (ms)" "-" "$st_spi" "-" "<= 5 ms" "$st_v"

if [ "${BENCH_STRICT:-0}" = 1 ] && [ "$pp_v$bk_v$st_v" != OKOKOK ]; then
    exit 1
fi
