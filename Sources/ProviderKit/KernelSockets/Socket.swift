// WSPSocket, WSPBind, WSPListen, WSPCloseSocket, WSPShutdown,
// WSPGetSockName, WSPGetPeerName, WSPIoctlSocket.
import Glibc
import CWS2SPI

extension KernelSocketProvider {
    public func socket(family: Int32, type: Int32, protocol proto: Int32, providerID: DWORD, flags: Int32) throws(WSAError) -> SOCKET {
        try requireStarted()
        // AF_UNSPEC is allowed only with an explicit protocol (WSPSocket remarks).
        if family == WS_AF_UNSPEC && proto == 0 { throw .invalidArgument }
        guard family == self.family.winsockFamily || family == WS_AF_UNSPEC else { throw .addressFamilyNotSupported }
        let stream = self.family.stream, datagram = self.family.datagram
        let chosen: KernelProtocol
        switch type {
        case WS_SOCK_STREAM:
            guard let stream else { throw .socketTypeNotSupported }
            chosen = stream
        case WS_SOCK_DGRAM:
            guard let datagram else { throw .socketTypeNotSupported }
            chosen = datagram
        case 0 where proto != 0 && proto == stream?.entry.protocol: chosen = stream!
        case 0 where proto != 0 && proto == datagram?.entry.protocol: chosen = datagram!
        default: throw .socketTypeNotSupported
        }
        let kind: SocketKind = chosen.entry.socketType == WS_SOCK_STREAM ? .stream : .datagram
        switch proto {
        case 0, chosen.entry.protocol: break
        case stream?.entry.protocol, datagram?.entry.protocol: throw .protocolType
        default: throw .protocolNotSupported
        }
        guard flags & ~WSA_FLAG_OVERLAPPED == 0 else { throw .invalidArgument }
        let overlapped = flags & WSA_FLAG_OVERLAPPED != 0

        let fd: Int32
        do {
            fd = try Sys.socket(self.family.linuxFamily, chosen.linuxType, chosen.linuxProtocol)
        } catch { throw error.wsa }
        if overlapped {
            do { try Sys.setNonBlocking(fd, true) } catch { Sys.close(fd); throw error.wsa }
        }
        if !self.family.urgentData { KernelSocket.keepUrgentInLine(fd) }
        let socket = KernelSocket(fd: fd, kind: kind, family: self.family, overlapped: overlapped, status: [])
        return try register(socket)   // on failure the socket's deinit closes fd
    }

    public func bind(_ s: SOCKET, name: UnsafePointer<WS_sockaddr>?, length: Int32) throws(WSAError) {
        let socket = try lookup(s)
        // A wrong family is WSAEFAULT here (WSPBind remarks).
        let endpoint = try family.parse(name, length: length, wrongFamily: .fault)
        if socket.current.contains(.bound) { throw .invalidArgument }
        do {
            try endpoint.withLinux { (sa, len) throws(Errno) in try Sys.bind(socket.fd, sa, len) }
        } catch { throw error.wsa }
        socket.set(.bound)
    }

    public func listen(_ s: SOCKET, backlog: Int32) throws(WSAError) {
        let socket = try lookup(s)
        guard socket.kind == .stream else { throw .operationNotSupported }
        let st = socket.current
        if st.contains(.connected) || st.contains(.connecting) { throw .isConnected }
        guard st.contains(.bound) else { throw .invalidArgument }
        // Illegal values become the nearest legal one, 1...SOMAXCONN (WSPListen),
        // or 1...ListenBacklogLimit from the catalog (RULINGS §10).
        let clamped = min(max(backlog, 1), listenBacklogLimit)
        do {
            // A listener's descriptor is always non-blocking: WSPAccept waits
            // in poll(2), where close and cancellation can reach it.
            try Sys.setNonBlocking(socket.fd, true)
            try Sys.listen(socket.fd, clamped)
        } catch { throw error.wsa }
        socket.set(.listening)
    }

    /// The largest backlog WSPListen passes to the kernel.
    var listenBacklogLimit: Int32 { backlogLimit.load(ordering: .relaxed) }

    public func closeSocket(_ s: SOCKET) throws(WSAError) {
        try requireStarted()
        guard let socket = sockets.remove(s) else { throw .notSocket }
        // Closed first, then out of the engine: a registration racing with
        // this close sees one or the other (Events.watch).
        socket.markClosed(abortive: false)
        unwatch(socket)
        groups.leave(socket)
    }

