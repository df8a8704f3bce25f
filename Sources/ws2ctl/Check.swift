// ws2ctl check PROVIDER: the SPI checks that apply to any provider, run
// against its library through its exported entry points, as a provider
// author's conformance kit. One line per check, then "N passed, M failed".
import ArgumentParser
import Glibc
import CWS2SPI
import WS2Catalog

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the SPI conformance checks that apply to any provider.",
        discussion: """
            Start-up and clean-up negotiation (WSANOTINITIALISED before WSPStartup and after the \
            last WSPCleanup, WSAVERNOTSUPPORTED, WSAEFAULT), handle validity (distinct SOCKET \
            values, WSAENOTSOCK for closed, garbage and upcall handles), errors for bad arguments \
            (unknown family or type, NULL and low lpErrno), and for each declared protocol: \
            sockets made and closed, WSPEventSelect's handle check, and FD_WRITE set on the \
            host's event at once for a datagram socket; for AF_INET and AF_UNIX datagrams, an \
            overlapped receive completed through the host's event and through a completion \
            routine; for AF_INET and AF_UNIX streams, FD_ACCEPT, FD_CONNECT, FD_READ and FD_CLOSE \
            on the host's events and an overlapped receive. The \
            protocols are the catalog's for a provider given by name, else --protocol \
            (as for install), else the TCP/IP provider's. Exit status 0 when every check passed, \
            5 otherwise.
            """)

    @Argument(help: ArgumentHelp("A provider library, or the name of an installed provider.", valueName: "path|name"))
    var provider: String

    @Option(name: .customLong("protocol"), parsing: .singleValue, help: ArgumentHelp(
        "A protocol the provider serves, as for install (repeatable).", valueName: "SPEC"))
    var protocolSpecs: [String] = []

    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        try reportingFailures {
            let (path, source, declared) = try resolveProvider(provider, catalog: catalog)
            var protocols = try declared ?? protocolSpecs.map(ProtocolSpec.parse)
            if protocols.isEmpty { protocols = TCPIPProtocols.all }
            if let source { say("# provider \(source)") }
            say("# library \(path): protocols \(protocols.map(protocolLabel).joined(separator: ", "))")
            // The provider may crash on a check: the checks run in a child,
            // which counts in shared memory, so a crash is one more failure.
            let counts = mmap(nil, 8, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)!
                .bindMemory(to: Int32.self, capacity: 2)
            counts[0] = 0; counts[1] = 0
            fflush(nil)
            let pid = fork()
            if pid == 0 {
                signal(SIGALRM, SIG_DFL)
                alarm(60)
                guard let library = try? Library.open(path) else { _exit(4) }
                let kit = Conformance(p: library.procs, counts: counts)
                kit.runAll(protocols)
                fflush(nil)
                _exit(0)
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            if status & 0x7F != 0 {
                say("not ok - the provider crashed (signal \(status & 0x7F)) in the check after the last line")
                counts[1] += 1
            } else if (status >> 8) & 0xFF == 4 {
                _ = try Library.open(path)   // reports why it cannot be loaded
            }
            let (passed, failed) = (counts[0], counts[1])
            say("\(passed) passed, \(failed) failed")
            if failed > 0 { throw Failure("\(failed) of \(passed + failed) checks failed", status: Failure.selfTest) }
        }
    }
}

/// The checks, through one library's entry points and libws2_32's services.
final class Conformance {
    let p: WS2HOST_PROCS
    /// passed, failed: in memory the parent shares.
    let counts: UnsafeMutablePointer<Int32>

    init(p: WS2HOST_PROCS, counts: UnsafeMutablePointer<Int32>) { self.p = p; self.counts = counts }

    /// One result line, written at once (the next check may crash the process).
    func check(_ name: String, _ ok: Bool, _ detail: @autoclosure () -> String = "") {
        if ok { counts[0] += 1; say("ok - \(name)") } else { counts[1] += 1; say("not ok - \(name)" + (detail().isEmpty ? "" : ": \(detail())")) }
        fflush(nil)
    }

    /// A call's result and *lpErrno.
    func call(_ body: (UnsafeMutablePointer<Int32>) -> Int32) -> (Int32, Int32) {
        var err: Int32 = 0x7EAD_BEEF
        let r = body(&err)
        return (r, err)
    }

    func fails(_ name: String, with code: Int32, _ body: (UnsafeMutablePointer<Int32>) -> Int32) {
        let (r, err) = call(body)
        check(name, r == SOCKET_ERROR && err == code, "returned \(r), error \(err), expected \(code)")
    }

