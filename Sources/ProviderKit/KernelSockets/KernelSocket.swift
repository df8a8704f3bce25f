// Per-socket state of a kernel-socket provider.
import Glibc
import Synchronization
import CWS2SPI

/// Status bits read on the data path without a lock (`KernelSocket.status`).
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
    /// The socket is watched by the event engine (`KernelSocket.watch` is set).
    static let watched = SocketStatus(rawValue: 1 << 11)
    /// The engine saw the peer's FIN: FD_CLOSE follows once the data is read.
    static let peerClosed = SocketStatus(rawValue: 1 << 12)
    /// Event-driven without FD_OOB selected (see Transfer.receiveStream).
    static let urgentByEngine = SocketStatus(rawValue: 1 << 13)
    /// The stream broke (`ColdState.brokenError`).
    static let broken = SocketStatus(rawValue: 1 << 14)
    /// A datagram send met an ICMP error (ECONNREFUSED) that belongs to the
    /// next receive (RULINGS §7a).
    static let icmpError = SocketStatus(rawValue: 1 << 15)
    /// A non-blocking connect finished (either way) and FD_CONNECT has not
    /// been looked at since (Events.conditions).
    static let connectUnreported = SocketStatus(rawValue: 1 << 16)
    /// The family has no urgent data (KernelFamily.urgentData): the socket
    /// behaves as with SO_OOBINLINE for select, events and receives.
    static let noUrgentData = SocketStatus(rawValue: 1 << 17)

    /// No urgent byte kept apart: SO_OOBINLINE on, or a family without urgent data.
    @inline(__always) var urgentInLine: Bool { !isDisjoint(with: [.oobInline, .noUrgentData]) }
}

/// A connection taken from the kernel's accept queue that WSPAccept has not
/// handed out yet (CF_DEFER, or a failure after accept(2)). It stays at the
/// front of the listener's queue.
struct PendingConnection: Sendable {
    let fd: Int32
    let peer: SocketAddress
}

/// State changed by cold calls (options, groups, accept queue), under `KernelSocket.state`.
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
    /// A stream's peer, kept from the connect (or accept) on: Linux forgets
    /// it once both sides shut down, Winsock reports it until the socket
    /// is closed (RULINGS §7a).
    var peer: SocketAddress?
}
typealias GROUPID = UInt32

/// One provider socket. The descriptor is closed when the last reference
/// goes: WSPCloseSocket removes the handle at once, and a call another thread
/// is still making on the socket keeps the descriptor (not a reused number)
/// until it returns.
final class KernelSocket: @unchecked Sendable {
    let fd: Int32
    let kind: SocketKind
    /// The provider's family (addresses, per-family behaviour).
    let family: KernelFamily
    /// Created with WSA_FLAG_OVERLAPPED.
    let overlapped: Bool
    let status: Atomic<UInt32>
    /// Threads inside a blocking kernel call on this socket; close wakes them.
    /// Changed with wrappingAdd/wrappingSubtract: one `lock xadd` each (add
    /// and subtract check for overflow, a compare-exchange loop); it counts
    /// threads, so it cannot overflow.
    let blockers = Atomic<Int32>(0)
    let state = Mutex(ColdState())
    /// The event engine's record for this socket, made on the first selection.
    let watch = AtomicLazyReference<SocketWatch>()
    /// Pending overlapped operations (overlapped sockets only, Overlapped.swift).
    let io: OverlappedIO?
    /// An eventfd that close makes readable, made the first time a blocking
    /// WSPSelect names the socket where the kernel has nothing to report
    /// (an unconnected stream, a listener in writefds): -1 until then.
    private let closeWaker = Atomic<Int32>(-1)

    init(fd: Int32, kind: SocketKind, family: KernelFamily, overlapped: Bool, status: SocketStatus) {
        self.fd = fd
        self.kind = kind
        self.family = family
        self.overlapped = overlapped
        self.status = Atomic(status.union(family.urgentData ? [] : .noUrgentData).rawValue)
        io = overlapped ? OverlappedIO() : nil
    }

    /// False once `disown` handed the descriptor back (an accepted
    /// connection that got no handle): deinit then leaves it open.
    private var ownsDescriptor = true

    /// Before the socket is published only: its descriptor is not closed.
    func disown() { ownsDescriptor = false }

