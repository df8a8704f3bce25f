#!/usr/bin/env bash
# check-exports.sh LIBRARY [MAP]
#
# Checks a built library (libws2spi.so.2, libws2_32.so.2) against its version
# script (default scripts/ws2spi.map, a GNU ld script
# `{ global: a; b; ... local: *; };`):
#   - it exports every global symbol of the map, and nothing else;
#   - no Swift-mangled ($s...) symbol is exported;
#   - its soname is its file name (libws2spi.so.2, libws2_32.so.2);
#   - `env -i ldd` shows no Swift runtime libraries (libswift*, libFoundation*,
#     libdispatch, libBlocksRuntime) and every dependency resolves;
#   - no RPATH/RUNPATH points into a Swift toolchain.
# Prints one line per check and ends with "N passed, M failed".
set -u

lib=${1:?usage: check-exports.sh LIBRARY [MAP]}
map=${2:-$(dirname "$0")/ws2spi.map}
want_soname=$(basename "$lib")

passed=0 failed=0
ok()   { echo "ok   - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

# Lists at most a few names of a whitespace-separated list.
few() { echo "$*" | tr ' ' '\n' | sed '/^$/d' | head -8 | tr '\n' ' ' | sed 's/ $//'; }

for tool in nm readelf ldd; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (apt-get install binutils libc-bin)"
done
[ "$failed" -eq 0 ] || summary

if [ ! -f "$lib" ]; then fail "library $lib not found"; summary; fi
if [ ! -f "$map" ]; then fail "version script $map not found"; summary; fi

# --- the map's global section --------------------------------------------
# Strip comments (/* */, # and //), then collect the names between every
# "global:" and the following "local:" or "}".
map_text=$(sed -e 's|#.*$||' -e 's|//.*$||' "$map" | tr '\n\t' '  ' |
           sed -e 's|/\*\([^*]\|\*[^/]\)*\*/| |g')
expected=$(printf '%s\n' "$map_text" | awk '{
    s = $0
    while ((i = index(s, "global:")) > 0) {
        s = substr(s, i + 7)
        j = match(s, /local:|}/)
        if (j == 0) { print s; break }
        print substr(s, 1, j - 1)
        s = substr(s, j)
    }
}' | tr ';' '\n' | tr -d '"' | tr -s ' ' '\n' | sed '/^$/d' | sort -u)
# Version node names ("WS2SPI_2.0 {"), which nm may show as absolute symbols.
nodes=$(printf '%s\n' "$map_text" | grep -o '[A-Za-z_][A-Za-z0-9_.]*[[:space:]]*{' |
        sed 's/[[:space:]]*{$//' | sort -u)

if [ -z "$expected" ]; then
    fail "no global symbols found in $map"
    summary
fi
n_expected=$(printf '%s\n' "$expected" | wc -l)

# --- the library's dynamic symbols ---------------------------------------
if ! nm_out=$(nm -D --defined-only "$lib" 2>&1); then
    fail "nm -D --defined-only $lib: $nm_out"
    summary
fi
# "ADDR TYPE NAME[@@VERSION]" -> NAME, dropping version-node absolutes.
exported=$(printf '%s\n' "$nm_out" | awk -v nodes="$nodes" '
    BEGIN { n = split(nodes, a, "\n"); for (i = 1; i <= n; i++) node[a[i]] = 1 }
    NF >= 3 { name = $3; sub(/@.*/, "", name)
              if ($2 == "A" && (name in node)) next
              print name }' | sort -u)

is_pattern() { case $1 in *[\*\?\[]*) return 0;; esac; return 1; }
exact=$(printf '%s\n' "$expected" | while read -r e; do is_pattern "$e" || echo "$e"; done)
patterns=$(printf '%s\n' "$expected" | while read -r e; do is_pattern "$e" && echo "$e"; done)

missing=$(comm -23 <(printf '%s\n' "$exact" | sed '/^$/d') <(printf '%s\n' "$exported"))
if [ -z "$missing" ]; then
    ok "exports all $n_expected global symbols of $(basename "$map")"
else
    fail "missing exports ($(printf '%s\n' "$missing" | wc -l)): $(few $missing)"
fi

extra=$(comm -13 <(printf '%s\n' "$exact" | sed '/^$/d') <(printf '%s\n' "$exported") |
        while read -r name; do
            matched=
            while read -r p; do
                [ -n "$p" ] || continue
                # shellcheck disable=SC2254
                case $name in $p) matched=1; break;; esac
            done <<< "$patterns"
            [ -n "$matched" ] || echo "$name"
        done)
if [ -z "$extra" ]; then
    ok "exports nothing beyond the map ($(printf '%s\n' "$exported" | sed '/^$/d' | wc -l) defined dynamic symbols)"
else
    fail "exports not in the map ($(printf '%s\n' "$extra" | wc -l)): $(few $extra)"
fi

swift_syms=$(printf '%s\n' "$exported" | grep -E '^(\$s|\$S|_\$s|_T0)' || true)
if [ -z "$swift_syms" ]; then
    ok "no Swift-mangled symbols exported"
else
    fail "Swift-mangled symbols exported ($(printf '%s\n' "$swift_syms" | wc -l)): $(few $swift_syms)"
fi

# --- soname, dependencies, run paths --------------------------------------
dyn=$(readelf -d "$lib" 2>&1)
soname=$(printf '%s\n' "$dyn" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" = "$want_soname" ]; then
    ok "soname is $want_soname"
else
    fail "soname is '${soname:-none}', expected $want_soname"
fi

ldd_out=$(env -i ldd "$lib" 2>&1)
ldd_rc=$?
runtime=$(printf '%s\n' "$ldd_out" | grep -oE '(libswift[^ ]*|libFoundation[^ ]*|lib_Foundation[^ ]*|libdispatch[^ ]*|libBlocksRuntime[^ ]*)' | sort -u)
if [ "$ldd_rc" -ne 0 ]; then
    fail "env -i ldd $lib failed: $(printf '%s' "$ldd_out" | head -1)"
elif [ -z "$runtime" ]; then
    needed=$(printf '%s\n' "$dyn" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p' | tr '\n' ' ' | sed 's/ $//')
    ok "no Swift runtime libraries needed (NEEDED: ${needed:-none})"
else
    fail "needs Swift runtime libraries: $(few $runtime)"
fi

notfound=$(printf '%s\n' "$ldd_out" | grep 'not found' | awk '{print $1}')
if [ "$ldd_rc" -eq 0 ] && [ -z "$notfound" ]; then
    ok "every dependency resolves (env -i ldd)"
else
    fail "unresolved dependencies: $(few $notfound)"
fi

runpath=$(printf '%s\n' "$dyn" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\].*/\2/p')
if printf '%s\n' "$runpath" | grep -qi 'swift'; then
    fail "RPATH/RUNPATH points into a Swift toolchain: $runpath"
else
    ok "no RPATH/RUNPATH into a Swift toolchain${runpath:+ ($runpath)}"
fi

summary
