// Per-socket state of the TCP/IP provider.
import Glibc
import Synchronization
import ProviderKit

/// The socket's kind: TCP over SOCK_STREAM or UDP over SOCK_DGRAM.
enum SocketKind: Sendable {
    case stream, datagram
    var winsockType: Int32 { self == .stream ? WS.SOCK_STREAM : WS.SOCK_DGRAM }
    var winsockProtocol: Int32 { self == .stream ? WS.IPPROTO_TCP : WS.IPPROTO_UDP }
}

/// Status bits read on the data path without a lock (`IPSocket.status`).
struct SocketStatus: OptionSet, Sendable {
    let rawValue: UInt32
    static let nonBlocking = SocketStatus(rawValue: 1 << 0)
    static let bound = SocketStatus(rawValue: 1 << 1)
    static let listening = SocketStatus(rawValue: 1 << 2)
    static let connecting = SocketStatus(rawValue: 1 << 3)
    static let connected = SocketStatus(rawValue: 1 << 4)
    static let receiveShut = SocketStatus(rawValue: 1 << 5)
    static let sendShut = SocketStatus(rawValue: 1 << 6)
    static let closed = SocketStatus(rawValue: 1 << 7)
    /// A non-blocking connect failed; WSPSelect reports it in exceptfds.
    static let connectFailed = SocketStatus(rawValue: 1 << 8)
    /// SO_OOBINLINE is on: urgent data counts as normal data in WSPSelect.
    static let oobInline = SocketStatus(rawValue: 1 << 9)
    /// The provider holds an urgent byte (`ColdState.urgentByte`).
    static let urgentHeld = SocketStatus(rawValue: 1 << 10)
    /// The socket is watched by the event engine (`IPSocket.watch` is set).
    static let watched = SocketStatus(rawValue: 1 << 11)
    /// The engine saw the peer's FIN: FD_CLOSE follows once the data is read.
    static let peerClosed = SocketStatus(rawValue: 1 << 12)
    /// Event-driven without FD_OOB selected (see Transfer.receiveStream).
    static let urgentByEngine = SocketStatus(rawValue: 1 << 13)
    /// The stream broke (`ColdState.brokenError`).
    static let broken = SocketStatus(rawValue: 1 << 14)
}

/// A connection taken from the kernel's accept queue that WSPAccept has not
/// handed out yet (CF_DEFER, or a failure after accept(2)). It stays at the
/// front of the listener's queue.
struct PendingConnection: Sendable {
    let fd: Int32
    let peer: IPv4Endpoint
}

/// State changed by cold calls (options, groups, accept queue), under `IPSocket.state`.
struct ColdState: Sendable {
    var debug = false
    /// SO_RCVBUF / SO_SNDBUF as the caller set them (Linux doubles the value it stores).
    var receiveBuffer: Int32?
    var sendBuffer: Int32?
    var group: GROUPID = 0
    var groupPriority: Int32 = 0
    var pending: [PendingConnection] = []
    /// Why the last non-blocking connect failed (the deferred-error slot).
    var connectError: WSAError?
    /// The out-of-band byte taken from the kernel before a normal read could
    /// pass it (Linux drops an unread urgent byte once reads go past its mark;
    /// Winsock keeps it until read with MSG_OOB, draft §2.8.2).
    var urgentByte: UInt8?
    /// Why the stream broke (reset, aborted, timed out): every later receive
    /// fails with it. Linux reports the error to one recv and then the end
    /// of the stream; Winsock keeps reporting WSAECONNRESET, which tells a
    /// reset from a graceful close.
    var brokenError: WSAError?
}
typealias GROUPID = UInt32

/// One provider socket. The descriptor is closed when the last reference
/// goes: WSPCloseSocket removes the handle at once, and a call another thread
/// is still making on the socket keeps the descriptor (not a reused number)
/// until it returns.
final class IPSocket: @unchecked Sendable {
    let fd: Int32
    let kind: SocketKind
    /// Created with WSA_FLAG_OVERLAPPED.
    let overlapped: Bool
    let status: Atomic<UInt32>
    /// Threads inside a blocking kernel call on this socket; close wakes them.
    let blockers = Atomic<Int32>(0)
    let state = Mutex(ColdState())
    /// The event engine's record for this socket, made on the first selection.
    let watch = AtomicLazyReference<SocketWatch>()
    /// Pending overlapped operations (overlapped sockets only, Overlapped.swift).
    let io: OverlappedIO?

    init(fd: Int32, kind: SocketKind, overlapped: Bool, status: SocketStatus) {
        self.fd = fd
        self.kind = kind
        self.overlapped = overlapped
        self.status = Atomic(status.rawValue)
        io = overlapped ? OverlappedIO() : nil
    }

    deinit {
        for p in state.withLock({ $0.pending }) { IPSocket.abort(p.fd) }
        Sys.close(fd)
    }

