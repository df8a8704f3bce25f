// WSPEventSelect, WSPEnumNetworkEvents, WSPAsyncSelect32, WSPCallbackSelect16
// on the one event engine (ProviderKit's Reactor and EventRegistration):
// what holds on a TCP/IP socket, and the re-enabling calls of the draft.
import Glibc
import Synchronization
import CWS2SPI

/// A socket's link to the engine: its registration and reactor token.
final class SocketWatch: ReactorClient, @unchecked Sendable {
    let registration: EventRegistration
    /// The socket, from a successful registration with the reactor until
    /// the socket is closed or the registration failed (`detach`), which
    /// breaks the cycle socket -> watch -> socket. Not weak: a weak
    /// reference would give every KernelSocket a side table and put its
    /// retains on the slow path.
    private let socket = Mutex<KernelSocket?>(nil)
    unowned let provider: KernelSocketProvider
    /// The reactor's token; 0 while not registered.
    let token = Atomic<UInt64>(0)
    /// Serialises registering with the reactor.
    let registering = Mutex(())

    init(handle: SOCKET, provider: KernelSocketProvider) {
        self.provider = provider
        registration = EventRegistration(handle: handle)
    }

    func attach(_ s: KernelSocket) { socket.withLock { $0 = s } }

    /// Called when the socket is closed or its registration failed: no more deliveries.
    func detach() { _ = socket.withLock { $0 = nil } }

    func reactorEvent(_ events: UInt32) {
        guard let socket = socket.withLock({ $0 }), !socket.current.contains(.closed) else { return }
        var events = events
        if let io = socket.io {
            // Data an overlapped receive took is not announced (RULINGS §7):
            // after one took data, the selection sees the state as it is now.
            if provider.serviceOverlapped(socket, io, events: events) { events = 0 }
            // Watched for its overlapped operations only: no selection to report to.
            if !registration.hasSelection { return }
        }
        guard let c = provider.conditions(of: socket, epollEvents: events) else {
            // Unknown for now (poll failed): look again on the next turn.
            kick()
            return
        }
        registration.deliver(c)
    }

    func kick() { Reactor.shared.kick(token.load(ordering: .relaxed)) }
}

extension KernelSocketProvider {
    public func eventSelect(_ s: SOCKET, event: WSAEVENT?, events: Int32) throws(WSAError) {
        let socket = try lookup(s)
        guard events & ~NetworkEvents.all.rawValue == 0 else { throw .invalidArgument }
        if events != 0 { guard let event, HostCalls.isEvent(event) else { throw .invalidArgument } }
        try select(socket, handle: s, events == 0 ? nil : .event(event!), NetworkEvents(rawValue: events))
    }

    public func asyncSelect(_ s: SOCKET, window: HWND?, message: UInt32, events: Int32) throws(WSAError) {
        let socket = try lookup(s)
        guard events & ~NetworkEvents.all.rawValue == 0 else { throw .invalidArgument }
        if events != 0 { guard let window, HostCalls.isWindow(window) else { throw .invalidArgument } }
        try select(socket, handle: s, events == 0 ? nil : .window(window!, message), NetworkEvents(rawValue: events))
    }

    public func callbackSelect(_ s: SOCKET, callback: LPSELECTPROC?, callbackData: DWORD, events: Int32) throws(WSAError) {
        let socket = try lookup(s)
        guard events & ~NetworkEvents.all.rawValue == 0 else { throw .invalidArgument }
        if events != 0 { guard callback != nil else { throw .fault } }
        try select(socket, handle: s, events == 0 ? nil : .callback(callback!, callbackData), NetworkEvents(rawValue: events))
    }

    public func enumNetworkEvents(_ s: SOCKET, event: WSAEVENT?, records: LPWSANETWORKEVENT?, count: LPINT?) throws(WSAError) {
        let socket = try lookup(s)
        guard let records, let count else { throw .fault }
        if let event, !HostCalls.isEvent(event) { throw .invalidArgument }
        guard let watch = socket.watch.load() else {
            // Nothing was ever selected: an empty record.
            let n = min(Int(max(count.pointee, 0)), NetworkEvents.count)
            for i in 0..<n { records[i] = WSANETWORKEVENT(Fired: 0, ErrorCode: 0) }
            count.pointee = Int32(n)
            if let event { HostCalls.resetEvent(event) }
            return
        }
        try watch.registration.enumerate(records, count: count, reset: event)
    }

