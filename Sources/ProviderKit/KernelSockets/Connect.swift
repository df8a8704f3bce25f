// WSPConnect: blocking and non-blocking connects, datagram default peers,
// groups and connect data (RULINGS §11).
import Glibc
import CWS2SPI

extension KernelSocketProvider {
    public func connect(_ s: SOCKET, name: UnsafePointer<WS_sockaddr>?, length: Int32,
                        callerData: LPWSABUF?, calleeData: LPWSABUF?, group: GROUP,
                        socketFlowspec: LPQOS?, groupFlowspec: LPQOS?) throws(WSAError) {
        let socket = try lookup(s)
        if socket.kind == .datagram {
            return try connectDatagram(socket, name: name, length: length, group: group)
        }
        guard let name else { throw .fault }
        // Flow specs are for DSTREAM sockets only: ignored here (RULINGS §11).
        let endpoint = try family.parse(name, length: length, wrongFamily: .addressFamilyNotSupported)
        let st = socket.current
        if st.contains(.listening) { throw .invalidArgument }
        if st.contains(.connecting) {
            if let error = socket.resolveConnect() { throw error }
            throw socket.current.contains(.connected) ? .isConnected : .already
        }
        if st.contains(.connected) { throw .isConnected }
        if st.contains(.connectFailed) {
            // Linux fails the first connect(2) after a failed attempt with
            // ECONNABORTED; Winsock starts a new attempt (RULINGS §7a).
            // connect(AF_UNSPEC) puts the socket back to unconnected.
            KernelSocket.disconnect(socket.fd)
        }
        socket.clear([.connectFailed, .connectUnreported])
        if st.contains(.watched) { rearmConnect(socket) }
        // Kernel streams carry no connect data.
        if let callerData, callerData.pointee.len > 0 { throw .protocolNotSupported }
        if let calleeData { calleeData.pointee.len = 0 }
        if let refused = family.destinationError(endpoint) { throw refused }
        if group != 0 { try groups.validate(group, peer: family.host(endpoint)) }

        do throws(WSAError) {
            if socket.isNonBlocking {
                do {
                    try endpoint.withLinux { (sa, len) throws(Errno) in try connectKernel(socket.fd, sa, len) }
                } catch { throw error.wsa }   // EINPROGRESS becomes WSAEWOULDBLOCK
            } else if family.connectsAtOnce {
                // Done or refused at once: asked without blocking, so the
                // kernel never waits for room in a full backlog (a wait no
                // close could end); a full backlog is refused, as Winsock does.
                do {
                    try Sys.setNonBlocking(socket.fd, true)
                    defer { if !socket.current.contains(.nonBlocking) { try? Sys.setNonBlocking(socket.fd, false) } }
                    try endpoint.withLinux { (sa, len) throws(Errno) in try connectKernel(socket.fd, sa, len) }
                } catch { throw error.wsa }
            } else {
                // Blocking.swift: waits out a signal, runs a blocking hook.
                try socket.blockingConnect { () throws(Errno) in
                    try endpoint.withLinux { (sa, len) throws(Errno) in try connectKernel(socket.fd, sa, len) }
                }
            }
        } catch {
            if error == .wouldBlock {
                // In progress: completion shows in WSPSelect (writable, or except
                // on failure) and as FD_CONNECT.
                socket.set([.connecting, .bound])
                if group != 0 { groups.join(socket, group: group, peer: family.host(endpoint)) }
                // A loopback connect may finish (and the engine look at the
                // socket) before .connecting is set: have it look again.
                if socket.current.contains(.watched) { socket.watch.load()?.kick() }
            }
            throw error
        }
        // The peer as the kernel names it (an AF_UNIX path at its own
        // length, not the length the caller gave).
        let peer = (try? socket.peerEndpoint()) ?? endpoint
        socket.state.withLock { $0.peer = peer }
        if socket.isNonBlocking {
            // Done at once (AF_UNIX, a listener with room): as Winsock's
            // non-blocking connect, WSAEWOULDBLOCK and then FD_CONNECT, so a
            // program waiting for FD_CONNECT gets it.
            socket.set([.connected, .bound, .connectUnreported])
            if group != 0 { groups.join(socket, group: group, peer: family.host(endpoint)) }
            if socket.current.contains(.watched) { socket.watch.load()?.kick() }
            throw .wouldBlock
        }
        socket.set([.connected, .bound])
        if group != 0 { groups.join(socket, group: group, peer: family.host(endpoint)) }
    }

    /// Connect on a datagram socket sets (or, with AF_UNSPEC, dissolves) the
    /// default peer; connect data and flow specs are ignored.
    private func connectDatagram(_ socket: KernelSocket, name: UnsafePointer<WS_sockaddr>?, length: Int32, group: GROUP) throws(WSAError) {
        // Groups are for connection-oriented sockets only (RULINGS §11).
        if group != 0 { throw .invalidArgument }
        guard let name else { throw .fault }
        if length >= 2, Int32(UnsafeRawPointer(name).loadUnaligned(as: UInt16.self)) == WS_AF_UNSPEC {
            KernelSocket.disconnect(socket.fd, shutDownIfRefused: false)
            socket.clear(.connected)
            return
        }
        let endpoint = try family.parse(name, length: length, wrongFamily: .addressFamilyNotSupported)
        if let refused = family.destinationError(endpoint) { throw refused }
        if family.localDatagrams { try socket.autobindIfUnbound() }
        do {
            try endpoint.withLinux { (sa, len) throws(Errno) in try connectKernel(socket.fd, sa, len) }
        } catch { throw error.wsa }
        socket.set([.connected, .bound])
    }
}

/// connect(2), with the errors that do not mean what Winsock's would:
/// a path nobody listens on (ENOENT, AF_UNIX) is refused as a port nobody
/// listens on is, WSAECONNREFUSED; EAGAIN is never "in progress" (that is
/// EINPROGRESS): on AF_UNIX the listener's backlog is full, refused as
/// Winsock refuses it, and on AF_INET no local port is left, WSAEADDRNOTAVAIL.
@inline(__always)
func connectKernel(_ fd: Int32, _ sa: UnsafePointer<sockaddr>, _ len: socklen_t) throws(Errno) {
    do { try Sys.connect(fd, sa, len) } catch {
        if error.rawValue == EAGAIN { throw Errno(Int32(sa.pointee.sa_family) == AF_UNIX ? ECONNREFUSED : EADDRNOTAVAIL) }
        throw refusedIfNobodyThere(error)
    }
}

/// A name nobody holds (ENOENT: an AF_UNIX path with no socket) is refused
/// as a port nobody listens on is: ECONNREFUSED. connect and sendto.
@inline(__always)
func refusedIfNobodyThere(_ error: Errno) -> Errno {
    error.rawValue == ENOENT ? Errno(ECONNREFUSED) : error
}