    func runAll(_ protocols: [ProtocolEntry]) {
        let first = protocols[0]
        // Start-up and clean-up.
        fails("WSPSocket before WSPStartup is WSANOTINITIALISED", with: Int32(WSANOTINITIALISED)) { e in
            p.lpWSPSocket!(first.addressFamily, first.socketType, first.protocol, 0, 0, e) == INVALID_SOCKET ? SOCKET_ERROR : 0
        }
        fails("WSPCleanup before WSPStartup is WSANOTINITIALISED", with: Int32(WSANOTINITIALISED)) { p.lpWSPCleanup!(nil, 0, $0) }
        var data = WSADATA()
        check("WSPStartup(0.0) is WSAVERNOTSUPPORTED", p.lpWSPStartup!(0, &data) == Int32(WSAVERNOTSUPPORTED))
        check("WSPStartup(2.0, NULL) is WSAEFAULT", p.lpWSPStartup!(ws2spi_makeword(2, 0), nil) == Int32(WSAEFAULT))
        let rc = p.lpWSPStartup!(ws2spi_makeword(2, 0), &data)
        check("WSPStartup(2.0) succeeds", rc == 0, "error \(rc)")
        guard rc == 0 else { return }
        let v = (data.wVersion & 0xFF, data.wVersion >> 8), h = (data.wHighVersion & 0xFF, data.wHighVersion >> 8)
        check("the negotiated version is at most 2.0, and wHighVersion at least it", v <= (2, 0) && v >= (1, 1) && h >= v,
              "wVersion \(v.0).\(v.1), wHighVersion \(h.0).\(h.1)")
        // Arguments.
        fails("an unknown family is WSAEAFNOSUPPORT", with: Int32(WSAEAFNOSUPPORT)) { e in
            p.lpWSPSocket!(12345, first.socketType, 0, 0, 0, e) == INVALID_SOCKET ? SOCKET_ERROR : 0
        }
        fails("an unknown socket type is WSAESOCKTNOSUPPORT", with: Int32(WSAESOCKTNOSUPPORT)) { e in
            p.lpWSPSocket!(first.addressFamily, 77, 0, 0, 0, e) == INVALID_SOCKET ? SOCKET_ERROR : 0
        }
        fails("a garbage handle is WSAENOTSOCK", with: Int32(WSAENOTSOCK)) { p.lpWSPCloseSocket!(0x7FFF_FF01, $0) }
        check("a NULL lpErrno is not written", p.lpWSPCloseSocket!(0x7FFF_FF01, nil) == SOCKET_ERROR)
        check("a low lpErrno is not written", p.lpWSPCloseSocket!(0x7FFF_FF01, UnsafeMutablePointer(bitPattern: 0x40)) == SOCKET_ERROR)
        if let host = HostLibrary() {
            var err: Int32 = 0
            let u = host.createSocketHandle(0, nil, &err)
            fails("an upcall socket handle is WSAENOTSOCK to the provider", with: Int32(WSAENOTSOCK)) { p.lpWSPCloseSocket!(u, $0) }
            _ = host.closeSocketHandle(u, &err)
        }
        for entry in protocols { protocolChecks(entry) }
        // Clean-up.
        let (r, err) = call { p.lpWSPCleanup!(nil, 0, $0) }
        check("WSPCleanup succeeds", r == 0, "error \(err)")
        fails("WSPSocket after the last WSPCleanup is WSANOTINITIALISED", with: Int32(WSANOTINITIALISED)) { e in
            p.lpWSPSocket!(first.addressFamily, first.socketType, first.protocol, 0, 0, e) == INVALID_SOCKET ? SOCKET_ERROR : 0
        }
        fails("a second WSPCleanup is WSANOTINITIALISED", with: Int32(WSANOTINITIALISED)) { p.lpWSPCleanup!(nil, 0, $0) }
    }

    func protocolChecks(_ e: ProtocolEntry) {
        let label = protocolLabel(e)
        var err: Int32 = 0
        let a = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        let b = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        check("\(label): WSPSocket makes sockets", a != INVALID_SOCKET && b != INVALID_SOCKET, "error \(err)")
        guard a != INVALID_SOCKET, b != INVALID_SOCKET else { return }
        check("\(label): two sockets have different values", a != b)
        if let host = HostLibrary() {
            eventChecks(label, e, a, host)
            if TestAddress.local(family: e.addressFamily) != nil {
                if e.socketType == WS_SOCK_DGRAM { overlappedChecks(label, e, host) }
                if e.socketType == WS_SOCK_STREAM { streamChecks(label, e, host) }
            }
        }
        check("\(label): WSPCloseSocket closes", p.lpWSPCloseSocket!(b, &err) == 0, "error \(err)")
        fails("\(label): a closed socket is WSAENOTSOCK", with: Int32(WSAENOTSOCK)) { p.lpWSPCloseSocket!(b, $0) }
        _ = p.lpWSPCloseSocket!(a, &err)
    }