    /// Replaces the socket's selection; a selection makes the socket
    /// non-blocking. What already holds is reported before this returns
    /// (RULINGS §7). A failed registration with the engine leaves the
    /// socket as it was.
    func select(_ socket: KernelSocket, handle: SOCKET, _ target: NotificationTarget?, _ events: NetworkEvents) throws(WSAError) {
        // The descriptor first (a listener's and an overlapped socket's
        // already is non-blocking); undone if the registration fails.
        let makeNonBlocking = !events.isEmpty && !socket.current.contains(.nonBlocking)
            && !socket.current.contains(.listening) && !socket.overlapped
        if makeNonBlocking {
            do { try Sys.setNonBlocking(socket.fd, true) } catch { throw error.wsa }
        }
        let watch: SocketWatch?
        do {
            watch = try self.watch(socket, handle: handle, create: !events.isEmpty)
        } catch {
            if makeNonBlocking { try? Sys.setNonBlocking(socket.fd, false) }
            throw error
        }
        guard let watch else { return }
        if !events.isEmpty { socket.set(.nonBlocking) }
        // An event-driven socket that did not ask for FD_OOB leaves the
        // urgent byte to the engine (it holds it on EPOLLPRI) and its reads
        // skip the per-read check for it; asking for FD_OOB keeps the check.
        if !events.isEmpty && !events.contains(.oob) { socket.set(.urgentByEngine) } else { socket.clear(.urgentByEngine) }
        watch.registration.select(target, events: events)
        guard !events.isEmpty else { return }
        // Events that already hold are reported now, on this thread;
        // callbacks (the engine's thread only) on the next turn of the engine.
        if case .callback = target { watch.kick(); return }
        guard let c = conditions(of: socket, epollEvents: 0), watch.registration.deliver(c, onCaller: true) else {
            watch.kick()
            return
        }
    }

    /// The socket's watch, registered with the reactor on first use (and
    /// again after a registration that failed).
    func watch(_ socket: KernelSocket, handle: SOCKET, create: Bool) throws(WSAError) -> SocketWatch? {
        if let w = socket.watch.load(), w.token.load(ordering: .acquiring) != 0 { return w }
        guard create else { return socket.watch.load() }
        let w = socket.watch.storeIfNil(SocketWatch(handle: handle, provider: self))
        return try w.registering.withLock { (_) throws(WSAError) -> SocketWatch in
            if w.token.load(ordering: .relaxed) != 0 { return w }
            w.attach(socket)
            guard let token = Reactor.shared.register(fd: socket.fd, client: w) else {
                // Nothing of the attempt stays: no token, no cycle.
                w.detach()
                throw .noBuffers
            }
            w.token.store(token, ordering: .releasing)
            socket.set(.watched)
            // Closed meanwhile by another thread, whose unwatch (after marking
            // it closed) may have come too early to see this registration:
            // undo it, or the reactor would keep the socket forever.
            if socket.current.contains(.closed) { unwatch(socket); throw .notSocket }
            return w
        }
    }

    /// Closing a socket removes it from the engine at once.
    func unwatch(_ socket: KernelSocket) {
        guard let w = socket.watch.load() else { return }
        if socket.current.contains(.watched) {
            w.registration.select(nil, events: [])
            Reactor.shared.deregister(fd: socket.fd, token: w.token.load(ordering: .acquiring))
        }
        w.detach()
    }

    /// Accepted sockets inherit the listener's event and window selections.
    func inheritSelection(from listener: KernelSocket, to accepted: KernelSocket, handle: SOCKET) {
        guard listener.current.contains(.watched), let lw = listener.watch.load() else { return }
        let (target, events) = lw.registration.selection
        guard let target, target.inheritable, !events.isEmpty else { return }
        try? select(accepted, handle: handle, target, events)
    }

    // MARK: re-enabling calls (the draft's table)

    /// WSPRecv / WSPRecvFrom re-enable FD_READ and FD_OOB: before the call,
    /// so that data arriving during it is reported.
    @inline(__always)
    func rearmBeforeReceive(_ socket: KernelSocket) {
        guard socket.current.contains(.watched), let w = socket.watch.load() else { return }
        w.registration.rearm([.read, .oob])
    }

    /// After a receive: level-triggered FD_READ again if data may remain
    /// (the buffer was filled), or FD_CLOSE once the data before a FIN is
    /// read. Otherwise the receive may have taken the last data: an
    /// unreported FD_READ is withdrawn when nothing is left (RULINGS §7);
    /// that costs a poll(2) only while one is recorded.
    @inline(__always)
    func afterReceive(_ socket: KernelSocket, filled: Bool) {
        let st = socket.current
        guard st.contains(.watched), let w = socket.watch.load() else { return }
        if filled || st.contains(.peerClosed) || st.contains(.urgentHeld) { w.kick(); return }
        if w.registration.isRecorded(.read) {
            var p = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            if (try? Sys.poll(&p, 1, 0)) == 0 { w.registration.withdraw(.read) }
        }
    }

