#!/usr/bin/env bash
# Builds each Tests/c/test-*.c against the header and library installed in
# PREFIX (through pkg-config, as a user would) and runs it; every test runs in
# its own process. Prints each program's results and the total
# "N passed, M failed"; exits non-zero on any failure.
# Usage: scripts/run-c-tests.sh PREFIX [test-name.c ...]
set -u
prefix=${1:?usage: run-c-tests.sh PREFIX [files...]}; shift
prefix=$(cd "$prefix" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
out=${CTEST_OUT:-$top/build/ctests}   # CTEST_OUT: a private output directory
mkdir -p "$out"
cc=${CC:-cc}
# The second provider of test-providers.c (`make test-provider`), not installed.
export WS2SPI_TEST_PROVIDER=${WS2SPI_TEST_PROVIDER:-$top/build/test-provider/libws2memtest.so.2}
flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs ws2spi) || { echo "pkg-config cannot find ws2spi in $prefix"; echo "0 passed, 1 failed"; exit 1; }
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$top"/Tests/c/test-*.c)
passed=0; failed=0
for f in "${files[@]}"; do
    name=$(basename "$f" .c)
    echo "== $name"
    if ! $cc -std=gnu11 -O1 -g -Wall -Wextra -I"$top/Tests/c" "$top/Tests/c/harness.c" "$f" $flags \
            -Wl,-rpath,"$prefix/lib" -lpthread -ldl -o "$out/$name" 2>"$out/$name.cc.log"; then
        cat "$out/$name.cc.log"; echo "not ok: $name does not compile"; failed=$((failed + 1)); continue
    fi
    "$out/$name" > "$out/$name.log" 2>&1
    cat "$out/$name.log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/$name.log" | tail -1)
    if [ -z "$line" ]; then echo "not ok: $name printed no summary"; failed=$((failed + 1)); continue; fi
    p=${line%% passed*}; m=${line#*, }; m=${m%% failed*}
    passed=$((passed + p)); failed=$((failed + m))
done
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