    @inline(__always) var current: SocketStatus { SocketStatus(rawValue: status.load(ordering: .sequentiallyConsistent)) }
    @inline(__always) func set(_ bits: SocketStatus) { status.bitwiseOr(bits.rawValue, ordering: .sequentiallyConsistent) }
    @inline(__always) func clear(_ bits: SocketStatus) { status.bitwiseAnd(~bits.rawValue, ordering: .sequentiallyConsistent) }

    /// Non-blocking for plain calls: FIONBIO, or an overlapped socket (RULINGS §8).
    @inline(__always) var isNonBlocking: Bool { overlapped || current.contains(.nonBlocking) }

    // Blocking calls (`blocking(until:)`, `waitReady`, `blockingConnect`)
    // and the blocking-hook loop: Blocking.swift.

    /// Marks the socket closed and wakes threads blocked on it: the one
    /// place that turns "closed by another thread" into a wake-up.
    func markClosed(abortive: Bool) {
        set(.closed)
        // Pending overlapped operations end now, with WSA_OPERATION_ABORTED.
        io?.abortAll()
        if abortive { IPSocket.setAbortiveLinger(fd) }
        if blockers.load(ordering: .sequentiallyConsistent) > 0 {
            if abortive { IPSocket.disconnect(fd) } else { try? Sys.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// SO_LINGER {1, 0}: the close that follows resets the connection.
    static func setAbortiveLinger(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        try? Sys.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }
    /// connect(AF_UNSPEC): Linux resets an established TCP connection and
    /// wakes every thread waiting on it.
    static func disconnect(_ fd: Int32) {
        var sa = sockaddr()
        sa.sa_family = sa_family_t(AF_UNSPEC)
        try? Sys.connect(fd, &sa, socklen_t(MemoryLayout<sockaddr>.size))
    }
    /// Resets and closes a descriptor that has no socket object.
    static func abort(_ fd: Int32) {
        setAbortiveLinger(fd)
        Sys.close(fd)
    }

    /// Records a receive error that ends the stream (see `ColdState.brokenError`).
    @inline(__always)
    func recordBreak(_ error: WSAError) {
        guard kind == .stream, error == .connectionReset || error == .connectionAborted
                || error == .networkReset || error == .timedOut else { return }
        state.withLock { if $0.brokenError == nil { $0.brokenError = error } }
        set(.broken)
    }
    @inline(__always) func recordBreak(_ code: Int32) { recordBreak(WSAError(code: code)) }

    /// The error the stream broke with, if it did.
    @inline(__always)
    var brokenError: WSAError? { current.contains(.broken) ? state.withLock { $0.brokenError } : nil }

    /// Moves a waiting urgent byte from the kernel into `urgentByte`
    /// (SO_OOBINLINE off). A newer urgent byte replaces an older one, as in BSD.
    func holdUrgentByte() {
        var byte: UInt8 = 0
        guard (try? Sys.recv(fd, &byte, 1, Int32(MSG_OOB | MSG_DONTWAIT))) == 1 else { return }
        state.withLock { $0.urgentByte = byte }
        set(.urgentHeld)
    }

    /// Takes (or, peeking, copies) the held urgent byte.
    func takeUrgentByte(peek: Bool) -> UInt8? {
        guard current.contains(.urgentHeld) else { return nil }
        return state.withLock { st -> UInt8? in
            let b = st.urgentByte
            if !peek {
                st.urgentByte = nil
                clear(.urgentHeld)
            }
            return b
        }
    }

    /// For a non-blocking connect in progress: finds out whether it has
    /// finished, and records the outcome. Returns the connect error, if any.
    @discardableResult
    func resolveConnect() -> WSAError? {
        guard current.contains(.connecting) else { return nil }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard (try? Sys.poll(&p, 1, 0)) == 1 else { return nil }
        return finishConnect()
    }

    /// Reads SO_ERROR after the kernel reported the connect done.
    func finishConnect() -> WSAError? {
        var err: Int32 = 0
        var len = socklen_t(4)
        try? Sys.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        if err == 0 {
            set(.connected)
            clear(.connecting)
            return nil
        }
        let error = WSAError(errno: err)
        state.withLock { $0.connectError = error }
        set(.connectFailed)
        clear(.connecting)
        return error
    }

    /// The local address from the kernel.
    func localEndpoint() throws(WSAError) -> IPv4Endpoint {
        try IPSocket.localEndpoint(of: fd)
    }

    /// The local address of any descriptor (also one not yet a socket
    /// object: a connection WSPAccept is still deciding on).
    static func localEndpoint(of fd: Int32) throws(WSAError) -> IPv4Endpoint {
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        do {
            try withUnsafeMutablePointer(to: &sa) { (p) throws(Errno) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(Errno) in try Sys.getsockname(fd, q, &len) }
            }
        } catch { throw error.wsa }
        return IPv4Endpoint(linux: sa)
    }

    /// The peer address from the kernel.
    func peerEndpoint() throws(WSAError) -> IPv4Endpoint {
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        do {
            try withUnsafeMutablePointer(to: &sa) { (p) throws(Errno) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(Errno) in try Sys.getpeername(fd, q, &len) }
            }
        } catch { throw error.wsa }
        return IPv4Endpoint(linux: sa)
    }
}