    deinit {
        for p in state.withLock({ $0.pending }) { KernelSocket.abort(p.fd) }
        if ownsDescriptor { Sys.close(fd) }
        let waker = closeWaker.load(ordering: .relaxed)
        if waker >= 0 { Sys.close(waker) }
    }

    /// The close waker (see `closeWaker`), made on first use; nil when no
    /// descriptor could be had (the caller then polls in slices).
    func closeWakerFD() -> Int32? {
        let existing = closeWaker.load(ordering: .sequentiallyConsistent)
        if existing >= 0 { return existing }
        guard let fd = try? Sys.eventfd() else { return nil }
        let (exchanged, original) = closeWaker.compareExchange(expected: -1, desired: fd, ordering: .sequentiallyConsistent)
        if exchanged { return fd }
        Sys.close(fd)
        return original
    }

    @inline(__always) func isCloseWaker(_ fd: Int32) -> Bool { fd >= 0 && fd == closeWaker.load(ordering: .relaxed) }

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
        if abortive { KernelSocket.setAbortiveLinger(fd) }
        // After `closed` is set: a select that made the waker after this
        // load sees `closed` before it polls.
        let waker = closeWaker.load(ordering: .sequentiallyConsistent)
        if waker >= 0 { Sys.signalEventFD(waker) }
        if blockers.load(ordering: .sequentiallyConsistent) > 0 {
            if abortive { KernelSocket.disconnect(fd) } else { try? Sys.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// SO_LINGER {1, 0}: the close that follows resets the connection.
    static func setAbortiveLinger(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        try? Sys.setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }
    /// connect(AF_UNSPEC): Linux resets an established TCP connection and
    /// wakes every thread waiting on it, and dissolves a datagram socket's
    /// default peer. A stream that cannot be reset that way (AF_UNIX) is
    /// shut down, which wakes its waiters too.
    static func disconnect(_ fd: Int32, shutDownIfRefused: Bool = true) {
        var sa = sockaddr()
        sa.sa_family = sa_family_t(AF_UNSPEC)
        do { try Sys.connect(fd, &sa, socklen_t(MemoryLayout<sockaddr>.size)) } catch {
            if shutDownIfRefused { try? Sys.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }
    /// For a family without urgent data: a byte a Linux peer still sends
    /// with MSG_OOB (AF_UNIX can) stays in the stream instead of being
    /// dropped. Best effort: a kernel without it has no such bytes either.
    static func keepUrgentInLine(_ fd: Int32) {
        var on: Int32 = 1
        try? Sys.setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, 4)
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

    /// Reads SO_ERROR after the kernel reported the connect done. Under the
    /// state lock: reading SO_ERROR clears it, so of two threads finding
    /// the connect done (a caller's select, the engine) only the first may
    /// read it; the second sees the recorded outcome.
    func finishConnect() -> WSAError? {
        state.withLock { st -> WSAError? in
            guard current.contains(.connecting) else {
                return current.contains(.connectFailed) ? st.connectError : nil
            }
            var err: Int32 = 0
            var len = socklen_t(4)
            try? Sys.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err == 0 {
                st.peer = try? peerEndpoint()
                set([.connected, .connectUnreported])
                clear(.connecting)
                return nil
            }
            let error = WSAError(errno: err)
            st.connectError = error
            set([.connectFailed, .connectUnreported])
            clear(.connecting)
            return error
        }
    }

    /// The local address from the kernel.
    func localEndpoint() throws(WSAError) -> SocketAddress {
        try KernelSocket.localEndpoint(of: fd)
    }

    /// The local address of any descriptor (also one not yet a socket
    /// object: a connection WSPAccept is still deciding on).
    static func localEndpoint(of fd: Int32) throws(WSAError) -> SocketAddress {
        do {
            return try SocketAddress.fromLinux { (sa, len) throws(Errno) in try Sys.getsockname(fd, sa, len) }
        } catch { throw error.wsa }
    }

    /// The peer address from the kernel.
    func peerEndpoint() throws(WSAError) -> SocketAddress {
        do {
            return try SocketAddress.fromLinux { (sa, len) throws(Errno) in try Sys.getpeername(fd, sa, len) }
        } catch { throw error.wsa }
    }
}
