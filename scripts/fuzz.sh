#!/usr/bin/env bash
# fuzz.sh PREFIX: builds Tests/fuzz/fuzz.c against the ws2spi installed in
# PREFIX (pkg-config, an rpath: as a user would) with
# -fsanitize=address,undefined, and runs it (`make fuzz`).
#
# Each iteration is one seed in its own forked process; progress every ~10 s;
# a failing seed is re-run with fewer steps and its shortest failing command
# line printed. The last line is "N passed, M failed"; exit 1 on a failure.
#
# Environment:
#   FUZZ_SECONDS   how long to run (default 600)
#   FUZZ_SEED      the first seed (default: from the clock)
#   FUZZ_SEEDS     a list of seeds ("1 2 3" or "1,2,3"): run exactly these
#                  instead of FUZZ_SECONDS (the make-test stage)
#   FUZZ_THREADS   worker threads: N or a range A-B (default 1-4)
#   FUZZ_STEPS     calls per thread per seed (default 200)
#   FUZZ_LOWPTR    0: leave out pointers below 64 KiB (default 1)
#   FUZZ_ARGS      more options for the fuzzer (--verbose, --call-ms MS, ...)
#   FUZZ_OUT       build directory (default build/fuzz)
#   CC, PKG_CONFIG
set -euo pipefail

prefix=${1:?usage: fuzz.sh PREFIX}
prefix=$(cd "$prefix" && pwd)
cd "$(dirname "$0")/.."

CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
out=${FUZZ_OUT:-build/fuzz}
mkdir -p "$out"

flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" $PKG_CONFIG --cflags --libs ws2spi) ||
    { echo "fuzz: pkg-config cannot find ws2spi in $prefix"; echo "0 passed, 1 failed"; exit 1; }
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
echo "fuzz: $CC -std=gnu11 -O1 $san Tests/fuzz/fuzz.c $flags -Wl,-rpath,$prefix/lib -pthread -o $out/fuzz"
if ! $CC -std=gnu11 -O1 -Wall -Wextra $san Tests/fuzz/fuzz.c $flags -Wl,-rpath,"$prefix/lib" -pthread \
        -o "$out/fuzz" 2> "$out/fuzz.cc.log"; then
    cat "$out/fuzz.cc.log"
    # A compiler without the sanitizer runtimes: say so and fall back on none.
    echo "fuzz: building with $san failed; trying without sanitizers"
    $CC -std=gnu11 -O1 -g -Wall -Wextra Tests/fuzz/fuzz.c $flags -Wl,-rpath,"$prefix/lib" -pthread -o "$out/fuzz" ||
        { echo "0 passed, 1 failed"; exit 1; }
fi

args=(--threads "${FUZZ_THREADS:-1-4}" --steps "${FUZZ_STEPS:-200}" --log-dir "$out/logs")
[ "${FUZZ_LOWPTR:-1}" = 0 ] && args+=(--no-lowptr)
if [ -n "${FUZZ_SEEDS:-}" ]; then
    args+=(--seeds "$(echo "$FUZZ_SEEDS" | tr ' ' ',')")
else
    args+=(--seconds "${FUZZ_SECONDS:-600}" --seed "${FUZZ_SEED:-$(( $(date +%s) % 1000000 ))}")
fi
# shellcheck disable=SC2086
exec "$out/fuzz" "${args[@]}" ${FUZZ_ARGS:-}