    /// Datagrams over a local address (AF_INET, AF_UNIX): an overlapped
    /// WSPRecvFrom completed through the host's event (WSAGetOverlappedResult)
    /// and through a completion routine run by the host's SleepEx.
    func overlappedChecks(_ label: String, _ e: ProtocolEntry, _ host: HostLibrary) {
        var err: Int32 = 0
        let r = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, Int32(WSA_FLAG_OVERLAPPED), &err)
        let w = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        defer { _ = p.lpWSPCloseSocket!(r, &err); _ = p.lpWSPCloseSocket!(w, &err) }
        guard r != INVALID_SOCKET, w != INVALID_SOCKET else { return check("\(label): overlapped sockets", false, "error \(err)") }
        var address = TestAddress.local(family: e.addressFamily)!
        let bound = address.with { p.lpWSPBind!(r, $0, $1.pointee, &err) == 0 && p.lpWSPGetSockName!(r, $0, $1, &err) == 0 }
        guard bound else { return check("\(label): bind to \(address.label)", false, "error \(err)") }
        func send(_ text: String) -> Bool {
            var bytes = Array(text.utf8)
            var sent: DWORD = 0
            return address.with { p.lpWSPSendTo!(w, &bytes, DWORD(bytes.count), &sent, 0, $0, $1.pointee, nil, nil, &err) == 0 }
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        let o = UnsafeMutablePointer<WSAOVERLAPPED>.allocate(capacity: 1)
        defer { buffer.deallocate(); o.deallocate() }
        // Through the event.
        guard let ev = host.createEvent() else { return }
        defer { _ = host.closeEvent(ev) }
        o.initialize(to: WSAOVERLAPPED())
        o.pointee.hEvent = ev
        var got: DWORD = 0, flags: Int32 = 0
        let posted = p.lpWSPRecvFrom!(r, buffer, 64, &got, &flags, nil, nil, o, nil, &err)
        check("\(label): an overlapped WSPRecvFrom is pending (WSA_IO_PENDING)", posted == SOCKET_ERROR && err == WSA_IO_PENDING,
              "returned \(posted), error \(err)")
        guard posted == SOCKET_ERROR && err == WSA_IO_PENDING, send("overlapped") else { return }
        var list: [WSAEVENT?] = [ev]
        check("\(label): its completion sets the event", host.wait(1, &list, 0, 2000, 0) == WSA_WAIT_EVENT_0)
        var n: DWORD = 0, f: DWORD = 0
        check("\(label): WSAGetOverlappedResult reports the datagram",
              host.overlappedResult(r, o, &n, 1, &f) != 0 && n == 10 && o.pointee.Internal == 0, "\(n) bytes, status \(o.pointee.Internal)")
        // Through a completion routine, run by SleepEx on this thread.
        o.initialize(to: WSAOVERLAPPED())
        Conformance.routineRan = 0
        let routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE = { error, bytes, _ in
            Conformance.routineRan = error == 0 && bytes == 7 ? 1 : 2
        }
        let again = p.lpWSPRecvFrom!(r, buffer, 64, &got, &flags, nil, nil, o, routine, &err)
        guard (again == 0 || err == WSA_IO_PENDING), send("routine") else {
            return check("\(label): an overlapped WSPRecvFrom with a completion routine", false, "error \(err)")
        }
        var slept = 0
        while Conformance.routineRan == 0 && slept < 20 { _ = host.sleep(100, 1); slept += 1 }
        check("\(label): its completion routine runs in SleepEx with the bytes", Conformance.routineRan == 1)
    }
    nonisolated(unsafe) static var routineRan = 0