    public func shutdown(_ s: SOCKET, how: Int32) throws(WSAError) {
        let socket = try lookup(s)
        guard let linuxHow = Translation.shutdownHow.linux(how) else { throw .invalidArgument }
        if socket.kind == .stream {
            socket.resolveConnect()
            guard socket.current.contains(.connected) else { throw .notConnected }
        }
        // The bits first: the engine, woken by the kernel's hang-up, must
        // find the shutdown the socket's own (no FD_CLOSE for it).
        let bits: SocketStatus = how == SD_RECEIVE ? .receiveShut : how == SD_SEND ? .sendShut : [.receiveShut, .sendShut]
        let added = bits.subtracting(socket.current)
        socket.set(bits)
        do { try Sys.shutdown(socket.fd, linuxHow) } catch {
            // An unconnected datagram socket has nothing to shut down in the
            // kernel; the provider still refuses further calls.
            if !(socket.kind == .datagram && error.rawValue == ENOTCONN) {
                socket.clear(added)
                throw error.wsa
            }
        }
    }

    public func getSockName(_ s: SOCKET, name: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?) throws(WSAError) {
        let socket = try lookup(s)
        guard name != nil, let length, length.pointee >= family.minimumAddressLength else { throw .fault }
        guard socket.current.contains(.bound) else { throw .invalidArgument }
        try family.store(socket.localEndpoint(), to: name, length: length)
    }

    public func getPeerName(_ s: SOCKET, name: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?) throws(WSAError) {
        let socket = try lookup(s)
        guard name != nil, let length, length.pointee >= family.minimumAddressLength else { throw .fault }
        socket.resolveConnect()
        guard socket.current.contains(.connected) else { throw .notConnected }
        if socket.kind == .stream {
            if let peer = socket.state.withLock({ $0.peer }) { return try family.store(peer, to: name, length: length) }
            let peer = try socket.peerEndpoint()
            socket.state.withLock { $0.peer = peer }
            return try family.store(peer, to: name, length: length)
        }
        try family.store(socket.peerEndpoint(), to: name, length: length)
    }

    public func ioctlSocket(_ s: SOCKET, command: Int32, argument: UnsafeMutablePointer<WS_u_long>?) throws(WSAError) {
        let socket = try lookup(s)
        guard let argument else { throw .fault }
        switch command {
        case Int32(bitPattern: WS_FIONBIO):
            let on = argument.pointee != 0
            // A socket with a notification selection stays non-blocking.
            if !on, socket.current.contains(.watched), socket.watch.load()?.registration.hasSelection == true {
                throw .invalidArgument
            }
            // A listener stays non-blocking in the kernel (see listen).
            if !socket.current.contains(.listening) && !socket.overlapped {
                do { try Sys.setNonBlocking(socket.fd, on) } catch { throw error.wsa }
            }
            if on { socket.set(.nonBlocking) } else { socket.clear(.nonBlocking) }
        case WS_FIONREAD:
            if socket.current.contains(.listening) { argument.pointee = 0; return }
            var n: Int32 = 0
            do { try Sys.ioctl(socket.fd, UInt(FIONREAD), &n) } catch { throw error.wsa }
            argument.pointee = WS_u_long(max(n, 0))
        case WS_SIOCATMARK:
            guard socket.kind == .stream else { throw .invalidArgument }
            // A family without urgent data is always at the mark.
            if !family.urgentData { argument.pointee = 1; return }
            argument.pointee = try atMark(socket) ? 1 : 0
        default:
            throw .invalidArgument   // FIOASYNC and everything else (RULINGS §10)
        }
    }

    /// SIOCATMARK: TRUE unless out-of-band data is waiting to be read.
    private func atMark(_ socket: KernelSocket) throws(WSAError) -> Bool {
        var inline: Int32 = 0
        var len = socklen_t(4)
        try? Sys.getsockopt(socket.fd, SOL_SOCKET, SO_OOBINLINE, &inline, &len)
        if inline == 0 {
            if socket.current.contains(.urgentHeld) { return false }
            // The urgent byte is kept apart: can it be peeked at?
            var byte: UInt8 = 0
            return (try? Sys.recv(socket.fd, &byte, 1, Int32(MSG_OOB | MSG_PEEK | MSG_DONTWAIT))) != 1
        }
        // In line: the kernel's mark says whether the urgent byte is next;
        // a peek stops at the mark, so a short peek means data precedes it.
        var mark: Int32 = 0
        try? Sys.ioctl(socket.fd, UInt(SIOCATMARK), &mark)
        if mark != 0 { return false }
        var queued: Int32 = 0
        try? Sys.ioctl(socket.fd, UInt(FIONREAD), &queued)
        if queued <= 0 { return true }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Int(queued), alignment: 1)
        defer { buffer.deallocate() }
        let peeked = (try? Sys.recv(socket.fd, buffer, Int(queued), Int32(MSG_PEEK | MSG_DONTWAIT))) ?? Int(queued)
        return peeked >= Int(queued)
    }
}
