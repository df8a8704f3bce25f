// ws2ctl probe PATH|NAME: load a provider and exercise it through its
// exported entry points, as a Winsock DLL would.
import ArgumentParser
import Glibc
import CWS2SPI
import WS2Catalog

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a provider library, check its entry points and run a loopback self-test.",
        discussion: """
            Loads the library with dlopen, checks that it exports every WSP entry point of the \
            draft, calls WSPStartup (version 2.0) and prints the negotiated version, the \
            description and the limits (iMaxSockets, iMaxUdpDg). The self-test then follows the \
            provider's protocols (the catalog's for a provider given by name, else --protocol, \
            else TCP): a stream of AF_INET or AF_UNIX gets WSPSocket, WSPBind, WSPListen, \
            WSPConnect, WSPAccept, WSPSend, WSPRecv and WSPCloseSocket over 127.0.0.1 or an \
            abstract AF_UNIX name; datagrams of those families a datagram each way with \
            WSPSendTo and WSPRecvFrom; any other protocol a socket made and closed. Then \
            WSPCleanup. An argument without a '/' is first looked up as a provider name in the \
            catalog.
            """)

    @Argument(help: ArgumentHelp("A provider library, or the name of an installed provider.", valueName: "path|name"))
    var provider: String

    @Flag(name: .long, help: "Only check the entry points and WSPStartup / WSPCleanup.")
    var noSelfTest = false

    @Option(name: .customLong("protocol"), parsing: .singleValue, help: ArgumentHelp(
        "A protocol the provider serves, as for install (repeatable); for a path, not a catalog name.", valueName: "SPEC"))
    var protocolSpecs: [String] = []

    @Option(name: .long, help: ArgumentHelp("Seconds the whole probe may take.", valueName: "SECONDS"))
    var timeout: UInt32 = 20

    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        try reportingFailures {
            let (path, source, inCatalog) = try resolve()
            let declared = try inCatalog ?? (protocolSpecs.isEmpty ? nil : protocolSpecs.map(ProtocolSpec.parse))
            // A provider that hangs (in its constructors, WSPStartup or the
            // self-test) must not hang the tool: the alarm covers loading too.
            signal(SIGALRM) { _ in
                let text = "ws2ctl: error: the probe did not finish in time\n"
                _ = text.withCString { write(2, $0, strlen($0)) }
                _exit(Failure.selfTest)
            }
            alarm(timeout)
            defer { alarm(0) }
            let library = try Library.open(path)
            if let source { row("provider", source) }
            row("library", path)
            row("entry points", "all \(Library.entryPoints.count) WSP entry points exported")
            try SelfTest(library).run(loopback: !noSelfTest, protocols: declared)
        }
    }

    func resolve() throws -> (path: String, source: String?, protocols: [ProtocolEntry]?) {
        try resolveProvider(provider, catalog: catalog)
    }
}

/// A path as given; a bare name: the catalog's provider of that name
/// (and where it came from, and the protocols it declares), else a file
/// of that name here.
func resolveProvider(_ provider: String, catalog: CatalogOptions) throws -> (path: String, source: String?, protocols: [ProtocolEntry]?) {
    if provider.contains("/") { return (provider, nil, nil) }
    let snapshot = try catalog.file.read()
    if let p = snapshot.provider(named: provider) {
        guard p.hasSection, !p.filename.isEmpty else {
            throw Failure("provider '\(p.name)' in \(snapshot.path) has no ProviderFilename", status: Failure.badLibrary)
        }
        return (p.filename, "\(p.name) (id \(p.id.map(String.init) ?? "-")) from \(snapshot.path)", p.protocols)
    }
    if access(provider, F_OK) == 0 { return ("./" + provider, nil, nil) }
    throw Failure("no provider named '\(provider)' in \(snapshot.path), and no file '\(provider)'",
                  status: Failure.badLibrary)
}


func row(_ label: String, _ value: String) {
    say(label + String(repeating: " ", count: max(1, 14 - label.count)) + value)
}

/// A provider library opened with dlopen (never closed: the process ends
/// soon), through WS2Catalog's one loader: its entry points in WS2HOST_PROCS.
struct Library {
    /// The SPI entry points of the draft (§3), all of which a provider exports.
    static var entryPoints: [String] { ProviderEntryPoints.names }

    let loaded: ProviderLibrary
    var path: String { loaded.path }
    var procs: WS2HOST_PROCS { loaded.procs }

