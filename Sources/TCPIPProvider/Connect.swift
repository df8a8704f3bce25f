// WSPConnect: blocking and non-blocking connects, datagram default peers,
// groups and connect data (RULINGS §11).
import Glibc
import ProviderKit
import CWS2SPI

extension TCPIPProvider {
    public func connect(_ s: SOCKET, name: UnsafePointer<WS_sockaddr>?, length: Int32,
                        callerData: LPWSABUF?, calleeData: LPWSABUF?, group: GROUP,
                        socketFlowspec: LPQOS?, groupFlowspec: LPQOS?) throws(WSAError) {
        let socket = try lookup(s)
        if socket.kind == .datagram {
            return try connectDatagram(socket, name: name, length: length, group: group)
        }
        guard let name else { throw .fault }
        // Flow specs are for DSTREAM sockets only: ignored here (RULINGS §11).
        let endpoint = try IPv4Endpoint.parse(name, length: length, wrongFamily: .addressFamilyNotSupported)
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
            IPSocket.disconnect(socket.fd)
        }
        socket.clear([.connectFailed, .connectUnreported])
        if st.contains(.watched) { rearmConnect(socket) }
        // TCP carries no connect data.
        if let callerData, callerData.pointee.len > 0 { throw .protocolNotSupported }
        if let calleeData { calleeData.pointee.len = 0 }
        if endpoint.isAnyAddress || endpoint.port == 0 { throw .addressNotAvailable }
        if group != 0 { try groups.validate(group, peer: endpoint.address) }

        do throws(WSAError) {
            if socket.isNonBlocking {
                do {
                    try endpoint.withLinux { (sa, len) throws(Errno) in try Sys.connect(socket.fd, sa, len) }
                } catch { throw error.wsa }   // EINPROGRESS becomes WSAEWOULDBLOCK
            } else {
                // Blocking.swift: waits out a signal, runs a blocking hook.
                try socket.blockingConnect { () throws(Errno) in
                    try endpoint.withLinux { (sa, len) throws(Errno) in try Sys.connect(socket.fd, sa, len) }
                }
            }
        } catch {
            if error == .wouldBlock {
                // In progress: completion shows in WSPSelect (writable, or except
                // on failure) and as FD_CONNECT.
                socket.set([.connecting, .bound])
                if group != 0 { groups.join(socket, group: group, peer: endpoint.address) }
                // A loopback connect may finish (and the engine look at the
                // socket) before .connecting is set: have it look again.
                if socket.current.contains(.watched) { socket.watch.load()?.kick() }
            }
            throw error
        }
        socket.state.withLock { $0.peer = endpoint }
        socket.set([.connected, .bound])
        if group != 0 { groups.join(socket, group: group, peer: endpoint.address) }
    }

    /// Connect on a datagram socket sets (or, with AF_UNSPEC, dissolves) the
    /// default peer; connect data and flow specs are ignored.
    private func connectDatagram(_ socket: IPSocket, name: UnsafePointer<WS_sockaddr>?, length: Int32, group: GROUP) throws(WSAError) {
        // Groups are for connection-oriented sockets only (RULINGS §11).
        if group != 0 { throw .invalidArgument }
        guard let name else { throw .fault }
        if length >= 2, Int32(UnsafeRawPointer(name).loadUnaligned(as: UInt16.self)) == WS_AF_UNSPEC {
            IPSocket.disconnect(socket.fd)
            socket.clear(.connected)
            return
        }
        let endpoint = try IPv4Endpoint.parse(name, length: length, wrongFamily: .addressFamilyNotSupported)
        if endpoint.isAnyAddress || endpoint.port == 0 { throw .addressNotAvailable }
        do {
            try endpoint.withLinux { (sa, len) throws(Errno) in try Sys.connect(socket.fd, sa, len) }
        } catch { throw error.wsa }
        socket.set([.connected, .bound])
    }
}