    /// A send that failed with WSAEWOULDBLOCK re-enables FD_WRITE.
    func rearmAfterWouldBlock(_ socket: KernelSocket) {
        guard socket.current.contains(.watched), let w = socket.watch.load() else { return }
        w.registration.rearm(.write)
        w.kick()   // space may have freed before the rearm
    }

    /// WSPAccept re-enables FD_ACCEPT, unless it deferred (WSATRY_AGAIN);
    /// one that took the last pending connection withdraws an unreported
    /// FD_ACCEPT (RULINGS §7).
    func rearmAfterAccept(_ socket: KernelSocket, deferred: Bool) {
        guard socket.current.contains(.watched), let w = socket.watch.load() else { return }
        if !deferred { w.registration.rearm(.accept) }
        if w.registration.isRecorded(.accept) && socket.state.withLock({ $0.pending.isEmpty }) {
            var p = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            if (try? Sys.poll(&p, 1, 0)) == 0 { w.registration.withdraw(.accept) }
        }
        w.kick()
    }

    /// A new connect attempt may report FD_CONNECT again.
    func rearmConnect(_ socket: KernelSocket) {
        socket.clear(.connectUnreported)
        guard socket.current.contains(.watched), let w = socket.watch.load() else { return }
        w.registration.rearm([.connect, .write])
    }

    // MARK: what holds now

    /// The socket's level state, on the reactor thread: epoll's events for
    /// an edge (they are the whole readiness mask at that moment; epoll and
    /// poll bits have the same values), or a poll(2) for a kick (0).
    /// nil when poll(2) failed: nothing is known, and the caller has the
    /// engine look again (a kick) rather than report that nothing holds.
    func conditions(of socket: KernelSocket, epollEvents: UInt32) -> Conditions? {
        var c = Conditions()
        let r: Int32
        if epollEvents != 0 {
            r = Int32(truncatingIfNeeded: epollEvents & 0xFFFF)
        } else {
            var p = pollfd(fd: socket.fd, events: Int16(POLLIN | POLLOUT | POLLPRI) | 0x2000 /* POLLRDHUP */, revents: 0)
            guard (try? Sys.poll(&p, 1, 0)) != nil else { return nil }
            r = Int32(p.revents)
        }
        var st = socket.current
        if st.contains(.listening) {
            if r & Int32(POLLIN) != 0 || socket.state.withLock({ !$0.pending.isEmpty }) { c.holding.insert(.accept) }
            return c
        }
        if st.contains(.connecting) {
            guard r & Int32(POLLOUT | POLLERR | POLLHUP) != 0 else { return c }
            _ = socket.finishConnect()
            st = socket.current
        }
        // A connect that finished, here or on a caller's thread (WSPSelect
        // found it done first): FD_CONNECT, once per attempt.
        if st.contains(.connectUnreported) {
            socket.clear(.connectUnreported)
            c.holding.insert(.connect)
            c.connectError = st.contains(.connectFailed) ? socket.state.withLock { $0.connectError?.code ?? 0 } : 0
        }
        switch socket.kind {
        case .stream:
            guard st.contains(.connected) else { return c }
            let inline = st.urgentInLine
            if r & Int32(POLLERR) != 0 {
                c.holding.insert(.close)
                c.closeError = WSAError.connectionReset.code
            } else if r & (0x2000 | Int32(POLLHUP)) != 0 {
                // After the socket's own SD_RECEIVE Linux reports the same
                // hang-up as for the peer's FIN: FD_CLOSE only once the peer
                // closed (RULINGS §7), and no FD_READ (receives now fail).
                if !st.contains(.receiveShut) || socket.family.peerClosed(socket.fd, r, st.contains(.sendShut)) {
                    socket.set(.peerClosed)
                    var queued: Int32 = 0
                    try? Sys.ioctl(socket.fd, UInt(FIONREAD), &queued)
                    c.holding.insert(queued > 0 ? .read : .close)
                }
            } else if r & Int32(POLLIN) != 0 {
                c.holding.insert(.read)
            }
            if !inline {
                if r & Int32(POLLPRI) != 0 { socket.holdUrgentByte() }
                if socket.current.contains(.urgentHeld) { c.holding.insert(.oob) }
            } else if r & Int32(POLLPRI) != 0 {
                c.holding.insert(.read)
            }
            if r & Int32(POLLOUT) != 0 && !st.contains(.sendShut) { c.holding.insert(.write) }
        case .datagram:
            if r & Int32(POLLIN | POLLERR) != 0 { c.holding.insert(.read) }
            if r & Int32(POLLOUT) != 0 { c.holding.insert(.write) }
        }
        return c
    }
}
