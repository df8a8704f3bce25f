#!/usr/bin/env bash
# fuzz.sh PREFIX: builds Tests/fuzz/fuzz.c against the ws2spi installed in
# PREFIX (pkg-config, an rpath: as a user would) with
# -fsanitize=address,undefined, and runs it (`make fuzz`, `make test`).
#
# Two builds of the one source, one per provider library:
#   inet  $FUZZ_OUT/fuzz       AF_INET, linked with -lws2spi (pkg-config's Libs)
#   unix  $FUZZ_OUT/fuzz-unix  AF_UNIX (-DFUZZ_UNIX), linked with
#                              -l:libws2unix.so.2 -lws2_32 instead: the AF_UNIX
#                              provider exports the same WSP* functions
# FUZZ_FAMILY picks them (default both: inet, then unix). With both and a
# time (FUZZ_SECONDS), the time is SPLIT: each family runs for half of it,
# so `make fuzz` takes FUZZ_SECONDS in all. With a list (FUZZ_SEEDS), each
# family runs every seed of it.
#
# Each iteration is one seed in its own forked process; progress every ~10 s;
# a failing seed is re-run with fewer steps and its shortest failing command
# line printed (the binary of its family). Each family's run ends with its
# own "N passed, M failed"; with both, a last line sums them. Exit 1 on a
# failure.
#
# Environment:
#   FUZZ_FAMILY    inet, unix or both (default both)
#   FUZZ_SECONDS   how long to run in all (default 600; both: half each)
#   FUZZ_SEED      the first seed (default: from the clock; the same for both)
#   FUZZ_SEEDS     a list of seeds ("1 2 3" or "1,2,3"): run exactly these
#                  instead of FUZZ_SECONDS (the make-test stage)
#   FUZZ_THREADS   worker threads: N or a range A-B (default 1-4)
#   FUZZ_STEPS     calls per thread per seed (default 200)
#   FUZZ_LOWPTR    0: leave out pointers below 64 KiB (default 1)
#   FUZZ_ARGS      more options for the fuzzer (--verbose, --call-ms MS, ...)
#   FUZZ_UNIX_ARGS more options for the AF_UNIX run only (--no-full-backlog)
#   FUZZ_OUT       build directory (default build/fuzz; logs in logs/ and
#                  logs-unix/)
#   CC, PKG_CONFIG
set -euo pipefail

prefix=${1:?usage: fuzz.sh PREFIX}
prefix=$(cd "$prefix" && pwd)
cd "$(dirname "$0")/.."

CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
out=${FUZZ_OUT:-build/fuzz}
family=${FUZZ_FAMILY:-both}
mkdir -p "$out"

case $family in
    inet) families=(inet) ;;
    unix) families=(unix) ;;
    both) families=(inet unix) ;;
    *) echo "fuzz: FUZZ_FAMILY must be inet, unix or both, not '$family'"; echo "0 passed, 1 failed"; exit 1 ;;
esac

pc() { PKG_CONFIG_PATH="$prefix/lib/pkgconfig" $PKG_CONFIG "$@"; }
pc --exists ws2spi ||
    { echo "fuzz: pkg-config cannot find ws2spi in $prefix"; echo "0 passed, 1 failed"; exit 1; }
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"

# build FAMILY BINARY: compiles the fuzzer for one family.
build() {
    local fam=$1 bin=$2 defs="" flags
    if [ "$fam" = unix ]; then
        local libdir
        libdir=$(pc --variable=libdir ws2spi)
        [ -e "$libdir/libws2unix.so.2" ] || { echo "fuzz: $libdir/libws2unix.so.2 is not installed"; return 1; }
        defs=-DFUZZ_UNIX
        flags="$(pc --cflags ws2spi) -L$libdir -l:libws2unix.so.2 -lws2_32"
    else
        flags=$(pc --cflags --libs ws2spi)
    fi
    echo "fuzz: $CC -std=gnu11 -O1 $defs $san Tests/fuzz/fuzz.c $flags -Wl,-rpath,$prefix/lib -pthread -o $bin"
    # shellcheck disable=SC2086
    if ! $CC -std=gnu11 -O1 -Wall -Wextra $defs $san Tests/fuzz/fuzz.c $flags -Wl,-rpath,"$prefix/lib" -pthread \
            -o "$bin" 2> "$bin.cc.log"; then
        cat "$bin.cc.log"
        # A compiler without the sanitizer runtimes: say so and fall back on none.
        echo "fuzz: building with $san failed; trying without sanitizers"
        # shellcheck disable=SC2086
        $CC -std=gnu11 -O1 -g -Wall -Wextra $defs Tests/fuzz/fuzz.c $flags -Wl,-rpath,"$prefix/lib" -pthread -o "$bin" ||
            return 1
    fi
}

seconds=${FUZZ_SECONDS:-600}
if [ "${#families[@]}" -gt 1 ] && [ -z "${FUZZ_SEEDS:-}" ]; then
    # split the time: half each, at least one second
    seconds=$(awk -v s="$seconds" 'BEGIN { h = s / 2; if (h < 1) h = 1; print h }')
fi
seed=${FUZZ_SEED:-$(( $(date +%s) % 1000000 ))}

total_p=0 total_f=0 summary=""
for fam in "${families[@]}"; do
    if [ "$fam" = unix ]; then bin=$out/fuzz-unix logs=$out/logs-unix name=AF_UNIX; else bin=$out/fuzz logs=$out/logs name=AF_INET; fi
    echo "=== fuzz $name ==="
    args=(--threads "${FUZZ_THREADS:-1-4}" --steps "${FUZZ_STEPS:-200}" --log-dir "$logs")
    [ "${FUZZ_LOWPTR:-1}" = 0 ] && args+=(--no-lowptr)
    if [ -n "${FUZZ_SEEDS:-}" ]; then
        args+=(--seeds "$(echo "$FUZZ_SEEDS" | tr ' ' ',')")
    else
        args+=(--seconds "$seconds" --seed "$seed")
    fi
    p=0 f=1
    if build "$fam" "$bin"; then
        extra=${FUZZ_ARGS:-}
        if [ "$fam" = unix ]; then extra+=" ${FUZZ_UNIX_ARGS:-}"; fi
        log=$(mktemp)
        # shellcheck disable=SC2086
        "$bin" "${args[@]}" $extra | tee "$log" || true
        counts=$(grep -oE '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
        rm -f "$log"
        if [ -n "$counts" ]; then read -r p _ f _ <<< "$counts"; else echo "fuzz: $name: the fuzzer ended without a result"; fi
    else
        echo "fuzz: $name: the build failed"
    fi
    total_p=$((total_p + p)) total_f=$((total_f + f))
    summary+="${summary:+; }$name $p passed, $f failed"
done
if [ "${#families[@]}" -gt 1 ]; then
    echo "fuzz: $summary"
    echo "$total_p passed, $total_f failed"
fi
[ "$total_f" -eq 0 ]
