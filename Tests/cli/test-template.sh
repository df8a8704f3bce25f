#!/usr/bin/env bash
# Out of tree, as a provider author works: `ws2ctl new-provider` writes a
# package into a temporary directory, the installed recipe
# (ws2spi-build-provider) builds it against the installed ws2spi, ws2ctl
# installs it in a temporary catalog beside the TCP/IP provider, the AF_UNIX
# provider and the tests' memory provider, probes and checks it, and a C host
# (pkg-config) loads all four with WS2HostStartup and routes a socket to
# each. Then the recipe's
# and the command's failures.
# Usage: Tests/cli/test-template.sh PREFIX
# Last line: "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(cd "${1:?usage: test-template.sh PREFIX}" && pwd)
ctl=$prefix/bin/ws2ctl
recipe=$prefix/bin/ws2spi-build-provider
mem=${WS2SPI_TEST_PROVIDER:-$top/build/test-provider/libws2memtest.so.2}
work=$(mktemp -d "${TMPDIR:-/tmp}/ws2tmpl.XXXXXX")
trap 'rm -rf "$work"' EXIT
export WINSOCK2_INI=$work/winsock2.ini PKG_CONFIG_PATH=$prefix/lib/pkgconfig
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | tail -5 | sed 's/^/    /'; }
# t NAME COMMAND...: passes when COMMAND succeeds (its output in $out).
t() { local name=$1; shift; if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi; }
# t_fails NAME STATUS PATTERN COMMAND...: fails with STATUS, PATTERN in its output.
t_fails() {
    local name=$1 want=$2 pattern=$3; shift 3
    out=$("$@" 2>&1); local rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$name" "exit $rc, expected $want: $out"
    elif ! grep -q -- "$pattern" <<<"$out"; then fail "$name" "output lacks '$pattern': $out"
    else pass "$name"; fi
}

for f in "$ctl" "$recipe" "$mem"; do
    [ -e "$f" ] || { echo "missing $f (make install, make test-provider)"; echo "0 passed, 1 failed"; exit 1; }
done

pkg=$work/tmpl
t "new-provider writes a package" "$ctl" new-provider Tmpl "$pkg" --ws2spi "$top" --family 32345
t "the package has its files" test -f "$pkg/Package.swift" -a -f "$pkg/Sources/Tmpl/Provider.swift" -a -f "$pkg/README.md"
echo "# building the template's package (a release build of ProviderKit; a minute or two)"
t "ws2spi-build-provider builds it" "$recipe" --package-path "$pkg" --product Tmpl
lib=$pkg/build/libTmpl.so.2
t "the library is libTmpl.so.2" test -f "$lib"
t "it exports exactly the 27 WSP* and __WSAFDIsSet" \
    bash -c "[ \$(nm -D --defined-only '$lib' | awk 'NF>=3 && \$2==\"T\"' | wc -l) -eq 28 ]"
t "its soname, and it needs libws2_32.so.2" \
    bash -c "readelf -d '$lib' | grep -q 'SONAME.*libTmpl.so.2' && readelf -d '$lib' | grep -q 'NEEDED.*libws2_32.so.2'"
t "install the TCP/IP provider" "$ctl" install tcpip "$prefix/lib/libws2spi.so.2"
t "install the AF_UNIX provider" "$ctl" install unix "$prefix/lib/libws2unix.so.2" --protocols unix-stream,unix-dgram
t "install the memory provider" "$ctl" install mem "$mem" --protocol "af=0x7E57,type=dgram"
t "install the template's provider" "$ctl" install Tmpl "$lib" --protocol "af=32345,type=dgram"
t "ws2ctl probe passes" "$ctl" probe Tmpl
grep -q "self-test *ok: af32345/dgram:0: socket, close" <<<"$out" && pass "probe's self-test ran the declared protocol" ||
    fail "probe's self-test ran the declared protocol" "$out"
t "ws2ctl check passes on the template's provider" "$ctl" check Tmpl
t "ws2ctl check passes on the TCP/IP provider" "$ctl" check tcpip
t "ws2ctl check passes on the AF_UNIX provider" "$ctl" check unix
t "ws2ctl check passes on the memory provider" "$ctl" check mem

# A C host loads the four from the catalog and routes a socket to each.
cat >"$work/host.c" <<'C'
#include <ws2spi.h>
#include <stdio.h>
int main(void) {
    int err = 0; DWORD n = 0;
    if (WS2HostStartup(NULL, &n, &err) != 0 || n != 4) { printf("startup: %d, %u providers\n", err, (unsigned)n); return 1; }
    int af[4] = { AF_INET, AF_UNIX, 0x7E57, 32345 }, type[4] = { SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM, SOCK_DGRAM };
    SOCKET s[4];
    for (int i = 0; i < 4; i++) {
        const WS2HOST_PROVIDER *p = NULL;
        if (WS2HostGetProvider((DWORD)i, &err)->iStatus != 0) { printf("provider %d not started\n", i); return 1; }
        s[i] = WS2HostSocket(af[i], type[i], 0, 0, &p, &err);
        if (s[i] == INVALID_SOCKET || p != WS2HostGetProvider((DWORD)i, &err)) { printf("route %d: %d\n", i, err); return 1; }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++)
            if (s[i] == s[j]) { printf("SOCKET values alias\n"); return 1; }
    const WS2HOST_PROVIDER *tmpl = WS2HostGetProvider(3, &err);
    if (tmpl->Procs.lpWSPCloseSocket(s[0], &err) == 0 || err != WSAENOTSOCK) { printf("foreign socket: %d\n", err); return 1; }
    if (tmpl->Procs.lpWSPCloseSocket(s[1], &err) == 0 || err != WSAENOTSOCK) { printf("foreign socket: %d\n", err); return 1; }
    if (tmpl->Procs.lpWSPListen(s[3], 1, &err) == 0 || err != WSAEOPNOTSUPP) { printf("default: %d\n", err); return 1; }
    if (WS2HostCleanup(&err) != 0) { printf("cleanup: %d\n", err); return 1; }
    printf("four providers, four routes\n");
    return 0;
}
C
t "a C host (pkg-config) builds" ${CC:-cc} -o "$work/host" "$work/host.c" $(pkg-config --cflags --libs ws2spi) -Wl,-rpath,"$prefix/lib"
t "the C host loads the four providers and routes to each" "$work/host"

# Failures.
t_fails "new-provider: a directory that is not empty (exit 1)" 1 "exists and is not empty" \
    "$ctl" new-provider Tmpl "$pkg" --ws2spi "$top"
t_fails "new-provider: a bad name (exit 64)" 64 "is not a provider name" "$ctl" new-provider 9x "$work/x" --ws2spi "$top"
t_fails "new-provider: no ws2spi package (exit 64)" 64 "say where the ws2spi package is" \
    env -u WS2SPI_SOURCE "$ctl" new-provider Other "$work/y"
sed -i 's/^@_cdecl("ws2spi_provider_instance")$//' "$pkg/Sources/Tmpl/Provider.swift"
t_fails "the recipe refuses a provider that does not register itself" 1 "does not register a provider" \
    "$recipe" --package-path "$pkg" --product Tmpl
t_fails "the recipe: an unknown product" 1 "swift build failed" "$recipe" --package-path "$pkg" --product Nope

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