    /// Opens `path` and takes every entry point; fails for a file that is no
    /// library, or a library that is no provider (naming what it lacks).
    static func open(_ path: String) throws -> Library {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw Failure("cannot open \(path): \(String(cString: strerror(errno)))", status: Failure.badLibrary)
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw Failure("\(path) is not a file", status: Failure.badLibrary) }
        do throws(ProviderLibraryError) {
            return Library(loaded: try ProviderLibrary.open(path))
        } catch {
            throw Failure("\(error)", status: Failure.badLibrary)
        }
    }

    /// Loads `path` and checks its exports (what `install` verifies).
    static func verify(_ path: String) throws { _ = try open(path) }
}

/// WSPStartup, the loopback exchange, WSPCleanup, through the library's own
/// entry points.
struct SelfTest {
    let p: WS2HOST_PROCS

    init(_ lib: Library) { p = lib.procs }

    /// WSPStartup, the self-test of each declared protocol (nil: the
    /// TCP/IP provider's, a TCP exchange), WSPCleanup.
    func run(loopback: Bool, protocols: [ProtocolEntry]?) throws {
        var data = WSADATA()
        let rc = p.lpWSPStartup!(ws2spi_makeword(2, 0), &data)
        guard rc == 0 else { throw Failure("WSPStartup(2.0) failed with error \(rc)", status: Failure.badLibrary) }
        row("version", "\(data.wVersion & 0xFF).\(data.wVersion >> 8) (highest \(data.wHighVersion & 0xFF).\(data.wHighVersion >> 8))")
        row("description", cString(data.szDescription))
        row("status", cString(data.szSystemStatus))
        row("limits", "iMaxSockets \(data.iMaxSockets), iMaxUdpDg \(data.iMaxUdpDg)")
        var failure: Failure? = nil
        if loopback {
            do {
                if let protocols {
                    for entry in protocols { row("self-test", try selfTest(entry)) }
                } else {
                    row("self-test", try exchange())
                }
            } catch let f as Failure { failure = f }
        }
        var err: Int32 = 0
        guard p.lpWSPCleanup!(nil, 0, &err) == 0 else { throw Failure("WSPCleanup failed with error \(err)", status: Failure.selfTest) }
        row("cleanup", "ok")
        if let failure { throw failure }
    }

    /// One declared protocol: a stream of a family whose addresses the
    /// probe knows (AF_INET, AF_UNIX) gets a connection and a message each
    /// way; datagrams of such a family a datagram each way; any other
    /// protocol a socket of exactly that triple, made and closed.
    func selfTest(_ e: ProtocolEntry) throws -> String {
        let label = protocolLabel(e)
        if TestAddress.local(family: e.addressFamily) != nil {
            if e.socketType == WS_SOCK_STREAM { return try exchange(e) }
            if e.socketType == WS_SOCK_DGRAM { return try datagrams(e) }
        }
        var err: Int32 = 0
        let s = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        guard s != INVALID_SOCKET else { throw Failure("self-test of \(label) failed at WSPSocket: error \(err)", status: Failure.selfTest) }
        guard p.lpWSPCloseSocket!(s, &err) == 0 else {
            throw Failure("self-test of \(label) failed at WSPCloseSocket: error \(err)", status: Failure.selfTest)
        }
        return "ok: \(label): socket, close"
    }

    /// A connection over a local address and a message each way; the
    /// provider's clean-up closes whatever a failure left open.
    func exchange(_ e: ProtocolEntry = TCPIPProtocols.tcp) throws -> String {
        var err: Int32 = 0
        let label = protocolLabel(e)
        func check(_ ok: Bool, _ step: String) throws {
            guard ok else { throw Failure("self-test of \(label) failed at \(step): error \(err)", status: Failure.selfTest) }
        }
        let listener = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        try check(listener != INVALID_SOCKET, "WSPSocket")
        var address = TestAddress.local(family: e.addressFamily)!
        try check(address.with { p.lpWSPBind!(listener, $0, $1.pointee, &err) } == 0, "WSPBind")
        try check(p.lpWSPListen!(listener, WS_SOMAXCONN, &err) == 0, "WSPListen")
        try check(address.with { p.lpWSPGetSockName!(listener, $0, $1, &err) } == 0, "WSPGetSockName")
        let client = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        try check(client != INVALID_SOCKET, "WSPSocket")
        try check(address.with { p.lpWSPConnect!(client, $0, $1.pointee, nil, nil, 0, nil, nil, &err) } == 0, "WSPConnect")
        let server = p.lpWSPAccept!(listener, nil, nil, nil, 0, &err)
        try check(server != INVALID_SOCKET, "WSPAccept")
        try transfer("ws2ctl probe: client to server", from: client, to: server)
        try transfer("ws2ctl probe: server to client", from: server, to: client)
        for s in [client, server, listener] { try check(p.lpWSPCloseSocket!(s, &err) == 0, "WSPCloseSocket") }
        return "ok: \(label): socket, bind, listen, connect, accept, send, recv, close over \(address.label)"
    }

