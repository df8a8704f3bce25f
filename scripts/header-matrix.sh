#!/bin/sh
# Compile matrix for the public header ws2spi.h.
#
# Usage: scripts/header-matrix.sh [INCLUDE_DIR]     (default: the repo's include/)
#
# Compiles every test of Tests/c/header/ with -Wall -Wextra -Werror -pedantic:
#   C:   {gcc, clang}     x {-std=c99, -std=c11, -std=gnu11}
#        (gnu11 is where glibc's <stdlib.h> really brings its fd_set, FD_SET,
#        u_long and struct timeval, the clash the header must win)
#   C++: {g++, clang++}   x {-std=c++17}, the same files as C++, and each object
#        must reference the functions by their unmangled C names (extern "C").
# Tests: first.c / last.c      default mode, ws2spi.h before / after
#                              <stdio.h> <stdlib.h> <string.h> <pthread.h> <unistd.h> <dlfcn.h>
#        fdsetsize.c           a user FD_SETSIZE defined before the header
#        prefix_first.c / prefix_last.c
#                              USE_WS_PREFIX next to the Linux socket headers
# Then, where the tools exist:
#   swiftc   imports the header as a Clang module with USE_WS_PREFIX, next to Glibc;
#   abi      a probe generated (scripts/gen-abi-probe.awk) from Tests/c/header/abi-win64.txt,
#            the Windows x64 layout reference, built with gcc and clang, prints
#            exactly that file.
# A compiler that is absent is skipped with a message.
# Prints one line per mode and "N passed, M failed"; exits 1 on any failure.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
inc=${1:-$root/include}
inc=$(cd "$inc" 2>/dev/null && pwd) || { echo "no include directory: ${1:-}"; exit 2; }
tests=$root/Tests/c/header
flags="-Wall -Wextra -Werror -pedantic"
files="first last fdsetsize prefix_first prefix_last"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok()   { pass=$((pass + 1)); echo "ok    $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL  $*"; sed -n '1,12s/^/      /p' "$tmp/err"; }
skip() { echo "skip  $*"; }

# A tool from PATH, else from the Swift toolchain (clang ships with it).
tool() {
    command -v "$1" 2>/dev/null && return 0
    [ -x "/opt/swift/usr/bin/$1" ] && { echo "/opt/swift/usr/bin/$1"; return 0; }
    return 1
}

# compile LABEL CC ARGS...: one matrix line for one object file.
compile() {
    label=$1; shift
    if "$@" >"$tmp/err" 2>&1; then ok "$label"; return 0; fi
    bad "$label"; return 1
}

for cc in gcc clang; do
    ccpath=$(tool $cc) || { skip "$cc: not found"; continue; }
    for std in c99 c11 gnu11; do
        for f in $files; do
            compile "$cc -std=$std $f.c" \
                "$ccpath" -std=$std $flags -I"$inc" -c "$tests/$f.c" -o "$tmp/$f.o"
        done
    done
done

for cxx in g++ clang++; do
    cxxpath=$(tool $cxx) || { skip "$cxx: not found"; continue; }
    for std in c++17; do
        for f in $files; do
            label="$cxx -std=$std $f.c (as C++)"
            compile "$label" "$cxxpath" -x c++ -std=$std $flags -I"$inc" \
                -c "$tests/$f.c" -o "$tmp/$f.o" || continue
            # extern "C": references to the library are plain C symbols.
            if nm -u "$tmp/$f.o" >"$tmp/syms" 2>"$tmp/err"; then
                if grep -q '_Z' "$tmp/syms"; then
                    grep '_Z' "$tmp/syms" >"$tmp/err"
                    bad "$label: C++-mangled references (missing extern \"C\")"
                elif [ "$f" != fdsetsize ] && ! grep -q ' WSPStartup$' "$tmp/syms"; then
                    echo "no reference to WSPStartup" >"$tmp/err"
                    bad "$label: C linkage not checked"
                fi
            fi
        done
    done
done

# Swift: the header as a Clang module with USE_WS_PREFIX, beside Glibc.
if swiftc=$(tool swiftc); then
    mkdir -p "$tmp/swift/CWS2SPI"
    printf '#define USE_WS_PREFIX\n#include <ws2spi.h>\n' >"$tmp/swift/CWS2SPI/shim.h"
    printf 'module CWS2SPI [system] {\n    header "shim.h"\n    export *\n}\n' \
        >"$tmp/swift/CWS2SPI/module.modulemap"
    cat >"$tmp/swift/main.swift" <<'EOF'
import Glibc
import CWS2SPI
var lin = sockaddr_in()                 // Glibc's
var win = WS_sockaddr_in()              // Winsock's
lin.sin_family = sa_family_t(AF_INET)
win.sin_family = Int16(WS_AF_INET)
var lset = fd_set()
var wset = WS_fd_set()
var wtv = WS_timeval()
var err: Int32 = 0
let s: SOCKET = INVALID_SOCKET
_ = WSPSelect(0, &wset, nil, nil, &wtv, &err)
let constants: [Int64] = [Int64(WS_FIONBIO), Int64(WS_FIONREAD), Int64(WS_SO_DONTLINGER),
                          Int64(WS_SOL_SOCKET), Int64(WS_EWOULDBLOCK), Int64(FD_READ),
                          Int64(WSA_WAIT_FAILED), Int64(WSA_INFINITE), Int64(WS_INADDR_ANY)]
let done: LPWSAOVERLAPPED_COMPLETION_ROUTINE = { (_: DWORD, _: DWORD, _: LPWSAOVERLAPPED?) in }
print(lin, win, lset, s, constants, done)
EOF
    compile "swiftc: Clang module with USE_WS_PREFIX beside Glibc" \
        "$swiftc" -typecheck -I "$tmp/swift/CWS2SPI" -Xcc -I"$inc" "$tmp/swift/main.swift"
else
    skip "swiftc: not found"
fi

# ABI: a probe generated from the project's own reference (the sizes,
# offsets and constants the draft's header has on Windows x64) must print
# exactly that reference.
ref=$tests/abi-win64.txt
awk -f "$root/scripts/gen-abi-probe.awk" "$ref" >"$tmp/probe.c"
sort "$ref" >"$tmp/want"
for cc in gcc clang; do
    ccpath=$(tool $cc) || { skip "abi $cc: not found"; continue; }
    label="abi $cc: probe output = abi-win64.txt"
    if "$ccpath" -std=gnu11 -w -I"$inc" "$tmp/probe.c" -o "$tmp/probe" >"$tmp/err" 2>&1 \
            && "$tmp/probe" | sort >"$tmp/got"; then
        if cmp -s "$tmp/want" "$tmp/got"; then
            ok "$label ($(wc -l <"$tmp/want" | tr -d ' ') lines)"
        else
            diff "$tmp/want" "$tmp/got" >"$tmp/err"
            bad "$label"
        fi
    else
        bad "$label"
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
