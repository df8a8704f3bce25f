#!/usr/bin/env bash
# test-all.sh: every test stage of ws2spi, in order (`make test` runs it).
#
#   1 header-matrix   scripts/header-matrix.sh
#   2 build           make all test-provider (build/lib/libws2_32.so.2, libws2spi.so.2,
#                     libws2unix.so.2, ws2ctl; the tests' memory provider
#                     build/test-provider/libws2memtest.so.2)
#   3 install         make install PREFIX=build/test-prefix (fresh each time)
#   4 exports         scripts/check-exports.sh on libws2_32.so.2, libws2spi.so.2 and
#                     libws2unix.so.2 (the AF_UNIX provider, the same map),
#                     scripts/check-header-exports.sh (each function of the header
#                     exported by exactly one of them)
#   5 swift-test      swift test
#   6 c-tests         scripts/run-c-tests.sh build/test-prefix (if present)
#   6a fuzz           scripts/fuzz.sh build/test-prefix: the fuzzer, fixed seeds (FUZZ_TEST_SEEDS),
#                     AF_INET (libws2spi.so.2) and AF_UNIX (libws2unix.so.2)
#   6b cli            Tests/cli/test-ws2ctl.sh: the installed ws2ctl, as a user runs it
#   6c template       Tests/cli/test-template.sh: ws2ctl new-provider, built out of tree
#                     with the installed recipe, installed, probed, loaded beside the others
#   7 python-host     Tests/python/ctypes_host.py: a non-C host loads the library
#   8 examples        the programs of examples/ run their self-tests
#
# Every stage runs even when an earlier one failed (stages that need the
# library are skipped, as failures, when it could not be built or installed).
# Each stage's output is also kept in build/test-logs/<stage>.log. The last
# line is "N passed, M failed", summed over the stages' own "N passed, M
# failed" lines (swift test: its XCTest / Swift Testing totals); a stage that
# fails without such a line counts as one failure. Exit status 0 only if
# nothing failed.
set -u

cd "$(dirname "$0")/.."
root=$PWD
MAKE=${MAKE:-make}
SWIFT=${SWIFT:-$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)}
logs=build/test-logs
prefix=build/test-prefix

rm -rf "$logs"
mkdir -p "$logs"

total_passed=0 total_failed=0
failed_stages=()
stage_no=0

# counts_generic LOG: "P F" from the last "N passed, M failed" line, or "".
counts_generic() {
    grep -oE '[0-9]+ passed, [0-9]+ failed' "$1" | tail -1 |
        awk '{ print $1, $3 }'
}

