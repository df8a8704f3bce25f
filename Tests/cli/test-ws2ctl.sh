#!/usr/bin/env bash
# ws2ctl as a user runs it: install, list (table and JSON), remove by name
# and id, probe (a real provider, and a fake one whose self-test fails or
# hangs), every failure's one-line error and exit status (root runs the
# permission checks as user 65534 through setpriv), --help.
# Usage: Tests/cli/test-ws2ctl.sh [WS2CTL] [LIBRARY]
#   (defaults: build/bin/ws2ctl and build/lib/libws2spi.so.2)
# Last line: "N passed, M failed"; exit status 0 only if nothing failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ctl=${1:-$top/build/bin/ws2ctl}
lib=${2:-$top/build/lib/libws2spi.so.2}
ctl=$(cd "$(dirname "$ctl")" && pwd)/$(basename "$ctl")
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")
cc=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/ws2ctl-test.XXXXXX")
locker=
cleanup() { [ -n "$locker" ] && kill "$locker" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
ini=$work/winsock2.ini
export WINSOCK2_INI=$ini

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'; }

# run ARGS...: runs ws2ctl; sets $out, $err, $rc.
run() {
    "$ctl" "$@" >"$work/out" 2>"$work/err"
    rc=$?
    out=$(cat "$work/out"); err=$(cat "$work/err")
}

# expect NAME RC [STDOUT-REGEX]: the last run's status, and a line of stdout.
expect() {
    local name=$1 want=$2 pattern=${3:-}
    if [ "$rc" -ne "$want" ]; then fail "$name" "exit $rc, expected $want; stdout: $out; stderr: $err"; return; fi
    if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" <<<"$out"; then fail "$name" "stdout lacks /$pattern/: $out"; return; fi
    pass "$name"
}

# expect_error NAME RC STDERR-REGEX: a failure with exactly one line on
# stderr, "ws2ctl: error: ...", and nothing on stdout.
expect_error() {
    local name=$1 want=$2 pattern=$3
    if [ "$rc" -ne "$want" ]; then fail "$name" "exit $rc, expected $want; stdout: $out; stderr: $err"; return; fi
    if [ "$(wc -l <"$work/err")" -ne 1 ]; then fail "$name" "stderr is not one line: $err"; return; fi
    if ! grep -Eq -- "^ws2ctl: error: .*$pattern" <<<"$err"; then fail "$name" "stderr lacks /$pattern/: $err"; return; fi
    if [ -n "$out" ]; then fail "$name" "unexpected stdout: $out"; return; fi
    pass "$name"
}

check() {   # check NAME COMMAND...: a shell condition
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

[ -x "$ctl" ] || { echo "ws2ctl not found at $ctl (run make)"; echo "0 passed, 1 failed"; exit 1; }
[ -f "$lib" ] || { echo "library not found at $lib (run make)"; echo "0 passed, 1 failed"; exit 1; }

# --- the binary itself ---
check "ws2ctl needs no Swift toolchain library at run time" bash -c "! ldd '$ctl' | grep -q libswift"
run --version; expect "--version" 0 '^2\.0\.0$'

# --- help for every command ---
run --help; expect "ws2ctl --help" 0 'SUBCOMMANDS'
for word in install remove list probe; do
    grep -q "$word" <<<"$out" || fail "--help lists $word"
done
grep -q "Exit status" <<<"$out" && grep -q "/etc/winsock2.ini" <<<"$out" && pass "--help documents exit status and default catalog" \
    || fail "--help documents exit status and default catalog" "$out"
run install --help; expect "install --help" 0 'USAGE: ws2ctl install <name> <path>'
grep -q -- '--protocols' <<<"$out" && grep -q -- '--catalog' <<<"$out" && pass "install --help shows --protocols and --catalog" || fail "install --help shows --protocols and --catalog" "$out"
run remove --help; expect "remove --help" 0 'USAGE: ws2ctl remove <name\|id>'
run list --help; expect "list --help" 0 'USAGE: ws2ctl list .*--json'
run probe --help; expect "probe --help" 0 'USAGE: ws2ctl probe <path\|name>'
run help probe; expect "ws2ctl help probe" 0 'self-test'

# --- list with no catalog yet ---
run list; expect "list: missing catalog lists nothing" 0 "^no providers installed in $ini\$"
run list --json
check "list --json: missing catalog is valid JSON with no providers" \
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["providers"]==[] and d["catalog"]==sys.argv[2]' "$out" "$ini"

# --- install ---
run install tcpip "$lib"; expect "install tcpip" 0 "^installed 'tcpip' \(id 1\): $lib, protocols tcp, udp"
run install udp2 "$lib" --protocols udp --description "Second UDP" --entry ListenBacklogLimit=64
expect "install udp2 --protocols udp --entry" 0 "^installed 'udp2' \(id 2\).*protocols udp,"
check "catalog has [Providers] with NumProviders and ProviderKey<i>" \
    grep -qzP '\[Providers\]\nNumProviders=2\nProviderKey0="tcpip"\nProviderKey1="udp2"\n' "$ini"
check "catalog section has the §2.1.2.2 entries" \
    grep -qzP '\[Provider-tcpip\]\nProviderFilename="[^"]+"\nProviderDescription="tcpip"\nProviderDomain=2\nProviderAddrLength=16\nNumSockets=2\nSocketType0=1\nAddressFamily0=2\nProtocol0=6\nMinimumAddressLength0=16\nMaximumAddressLength0=16\nProtocolAttributes0=0x00001066\nProtocolSocketDescription0="TCP/IP"\n' "$ini"
check "the extra entry is in udp2's section" grep -qzP 'ProviderId=2\nListenBacklogLimit=64\n' "$ini"
( cd "$(dirname "$lib")" && "$ctl" install rel "./$(basename "$lib")" --protocols tcp >/dev/null )
check "a relative PATH is stored absolute" grep -q "^ProviderFilename=\"$lib\"" <(sed -n '/\[Provider-rel\]/,$p' "$ini")

# --- list ---
run list
expect "list: table header" 0 '^ID +NAME +PROTOCOLS +FILENAME$'
expect "list: tcpip row" 0 "^1 +tcpip +tcp,udp +$lib\$"
expect "list: udp2 row" 0 "^2 +udp2 +udp +$lib\$"
expect "list: rel row" 0 "^3 +rel +tcp +$lib\$"
run list --json
if python3 -m json.tool <<<"$out" >/dev/null; then pass "list --json parses with python3 -m json.tool"; else fail "list --json parses with python3 -m json.tool" "$out"; fi
check "list --json: names, ids, protocols, entries" python3 - "$out" "$ini" "$lib" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert d["catalog"] == sys.argv[2], d["catalog"]
ps = d["providers"]
assert [p["name"] for p in ps] == ["tcpip", "udp2", "rel"], ps
assert [p["id"] for p in ps] == [1, 2, 3]
assert [p["index"] for p in ps] == [0, 1, 2]
t = ps[0]
assert t["filename"] == sys.argv[3] and t["domain"] == 2 and t["addressLength"] == 16 and t["hasSection"]
assert [(e["socketType"], e["protocol"], e["serviceFlags"], e["messageSize"], e["description"]) for e in t["protocols"]] == \
    [(1, 6, 0x1066, 0, "TCP/IP"), (2, 17, 0x1609, 65507, "UDP/IP")], t["protocols"]
u = ps[1]
assert u["description"] == "Second UDP"
assert {"key": "ListenBacklogLimit", "value": "64"} in u["entries"], u["entries"]
PY

# --- errors of install ---
run install tcpip "$lib"; expect_error "install: duplicate name is refused (exit 1)" 1 "'tcpip' is already installed"
run install TCPIP "$lib"; expect_error "install: names ignore case" 1 "already installed"
run install abcdefghijklmnopqrstuvwxyz0123456 "$lib"; expect_error "install: a name over 32 characters (exit 1)" 1 "longer than 32"
run install 'a]b' "$lib"; expect_error "install: a name with ']' (exit 1)" 1 "contains"
run install x "$work/missing.so"; expect_error "install: missing file (exit 4)" 4 "cannot open $work/missing.so: No such file"
echo "not a library" >"$work/text.so"
run install x "$work/text.so"; expect_error "install: a file that is not a library (exit 4)" 4 "cannot load $work/text.so"
libm=$(ldconfig -p 2>/dev/null | awk '/libm\.so\.6 .*x86-64|libm\.so\.6 \(libc6,/ { print $NF; exit }')
[ -n "$libm" ] || libm=/lib/x86_64-linux-gnu/libm.so.6
run install x "$libm"; expect_error "install: a library that is no provider (exit 4)" 4 "is not a Winsock service provider: it does not export none|exports none|none of the 27"
cat >"$work/half.c" <<'C'
int WSPStartup(void) { return 0; }
int WSPCleanup(void) { return 0; }
int WSPSocket(void) { return 0; }
C
if $cc -shared -fPIC -o "$work/half.so" "$work/half.c" 2>"$work/cc.log"; then
    run install x "$work/half.so"
    expect_error "install: a library missing entry points names them (exit 4)" 4 "does not export WSPAccept, WSPAsyncSelect32, WSPBind, WSPCallbackSelect16 and 20 more"
    run probe "$work/half.so"; expect_error "probe: a library missing entry points (exit 4)" 4 "is not a Winsock service provider"
else
    fail "compile a partial provider with $cc" "$(cat "$work/cc.log")"
fi
run install x "$lib" --protocols tcp,ipx; expect_error "install: unknown protocol (exit 64)" 64 "unknown protocol 'ipx'"
run install x "$lib" --protocols tcp,tcp; expect_error "install: a protocol twice (exit 64)" 64 "given twice"
run install x "$lib" --entry NoEquals; expect_error "install: --entry without = (exit 64)" 64 "not KEY=VALUE"
run install x "$lib" --entry ProviderId=7; expect_error "install: --entry of a standard key (exit 1)" 1 "written by the install"
run install; expect "install without arguments is a usage error (exit 64)" 64
run install x "$work/missing.so" --no-verify --protocols tcp; expect "install --no-verify takes a missing file" 0 "^installed 'x'"
run probe x; expect_error "probe: installed name whose file is missing (exit 4)" 4 "cannot open $work/missing.so"

# --- remove ---
run remove udp2; expect "remove by name" 0 "^removed 'udp2' \(id 2\) from $ini\$"
check "remove renumbers ProviderKey<i>" \
    grep -qzP '\[Providers\]\nNumProviders=3\nProviderKey0="tcpip"\nProviderKey1="rel"\nProviderKey2="x"\n' "$ini"
check "the removed section is gone" bash -c "! grep -q 'Provider-udp2' '$ini'"
run remove 3; expect "remove by id" 0 "^removed 'rel' \(id 3\)"
run list; expect "list after removes" 0 "^1 +tcpip +tcp,udp"
grep -q rel <<<"$out" && fail "rel is no longer listed" "$out" || pass "rel is no longer listed"
run remove udp2; expect_error "remove: unknown name (exit 1)" 1 "no installed provider named 'udp2'"
run remove 999; expect_error "remove: unknown id (exit 1)" 1 "no installed provider with id or name '999' in $ini"
run remove; expect "remove without argument is a usage error (exit 64)" 64
run remove x; expect "remove x" 0 "^removed 'x'"

# --- probe ---
run probe "$lib"
expect "probe PATH: exit 0" 0 "^library +$lib\$"
expect "probe: every entry point exported" 0 "^entry points +all 27 WSP entry points exported$"
expect "probe: version" 0 '^version +2\.0 \(highest 2\.0\)$'
expect "probe: description" 0 '^description +[^ ].*'
expect "probe: limits" 0 '^limits +iMaxSockets [0-9]+, iMaxUdpDg 512$'
expect "probe: loopback self-test" 0 '^self-test +ok: tcp: socket, bind, listen, connect, accept, send, recv, close over 127\.0\.0\.1:[0-9]+$'
expect "probe: WSPCleanup" 0 '^cleanup +ok$'
run probe tcpip; expect "probe NAME from the catalog" 0 "^provider +tcpip \(id 1\) from $ini\$"
run probe tcpip --no-self-test
expect "probe --no-self-test" 0 '^cleanup +ok$'
grep -q self-test <<<"$out" && fail "probe --no-self-test skips the exchange" "$out" || pass "probe --no-self-test skips the exchange"
run probe nosuch; expect_error "probe: unknown name (exit 4)" 4 "no provider named 'nosuch'"
run probe "$work/text.so"; expect_error "probe: not a library (exit 4)" 4 "cannot load"
run probe "$libm"; expect_error "probe: not a provider (exit 4)" 4 "not a Winsock service provider"

# --- probe: providers that fail after loading ---
# A fake provider: every entry point exported; WSPStartup and WSPSocket
# behave as $FAKE_MODE says (s: WSPStartup fails, h: WSPSocket hangs, else
# WSPSocket fails with WSAENETDOWN). The stubs are in a file without the
# header, so their made-up signatures clash with nothing.
cat >"$work/fake-stubs.c" <<'C'
#define STUB(n) int n(void) { return -1; }
STUB(WSPAccept) STUB(WSPAsyncSelect32) STUB(WSPBind) STUB(WSPCallbackSelect16) STUB(WSPCancelBlockingCall32)
STUB(WSPCloseSocket) STUB(WSPConnect) STUB(WSPEnumNetworkEvents) STUB(WSPEventSelect)
STUB(WSPGetPeerName) STUB(WSPGetSockName) STUB(WSPGetSockOpt) STUB(WSPIoctlSocket) STUB(WSPIsBlocking32)
STUB(WSPListen) STUB(WSPRecv) STUB(WSPRecvFrom) STUB(WSPSelect) STUB(WSPSend) STUB(WSPSendTo)
STUB(WSPSetBlockingHook32) STUB(WSPSetSockOpt) STUB(WSPShutdown) STUB(WSPUnhookBlockingHook32)
C
cat >"$work/fake-main.c" <<'C'
#include <ws2spi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static char mode(void) { const char *m = getenv("FAKE_MODE"); return m ? m[0] : 'f'; }
int WSPAPI WSPStartup(WORD v, LPWSADATA d) {
    if (mode() == 's') return WSASYSNOTREADY;
    memset(d, 0, sizeof *d);
    d->wVersion = v; d->wHighVersion = 0x0002; d->iMaxSockets = 7; d->iMaxUdpDg = 512;
    strcpy(d->szDescription, "fake provider"); strcpy(d->szSystemStatus, "Running");
    return 0;
}
int WSPAPI WSPCleanup(LPCLEANUPPROC p, DWORD c, int *e) { (void)p; (void)c; (void)e; return 0; }
SOCKET WSPAPI WSPSocket(int af, int t, int p, DWORD id, int f, int *e) {
    (void)af; (void)t; (void)p; (void)id; (void)f;
    if (mode() == 'h') for (;;) pause();
    *e = WSAENETDOWN;
    return INVALID_SOCKET;
}
C
if $cc -shared -fPIC -I"$top/include" -o "$work/fake.so" "$work/fake-main.c" "$work/fake-stubs.c" 2>"$work/cc.log"; then
    # expect_failure NAME RC STDERR-REGEX: exit RC with one "ws2ctl: error:" line (stdout may have the probe's rows).
    expect_failure() {
        if [ "$rc" -ne "$2" ]; then fail "$1" "exit $rc, expected $2; stdout: $out; stderr: $err"; return; fi
        if [ "$(wc -l <"$work/err")" -ne 1 ] || ! grep -Eq -- "^ws2ctl: error: .*$3" <<<"$err"; then fail "$1" "stderr: $err"; return; fi
        pass "$1"
    }
    run install fake "$work/fake.so" --protocols tcp; expect "install a provider that exports every entry point" 0 "^installed 'fake'"
    FAKE_MODE=f run probe fake
    expect_failure "probe: self-test fails at WSPSocket (exit 5)" 5 "self-test of tcp failed at WSPSocket: error 10050"
    grep -Eq '^cleanup +ok$' <<<"$out" && pass "probe: WSPCleanup after a failed self-test" \
        || fail "probe: WSPCleanup after a failed self-test" "$out"
    FAKE_MODE=f run probe fake --no-self-test; expect "probe --no-self-test of the fake provider" 0 '^description +fake provider$'
    FAKE_MODE=s run probe fake; expect_failure "probe: WSPStartup fails (exit 4)" 4 "WSPStartup\(2\.0\) failed with error 10091"
    start=$(date +%s%N)
    FAKE_MODE=h run probe fake --timeout 1
    elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
    expect_failure "probe: a hanging provider is stopped by --timeout (exit 5)" 5 "did not finish in time"
    [ "$elapsed" -lt 5000 ] && pass "probe --timeout 1 ends within seconds ($elapsed ms)" || fail "probe --timeout 1 ends within seconds" "$elapsed ms"
    FAKE_MODE=f run check fake; expect_failure "check: a provider that breaks the rules fails its checks (exit 5)" 5 "checks failed"
    grep -q "^not ok - WSPSocket before WSPStartup is WSANOTINITIALISED: returned -1, error 10050" <<<"$out" \
        && pass "check: each failed check says what came back" || fail "check: each failed check says what came back" "$out"
    run remove fake; expect "remove fake" 0 "^removed 'fake'"
else
    fail "compile a fake provider with $cc" "$(cat "$work/cc.log")"
fi

# --- --catalog and the default ---
other=$work/other.ini
run install solo "$lib" --catalog "$other"; expect "install --catalog FILE" 0 "in $other\$"
run list --catalog "$other"; expect "list --catalog FILE" 0 "^1 +solo "
grep -q solo "$ini" && fail "--catalog does not touch \$WINSOCK2_INI" || pass "--catalog does not touch \$WINSOCK2_INI"
run remove solo --catalog "$other"; expect "remove --catalog FILE" 0 "^removed 'solo'"
out=$(env -u WINSOCK2_INI "$ctl" list --json 2>&1); rc=$?
python3 -c 'import json,sys; assert json.loads(sys.argv[1])["catalog"]=="/etc/winsock2.ini"' "$out" 2>/dev/null \
    && pass "without WINSOCK2_INI the catalog is /etc/winsock2.ini" || fail "without WINSOCK2_INI the catalog is /etc/winsock2.ini" "$out"

# --- foreign content survives ---
cat >"$work/foreign.ini" <<'INI'
; written by another installer
[Providers]
NumProviders=1
ProviderKey0="novlwp"

[Provider-novlwp]
ProviderFilename="novlwp.WPSP"
 ProviderDomain=2
MinimumAddressLength0 = 16
ProtocolSocketDescription0="Stream socket in INET domain"

[Other Vendor]
Setting = 'kept'
INI
cp "$work/foreign.ini" "$work/f.ini"
run install tcpip "$lib" --catalog "$work/f.ini"; expect "install into a catalog written by others" 0 "\(id 1\)"
run list --catalog "$work/f.ini"; expect "list shows the foreign provider without an id" 0 '^- +novlwp +- +novlwp\.WPSP$'
run remove tcpip --catalog "$work/f.ini"
check "install + remove give the foreign file back byte for byte" cmp -s "$work/foreign.ini" "$work/f.ini"

# --- a locked catalog ---
python3 - "$ini.lock" >"$work/locker.out" <<'PY' &
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(10)
PY
locker=$!
for _ in $(seq 100); do grep -q locked "$work/locker.out" && break; sleep 0.05; done
start=$(date +%s%N)
run install late "$lib" --lock-timeout 0.5
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_error "install: locked catalog (exit 3)" 3 "locked by another process"
[ "$elapsed" -ge 450 ] && [ "$elapsed" -lt 5000 ] && pass "the lock is waited for --lock-timeout ($elapsed ms)" || fail "the lock is waited for --lock-timeout" "$elapsed ms"
run remove tcpip --lock-timeout 0; expect_error "remove: locked catalog (exit 3)" 3 "locked"
run list; expect "list reads a locked catalog" 0 "^1 +tcpip"
kill "$locker" 2>/dev/null; wait "$locker" 2>/dev/null; locker=
run install late "$lib"; expect "install once the lock is free" 0 "^installed 'late'"
run install -- late2 "$lib" --lock-timeout -1; expect "a negative --lock-timeout is a usage error (exit 64)" 64

# --- an unreadable catalog ---
mkdir "$work/dir.ini"
run list --catalog "$work/dir.ini"; expect_error "list: unreadable catalog (exit 2)" 2 "cannot read $work/dir.ini"
run install y "$lib" --catalog "$work/dir.ini"; expect_error "install: unreadable catalog (exit 2)" 2 "$work/dir.ini"
run install y "$lib" --catalog "$work/no/such/dir/w.ini"; expect_error "install: catalog directory missing (exit 2)" 2 "No such file or directory"
run remove tcpip --catalog "$work/dir.ini"; expect_error "remove: unreadable catalog (exit 2)" 2 "$work/dir.ini"
run probe tcpip --catalog "$work/dir.ini"; expect_error "probe NAME: unreadable catalog (exit 2)" 2 "$work/dir.ini"

# --- permissions: as an unprivileged user (root runs these as nobody) ---
pub=$(mktemp -d "${TMPDIR:-/tmp}/ws2ctl-perm.XXXXXX"); chmod 755 "$pub"
as_user() { if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi; }
# run_user ARGS...: like run, as that user.
run_user() { as_user "$ctl" "$@" >"$work/out" 2>"$work/err"; rc=$?; out=$(cat "$work/out"); err=$(cat "$work/err"); }
if [ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null; then
    "$ctl" install tcpip "$lib" --catalog "$pub/w.ini" >/dev/null
    printf '[Providers]\nNumProviders=0\n' >"$pub/secret.ini"; chmod 000 "$pub/secret.ini"
    run_user list --catalog "$pub/secret.ini"; expect_error "list: permission denied (exit 2)" 2 "cannot open $pub/secret.ini: Permission denied"
    chmod 444 "$pub/w.ini" "$pub/w.ini.lock"; [ "$(id -u)" -eq 0 ] || chmod 555 "$pub"
    run_user list --catalog "$pub/w.ini"; expect "list: a read-only catalog is listed" 0 "^1 +tcpip "
    run_user install other "$lib" --catalog "$pub/w.ini"; expect_error "install: read-only directory (exit 2)" 2 "Permission denied"
    run_user remove tcpip --catalog "$pub/w.ini"; expect_error "remove: read-only directory (exit 2)" 2 "Permission denied"
    chmod 777 "$pub"; chmod 666 "$pub/w.ini.lock"
    run_user install other "$lib" --catalog "$pub/w.ini"; expect_error "install: read-only catalog file in a writable directory (exit 2)" 2 "cannot write $pub/w.ini: Permission denied"
    run_user remove tcpip --catalog "$pub/w.ini"; expect_error "remove: read-only catalog file (exit 2)" 2 "cannot write $pub/w.ini: Permission denied"
    check "the read-only catalog is unchanged" grep -q '^ProviderKey0="tcpip"$' "$pub/w.ini"
    chmod -R u+rwX "$pub"
else
    echo "# skipped: permission checks need setpriv when run as root"
fi
rm -rf "$pub"

# The conformance kit on the TCP/IP provider, by path (its own protocols).
run check "$lib"; expect "check: the TCP/IP provider passes every check" 0 "^[0-9]+ passed, 0 failed$"
grep -q "^ok - udp: a datagram socket's FD_WRITE sets the host's event at once$" <<<"$out" \
    && pass "check: per-protocol checks ran" || fail "check: per-protocol checks ran" "$out"
grep -q "^ok - udp: its completion routine runs in SleepEx with the bytes$" <<<"$out" \
    && pass "check: overlapped completion through the host (event and routine)" \
    || fail "check: overlapped completion through the host (event and routine)" "$out"

# The AF_UNIX provider (libws2unix.so.2, installed beside libws2spi.so.2):
# installed by protocol name, listed, probed (a stream exchange and a
# datagram each way over abstract names) and checked.
ulib=$(dirname "$lib")/libws2unix.so.2
if [ -f "$ulib" ]; then
    rm -f "$ini" "$ini.lock"
    run install unix "$ulib" --protocols unix-stream,unix-dgram
    expect "install --protocols unix-stream,unix-dgram" 0 "protocols unix-stream, unix-dgram"
    check "install: AF_UNIX entries in the catalog" grep -q '^AddressFamily0=1$' "$ini"
    check "install: SOCKADDR_UN's lengths (110 at most, the family field at least)" \
        grep -q '^MaximumAddressLength1=110$' "$ini"
    run list; expect "list: the AF_UNIX provider's protocols" 0 "unix +unix-stream,unix-dgram "
    run probe unix
    expect "probe: the AF_UNIX stream exchange" 0 '^self-test +ok: unix-stream: socket, bind, listen, connect, accept, send, recv, close over @ws2ctl-'
    expect "probe: AF_UNIX datagrams each way" 0 '^self-test +ok: unix-dgram: socket, bind, sendto, recvfrom, close over @ws2ctl-'
    expect "probe: the AF_UNIX provider's description" 0 '^description +ws2spi AF_UNIX service provider'
    run probe "$ulib" --protocol af=unix,type=stream
    expect "probe PATH --protocol: the declared protocol's self-test" 0 '^self-test +ok: unix-stream: '
    run check unix; expect "check: the AF_UNIX provider passes every check" 0 "^[0-9]+ passed, 0 failed$"
    grep -q "^ok - unix-stream: the overlapped WSPRecv completes through the host's event$" <<<"$out" \
        && pass "check: AF_UNIX stream checks ran" || fail "check: AF_UNIX stream checks ran" "$out"
    grep -q "^ok - unix-dgram: its completion routine runs in SleepEx with the bytes$" <<<"$out" \
        && pass "check: AF_UNIX overlapped datagrams ran" || fail "check: AF_UNIX overlapped datagrams ran" "$out"
    run check "$lib"
    grep -q "^ok - tcp: FD_CLOSE after the peer's shutdown$" <<<"$out" \
        && pass "check: TCP stream checks ran" || fail "check: TCP stream checks ran" "$out"
    run probe "$ulib"; expect "probe: the AF_UNIX provider without protocols fails the TCP self-test (exit 5)" 5 "^cleanup +ok$"
else
    fail "the AF_UNIX provider is not installed beside $lib"
fi

# Any family: --protocol SPEC, and probe's self-test following the
# protocols the catalog declares (the tests' memory provider, family
# 0x7E57; `make test-provider`).
mem=${WS2SPI_TEST_PROVIDER:-$top/build/test-provider/libws2memtest.so.2}
if [ -f "$mem" ]; then
    rm -f "$ini" "$ini.lock"
    run install mem "$mem" --protocol "af=0x7E57,type=dgram,desc=memory datagrams"
    expect "install --protocol: a provider of another family" 0 "protocols af32343/dgram:0"
    check "install --protocol: the entry's numbers in the catalog" grep -q '^AddressFamily0=32343$' "$ini"
    check "install --protocol: connectionless, message-oriented by default" grep -q '^ProtocolAttributes0=0x00000009$' "$ini"
    check "install --protocol: the description" grep -q '^ProtocolSocketDescription0="memory datagrams"$' "$ini"
    run list; expect "list: any family" 0 "mem +af32343/dgram:0 "
    run probe mem; expect "probe: the self-test follows the declared protocols" 0 "self-test +ok: af32343/dgram:0: socket, close"
    run check mem; expect "check: the memory provider passes every check for its family" 0 "^[0-9]+ passed, 0 failed$"
    run install tcp2 "$lib" --protocol "af=inet,type=stream,protocol=6,flags=0x1066,desc=TCP/IP" --protocol "af=unix,type=stream"
    expect "install: two --protocol entries" 0 "protocols tcp, unix-stream"
    run probe tcp2; expect "probe: a declared protocol the provider does not serve fails its self-test (exit 5)" 5 "self-test +ok: tcp: socket, bind, listen"
    check "probe: the failing protocol and its error are named" grep -q "self-test of unix-stream failed at WSPSocket: error 10047" "$work/err"
    run install x "$lib" --protocol "af=2"; expect_error "install --protocol: type= is required (exit 64)" 64 "type= is required"
    run install x "$lib" --protocol "af=2,type=dgram,bogus=1"; expect_error "install --protocol: an unknown key (exit 64)" 64 "unknown key 'bogus'"
    run install x "$lib" --protocol "af=two,type=dgram"; expect_error "install --protocol: not a number (exit 64)" 64 "af=two is not a number"
    run install x "$lib" --protocol "af=2,type=dgram,minaddr=20,maxaddr=16"; expect_error "install --protocol: minaddr above maxaddr (exit 64)" 64 "minaddr must be"
else
    fail "the tests' memory provider is missing: $mem (make test-provider)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
