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
            description and the limits (iMaxSockets, iMaxUdpDg). The self-test then runs \
            WSPSocket, WSPBind, WSPListen, WSPConnect, WSPAccept, WSPSend, WSPRecv and \
            WSPCloseSocket over 127.0.0.1, and WSPCleanup. An argument without a '/' is first \
            looked up as a provider name in the catalog.
            """)

    @Argument(help: ArgumentHelp("A provider library, or the name of an installed provider.", valueName: "path|name"))
    var provider: String

    @Flag(name: .long, help: "Only check the entry points and WSPStartup / WSPCleanup.")
    var noSelfTest = false

    @Option(name: .long, help: ArgumentHelp("Seconds the whole probe may take.", valueName: "SECONDS"))
    var timeout: UInt32 = 20

    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        try reportingFailures {
            let (path, source, declared) = try resolve()
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

    /// One declared protocol: TCP over 127.0.0.1 gets the exchange; any
    /// other gets a socket of exactly that triple, made and closed (the
    /// probe knows no address format for it).
    func selfTest(_ e: ProtocolEntry) throws -> String {
        if e.addressFamily == WS_AF_INET && e.socketType == WS_SOCK_STREAM && (e.protocol == WS_IPPROTO_TCP || e.protocol == 0) {
            return try exchange()
        }
        var err: Int32 = 0
        let label = protocolLabel(e)
        let s = p.lpWSPSocket!(e.addressFamily, e.socketType, e.protocol, 0, 0, &err)
        guard s != INVALID_SOCKET else { throw Failure("self-test of \(label) failed at WSPSocket: error \(err)", status: Failure.selfTest) }
        guard p.lpWSPCloseSocket!(s, &err) == 0 else {
            throw Failure("self-test of \(label) failed at WSPCloseSocket: error \(err)", status: Failure.selfTest)
        }
        return "ok: \(label): socket, close"
    }

    /// A TCP connection over 127.0.0.1 and a message each way; the
    /// provider's clean-up closes whatever a failure left open.
    func exchange() throws -> String {
        var err: Int32 = 0
        func check(_ ok: Bool, _ step: String) throws {
            guard ok else { throw Failure("self-test failed at \(step): error \(err)", status: Failure.selfTest) }
        }
        let listener = p.lpWSPSocket!(WS_AF_INET, WS_SOCK_STREAM, WS_IPPROTO_TCP, 0, 0, &err)
        try check(listener != INVALID_SOCKET, "WSPSocket")
        var address = WS_sockaddr_in()
        address.sin_family = Int16(WS_AF_INET)
        address.sin_addr.S_un.S_addr = UInt32(WS_INADDR_LOOPBACK).bigEndian
        var length = Int32(MemoryLayout<WS_sockaddr_in>.size)
        try withUnsafeMutableBytes(of: &address) { raw in
            let sa = raw.baseAddress!.assumingMemoryBound(to: WS_sockaddr.self)
            try check(p.lpWSPBind!(listener, sa, length, &err) == 0, "WSPBind")
            try check(p.lpWSPListen!(listener, WS_SOMAXCONN, &err) == 0, "WSPListen")
            try check(p.lpWSPGetSockName!(listener, sa, &length, &err) == 0, "WSPGetSockName")
            let client = p.lpWSPSocket!(WS_AF_INET, WS_SOCK_STREAM, WS_IPPROTO_TCP, 0, 0, &err)
            try check(client != INVALID_SOCKET, "WSPSocket")
            try check(p.lpWSPConnect!(client, sa, length, nil, nil, 0, nil, nil, &err) == 0, "WSPConnect")
            let server = p.lpWSPAccept!(listener, nil, nil, nil, 0, &err)
            try check(server != INVALID_SOCKET, "WSPAccept")
            try transfer("ws2ctl probe: client to server", from: client, to: server)
            try transfer("ws2ctl probe: server to client", from: server, to: client)
            for s in [client, server, listener] { try check(p.lpWSPCloseSocket!(s, &err) == 0, "WSPCloseSocket") }
        }
        let port = UInt16(bigEndian: address.sin_port)
        return "ok: socket, bind, listen, connect, accept, send, recv, close over 127.0.0.1:\(port)"
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