# counts_swift LOG: "P F" from swift test output (XCTest and Swift Testing),
# or "" when neither reported.
counts_swift() {
    awk '
    # XCTest: the last "Executed N tests, with M failures" is the grand total.
    /Executed [0-9]+ tests?, with [0-9]+ failures?/ {
        for (i = 1; i <= NF; i++) if ($i == "Executed") xn = $(i + 1)
        for (i = 1; i <= NF; i++) if ($i == "with") xm = $(i + 1)
        seen_x = 1
    }
    /^Test Case .* failed \(/ { xfailed_cases++ }
    # Swift Testing: "Test run with N tests ... passed|failed after ...".
    /Test run with [0-9]+ tests?/ {
        for (i = 1; i <= NF; i++) if ($i == "with") { sn = $(i + 1); break }
        seen_s = 1
    }
    /Test .* failed after/ && !/Test run with/ { sfailed++ }
    END {
        if (!seen_x && !seen_s) exit
        # Failed test cases, not failed assertions; fall back on the count.
        xf = xfailed_cases + 0
        if (seen_x && xf == 0 && xm > 0) xf = (xm < xn ? xm : xn)
        n = xn + sn; f = xf + sfailed
        print n - f, f
    }' "$1"
}

# run_stage NAME COUNTER COMMAND...: runs COMMAND, teeing its output.
run_stage() {
    local name=$1 counter=$2
    shift 2
    stage_no=$((stage_no + 1))
    local log="$logs/$stage_no-$name.log"
    echo
    echo "=== [$stage_no] $name: $* ==="
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    record "$name" "$rc" "$($counter "$log")"
    return "$rc"
}

# skip_stage NAME REASON: a stage that cannot run counts as one failure.
skip_stage() {
    stage_no=$((stage_no + 1))
    echo
    echo "=== [$stage_no] $1: skipped ==="
    echo "--- $1: FAILED (skipped: $2)"
    total_failed=$((total_failed + 1))
    failed_stages+=("$1")
}

# script_cmd FILE: how to run a script of the repository.
script_cmd() {
    if [ -x "$1" ]; then echo "./$1"; else echo "bash $1"; fi
}

# record NAME RC "P F"
record() {
    local name=$1 rc=$2 counts=$3 p=0 f=0
    if [ -n "$counts" ]; then read -r p f <<< "$counts"; fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
        failed_stages+=("$name")
        echo "--- $name: FAILED (exit $rc; $p passed, $f failed)"
    else
        echo "--- $name: ok ($p passed, $f failed)"
    fi
}

no_counts() { :; }

# 1. The header compiles everywhere it must.
if [ -f scripts/header-matrix.sh ]; then
    run_stage header-matrix counts_generic $(script_cmd scripts/header-matrix.sh)
else
    skip_stage header-matrix "scripts/header-matrix.sh not found"
fi

# 2. The release library.
built=0
run_stage build no_counts "$MAKE" --no-print-directory all test-provider && built=1

# 3. A fresh install, as a user would have it.
installed=0
if [ "$built" -eq 1 ]; then
    rm -rf "$prefix"
    run_stage install no_counts "$MAKE" --no-print-directory install \
        PREFIX="$root/$prefix" DESTDIR= && installed=1
else
    skip_stage install "the library did not build"
fi

# 4. The exported symbols, soname and dependencies of the installed library.
if [ "$installed" -eq 1 ]; then
    run_stage exports counts_generic $(script_cmd scripts/check-exports.sh) "$prefix/lib/libws2spi.so.2" scripts/ws2spi.map
    run_stage exports-host counts_generic $(script_cmd scripts/check-exports.sh) "$prefix/lib/libws2_32.so.2" scripts/ws2_32.map
    run_stage exports-unix counts_generic $(script_cmd scripts/check-exports.sh) "$prefix/lib/libws2unix.so.2" scripts/ws2spi.map
    run_stage exports-header counts_generic $(script_cmd scripts/check-header-exports.sh) include/ws2spi.h \
        "$prefix/lib/libws2_32.so.2" "$prefix/lib/libws2spi.so.2"
else
    skip_stage exports "the library was not installed"
fi

# 5. The Swift tests (debug build).
# (without CC/CXX: SwiftPM would compile the C shim with a gcc from $CC)
run_stage swift-test counts_swift env -u CC -u CXX "$SWIFT" test

# 6. The C tests against the installed library.
if [ -f scripts/run-c-tests.sh ]; then
    if [ "$installed" -eq 1 ]; then
        run_stage c-tests counts_generic $(script_cmd scripts/run-c-tests.sh) "$prefix"
    else
        skip_stage c-tests "the library was not installed"
    fi
else
    stage_no=$((stage_no + 1))
    echo
    echo "=== [$stage_no] c-tests: scripts/run-c-tests.sh not found, nothing to run ==="
fi

# 6a. The fuzzer (Tests/fuzz/fuzz.c, sanitizers) for a fixed list of seeds,
# each one sequence of random calls in its own process, once over the TCP/IP
# provider (AF_INET) and once over the AF_UNIX one (well under 60 s in all).
# Change the list here; a failing seed prints its replay command.
FUZZ_TEST_SEEDS=${FUZZ_TEST_SEEDS:-"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30"}
if [ "$installed" -eq 1 ]; then
    run_stage fuzz counts_generic env FUZZ_SEEDS="$FUZZ_TEST_SEEDS" FUZZ_THREADS=1-4 FUZZ_STEPS=200 \
        FUZZ_FAMILY=both FUZZ_OUT=build/fuzz-test bash scripts/fuzz.sh "$prefix"
else
    skip_stage fuzz "the library was not installed"
fi

# 6b. The catalog tool, installed with the library, run as a user would.
if [ "$installed" -eq 1 ] && command -v python3 >/dev/null 2>&1; then
    run_stage cli counts_generic bash Tests/cli/test-ws2ctl.sh "$prefix/bin/ws2ctl" "$prefix/lib/libws2spi.so.2"
else
    skip_stage cli "no installed library or no python3"
fi

# 6c. Out of tree: a provider package from `ws2ctl new-provider`, built with
# the installed recipe, installed and probed beside the other providers.
if [ "$installed" -eq 1 ]; then
    run_stage template counts_generic bash Tests/cli/test-template.sh "$prefix"
else
    skip_stage template "the library was not installed"
fi

# 7. A host in another language: Python's ctypes.
if [ "$installed" -eq 1 ] && command -v python3 >/dev/null 2>&1; then
    run_stage python-host counts_generic python3 Tests/python/ctypes_host.py "$prefix/lib/libws2spi.so.2"
else
    skip_stage python-host "no installed library or no python3"
fi

# 8. The examples, built as a user would and run in their self-test mode.
examples_check() {
    local ok=0 bad=0
    "$MAKE" --no-print-directory examples >/dev/null || { echo "make examples failed"; echo "0 passed, 1 failed"; return 1; }
    for ex in echo-eventselect echo-asyncselect copy-overlapped; do
        if build/examples/$ex --self-test 20; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    done
    # two-providers: a temporary catalog, the host API, a route per protocol.
    if build/examples/two-providers --self-test; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    # The Swift example: the WS2SPI module over the installed library.
    if build/examples/ws2spi-swift-example; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    echo "$ok passed, $bad failed"
    [ "$bad" -eq 0 ]
}
if [ "$built" -eq 1 ]; then
    run_stage examples counts_generic examples_check
else
    skip_stage examples "the library did not build"
fi

echo
if [ "${#failed_stages[@]}" -gt 0 ]; then
    echo "failed stages: ${failed_stages[*]} (logs in $logs/)"
fi
echo "$total_passed passed, $total_failed failed"
[ "${#failed_stages[@]}" -eq 0 ]