    /// Two sockets on local addresses and a datagram each way, with the
    /// sender's address checked.
    func datagrams(_ e: ProtocolEntry) throws -> String {
        var err: Int32 = 0
        let label = protocolLabel(e)
        func check(_ ok: Bool, _ step: String) throws {
            guard ok else { throw Failure("self-test of \(label) failed at \(step): error \(err)", status: Failure.selfTest) }
        }
        var one = TestAddress.local(family: e.addressFamily)!, two = TestAddress.local(family: e.addressFamily)!
        let a = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        let b = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        try check(a != INVALID_SOCKET && b != INVALID_SOCKET, "WSPSocket")
        try check(one.with { p.lpWSPBind!(a, $0, $1.pointee, &err) } == 0 && one.with { p.lpWSPGetSockName!(a, $0, $1, &err) } == 0,
                  "WSPBind")
        try check(two.with { p.lpWSPBind!(b, $0, $1.pointee, &err) } == 0 && two.with { p.lpWSPGetSockName!(b, $0, $1, &err) } == 0,
                  "WSPBind")
        for (from, to, toAddress, fromAddress) in [(a, b, two, one), (b, a, one, two)] {
            var out = Array("ws2ctl probe: a datagram".utf8)
            var sent: DWORD = 0
            var target = toAddress
            try check(target.with { p.lpWSPSendTo!(from, &out, DWORD(out.count), &sent, 0, $0, $1.pointee, nil, nil, &err) } == 0
                      && sent == DWORD(out.count), "WSPSendTo")
            var buffer = [UInt8](repeating: 0, count: 256)
            var sender = TestAddress(length: 128)
            var n: DWORD = 0, flags: Int32 = 0
            try check(sender.with { p.lpWSPRecvFrom!(to, &buffer, 256, &n, &flags, $0, $1, nil, nil, &err) } == 0, "WSPRecvFrom")
            try check(Array(buffer[..<Int(n)]) == out, "WSPRecvFrom (other bytes than were sent)")
            try check(sender.length == fromAddress.length
                      && Array(sender.bytes[..<Int(sender.length)]) == Array(fromAddress.bytes[..<Int(fromAddress.length)]),
                      "WSPRecvFrom (the sender's address)")
        }
        for s in [a, b] { try check(p.lpWSPCloseSocket!(s, &err) == 0, "WSPCloseSocket") }
        return "ok: \(label): socket, bind, sendto, recvfrom, close over \(one.label), \(two.label)"
    }

    func transfer(_ message: String, from: SOCKET, to: SOCKET) throws {
        var err: Int32 = 0
        var out = Array(message.utf8)
        var sent: DWORD = 0
        guard p.lpWSPSend!(from, &out, DWORD(out.count), &sent, 0, nil, nil, &err) == 0, sent == DWORD(out.count) else {
            throw Failure("self-test failed at WSPSend: error \(err), \(sent) of \(out.count) bytes sent", status: Failure.selfTest)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while received.count < out.count {
            var n: DWORD = 0
            var flags: Int32 = 0
            guard p.lpWSPRecv!(to, &buffer, DWORD(buffer.count), &n, &flags, nil, nil, &err) == 0 else {
                throw Failure("self-test failed at WSPRecv: error \(err)", status: Failure.selfTest)
            }
            guard n > 0 else { throw Failure("self-test failed at WSPRecv: the connection closed early", status: Failure.selfTest) }
            received += buffer[..<Int(n)]
        }
        guard received == out else { throw Failure("self-test failed: WSPRecv returned other bytes than were sent", status: Failure.selfTest) }
    }
}

/// A NUL-terminated char array of a C struct as a String.
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
}