    /// Streams over a local address (AF_INET, AF_UNIX): FD_ACCEPT and
    /// FD_CONNECT on the host's events, an overlapped WSPRecv completed
    /// through the host's event, FD_READ, and FD_CLOSE after the peer's close.
    func streamChecks(_ label: String, _ e: ProtocolEntry, _ host: HostLibrary) {
        var err: Int32 = 0
        let l = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        let c = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, Int32(WSA_FLAG_OVERLAPPED), &err)
        defer { _ = p.lpWSPCloseSocket!(l, &err); _ = p.lpWSPCloseSocket!(c, &err) }
        guard l != INVALID_SOCKET, c != INVALID_SOCKET else { return check("\(label): stream sockets", false, "error \(err)") }
        var address = TestAddress.local(family: e.addressFamily)!
        let listening = address.with { p.lpWSPBind!(l, $0, $1.pointee, &err) == 0 && p.lpWSPGetSockName!(l, $0, $1, &err) == 0 }
            && p.lpWSPListen!(l, 4, &err) == 0
        guard listening else { return check("\(label): a listener on \(address.label)", false, "error \(err)") }
        guard let ev = host.createEvent(), let cev = host.createEvent(), let oev = host.createEvent() else { return }
        defer { _ = host.closeEvent(ev); _ = host.closeEvent(cev); _ = host.closeEvent(oev) }
        /// Waits for `event` and reads `s`'s records: the FD_* bits that fired with error 0.
        func fired(_ s: SOCKET, _ event: WSAEVENT) -> Int32 {
            var list: [WSAEVENT?] = [event]
            guard host.wait(1, &list, 0, 2000, 0) == WSA_WAIT_EVENT_0 else { return 0 }
            var records = [WSANETWORKEVENT](repeating: WSANETWORKEVENT(), count: Int(FD_MAX_EVENTS))
            var count = Int32(FD_MAX_EVENTS)
            guard p.lpWSPEnumNetworkEvents!(s, event, &records, &count, &err) == 0 else { return 0 }
            var bits: Int32 = 0
            for (i, r) in records.enumerated() where r.Fired != 0 && r.ErrorCode == 0 { bits |= 1 << i }
            return bits
        }
        check("\(label): WSPEventSelect(FD_ACCEPT) on a listener", p.lpWSPEventSelect!(l, ev, FD_ACCEPT, &err) == 0, "error \(err)")
        check("\(label): WSPEventSelect(FD_CONNECT) on a client", p.lpWSPEventSelect!(c, cev, FD_CONNECT, &err) == 0, "error \(err)")
        let connect = address.with { p.lpWSPConnect!(c, $0, $1.pointee, nil, nil, 0, nil, nil, &err) }
        check("\(label): a non-blocking WSPConnect is WSAEWOULDBLOCK", connect == SOCKET_ERROR && err == WSAEWOULDBLOCK,
              "returned \(connect), error \(err)")
        check("\(label): FD_CONNECT sets the host's event", fired(c, cev) & FD_CONNECT != 0)
        check("\(label): FD_ACCEPT sets the host's event", fired(l, ev) & FD_ACCEPT != 0)
        let s = p.lpWSPAccept!(l, nil, nil, nil, 0, &err)
        check("\(label): WSPAccept takes the connection", s != INVALID_SOCKET, "error \(err)")
        guard s != INVALID_SOCKET else { return }
        defer { _ = p.lpWSPCloseSocket!(s, &err) }
        _ = p.lpWSPEventSelect!(c, nil, 0, &err)
        // An overlapped receive on the client, completed by the server's send.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        let o = UnsafeMutablePointer<WSAOVERLAPPED>.allocate(capacity: 1)
        defer { buffer.deallocate(); o.deallocate() }
        o.initialize(to: WSAOVERLAPPED())
        o.pointee.hEvent = oev
        var got: DWORD = 0, flags: Int32 = 0, sent: DWORD = 0
        let posted = p.lpWSPRecv!(c, buffer, 64, &got, &flags, o, nil, &err)
        check("\(label): an overlapped WSPRecv is pending (WSA_IO_PENDING)", posted == SOCKET_ERROR && err == WSA_IO_PENDING,
              "returned \(posted), error \(err)")
        var text = Array("stream".utf8)
        check("\(label): WSPSend on the accepted socket", p.lpWSPSend!(s, &text, 6, &sent, 0, nil, nil, &err) == 0 && sent == 6,
              "error \(err)")
        var list: [WSAEVENT?] = [oev]
        var n: DWORD = 0, f: DWORD = 0
        check("\(label): the overlapped WSPRecv completes through the host's event",
              host.wait(1, &list, 0, 2000, 0) == WSA_WAIT_EVENT_0 && host.overlappedResult(c, o, &n, 0, &f) != 0 && n == 6)
        // FD_READ, then FD_CLOSE once the client is gone.
        guard let sev = host.createEvent() else { return }
        defer { _ = host.closeEvent(sev) }
        check("\(label): WSPEventSelect(FD_READ | FD_CLOSE)", p.lpWSPEventSelect!(s, sev, FD_READ | FD_CLOSE, &err) == 0, "error \(err)")
        check("\(label): WSPSend from the client", p.lpWSPSend!(c, &text, 6, &sent, 0, nil, nil, &err) == 0, "error \(err)")
        check("\(label): FD_READ sets the host's event", fired(s, sev) & FD_READ != 0)
        _ = p.lpWSPRecv!(s, buffer, 64, &got, &flags, nil, nil, &err)
        _ = p.lpWSPShutdown!(c, SD_SEND, &err)
        check("\(label): FD_CLOSE after the peer's shutdown", fired(s, sev) & FD_CLOSE != 0)
    }

    func eventChecks(_ label: String, _ e: ProtocolEntry, _ s: SOCKET, _ host: HostLibrary) {
        var err: Int32 = 0
        guard let gone = host.createEvent() else { return }
        _ = host.closeEvent(gone)
        let (r, code) = call { p.lpWSPEventSelect!(s, gone, FD_READ, $0) }
        if r == SOCKET_ERROR && code == Int32(WSAEOPNOTSUPP) {
            say("# \(label): WSPEventSelect not supported: its checks skipped")
            return
        }
        check("\(label): WSPEventSelect with a closed event is WSAEINVAL", r == SOCKET_ERROR && code == Int32(WSAEINVAL),
              "returned \(r), error \(code)")
        guard e.socketType == WS_SOCK_DGRAM, let ev = host.createEvent() else { return }
        defer { _ = host.closeEvent(ev) }
        let ok = p.lpWSPEventSelect!(s, ev, FD_WRITE, &err) == 0
        check("\(label): WSPEventSelect(FD_WRITE) succeeds", ok, "error \(err)")
        guard ok else { return }
        var list: [WSAEVENT?] = [ev]
        check("\(label): a datagram socket's FD_WRITE sets the host's event at once",
              host.wait(1, &list, 0, 1000, 0) == WSA_WAIT_EVENT_0)
        var records = [WSANETWORKEVENT](repeating: WSANETWORKEVENT(), count: Int(FD_MAX_EVENTS))
        var count = Int32(FD_MAX_EVENTS)
        let r2 = p.lpWSPEnumNetworkEvents!(s, ev, &records, &count, &err)
        check("\(label): WSPEnumNetworkEvents reports FD_WRITE", r2 == 0 && records[Int(FD_WRITE_BIT)].Fired != 0, "error \(err)")
        _ = p.lpWSPEventSelect!(s, nil, 0, &err)
    }
}

