#!/usr/bin/env bash
# check-header-exports.sh HEADER LIBRARY...
#
# Every function declared in HEADER (ws2spi.h) is exported by exactly one of
# the LIBRARIES (libws2_32.so.2: the Winsock DLL part; libws2spi.so.2: the
# provider, RULINGS §13), and no symbol is exported by two of them. The
# declarations are read by the compiler (gcc -aux-info), not by a pattern.
# Prints one line per check and ends with "N passed, M failed".
set -u
header=${1:?usage: check-header-exports.sh HEADER LIBRARY...}
shift
passed=0 failed=0
ok()   { echo "ok   - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "%s"\n' "$(cd "$(dirname "$header")" && pwd)/$(basename "$header")" >"$tmp/h.c"
if ! ${CC:-gcc} -fsyntax-only -aux-info "$tmp/aux" "$tmp/h.c" 2>"$tmp/err"; then
    fail "cannot compile $header: $(head -1 "$tmp/err")"
    echo "$passed passed, $failed failed"; exit 1
fi
# "/* /path/ws2spi.h:123:NC */ extern int WSPBind (...);" -> WSPBind
grep "$(basename "$header"):" "$tmp/aux" | sed 's|/\*[^*]*\*/||' |
    sed -n 's/.*[ *]\([A-Za-z_][A-Za-z0-9_]*\) *(.*/\1/p' | sort -u >"$tmp/declared"
n=$(wc -l <"$tmp/declared")
[ "$n" -gt 0 ] || fail "no function declarations found in $header"

: >"$tmp/all"
for lib in "$@"; do
    nm -D --defined-only "$lib" | awk 'NF >= 3 && $2 == "T" { n = $3; sub(/@.*/, "", n); print n }' |
        sort -u >"$tmp/$(basename "$lib")"
    cat "$tmp/$(basename "$lib")" >>"$tmp/all"
done
missing=$(comm -23 "$tmp/declared" <(sort -u "$tmp/all"))
if [ -z "$missing" ]; then
    ok "all $n functions of $(basename "$header") are exported by $(for l in "$@"; do basename "$l"; done | tr '\n' ' ')"
else
    fail "declared but exported by none: $(echo $missing | head -c 300)"
fi
twice=$(sort "$tmp/all" | uniq -d)
if [ -z "$twice" ]; then ok "no function is exported by two libraries"; else fail "exported twice: $(echo $twice | head -c 300)"; fi
for lib in "$@"; do
    extra=$(comm -13 "$tmp/declared" "$tmp/$(basename "$lib")")
    if [ -z "$extra" ]; then ok "$(basename "$lib") exports only functions of the header"
    else fail "$(basename "$lib") exports functions the header does not declare: $(echo $extra | head -c 300)"; fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