/// The services of libws2_32.so.2 the checks use (the provider's
/// dependency, already loaded with it).
struct HostLibrary {
    typealias CreateEvent = @convention(c) () -> WSAEVENT?
    typealias CloseEvent = @convention(c) (WSAEVENT?) -> BOOL
    typealias Wait = @convention(c) (DWORD, UnsafePointer<WSAEVENT?>?, BOOL, DWORD, BOOL) -> DWORD
    typealias CreateHandle = @convention(c) (DWORD, LPVOID?, UnsafeMutablePointer<Int32>?) -> SOCKET
    typealias CloseHandle = @convention(c) (SOCKET, UnsafeMutablePointer<Int32>?) -> Int32
    typealias OverlappedResult = @convention(c) (SOCKET, LPWSAOVERLAPPED?, LPDWORD?, BOOL, LPDWORD?) -> BOOL
    typealias Sleep = @convention(c) (DWORD, BOOL) -> DWORD
    let createEvent: CreateEvent, closeEvent: CloseEvent, wait: Wait
    let createSocketHandle: CreateHandle, closeSocketHandle: CloseHandle
    let overlappedResult: OverlappedResult, sleep: Sleep

    init?() {
        guard let h = dlopen("libws2_32.so.2", RTLD_NOW | RTLD_NOLOAD),
              let a = dlsym(h, "WSACreateEvent"), let b = dlsym(h, "WSACloseEvent"), let c = dlsym(h, "WSAWaitForMultipleEvents"),
              let d = dlsym(h, "WPUXxxCreateSocketHandle"), let e = dlsym(h, "WPUXxxCloseSocketHandle"),
              let f = dlsym(h, "WSAGetOverlappedResult"), let g = dlsym(h, "SleepEx") else { return nil }
        createEvent = unsafeBitCast(a, to: CreateEvent.self)
        closeEvent = unsafeBitCast(b, to: CloseEvent.self)
        wait = unsafeBitCast(c, to: Wait.self)
        createSocketHandle = unsafeBitCast(d, to: CreateHandle.self)
        closeSocketHandle = unsafeBitCast(e, to: CloseHandle.self)
        overlappedResult = unsafeBitCast(f, to: OverlappedResult.self)
        sleep = unsafeBitCast(g, to: Sleep.self)
    }
}
