// WSPAccept with the condition function (CF_ACCEPT, CF_REJECT, CF_DEFER).
import Glibc
import CWS2SPI

extension KernelSocketProvider {
    public func accept(_ s: SOCKET, address: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?,
                       condition: LPCONDITIONPROC?, callbackData: DWORD) throws(WSAError) -> SOCKET {
        let listener = try lookup(s)
        do {
            let handle = try accept(listener, address: address, length: length, condition: condition, callbackData: callbackData)
            if listener.current.contains(.watched) { rearmAfterAccept(listener, deferred: false) }
            return handle
        } catch {
            // WSPAccept re-enables FD_ACCEPT unless the condition deferred.
            if listener.current.contains(.watched) { rearmAfterAccept(listener, deferred: error == .tryAgain) }
            throw error
        }
    }

    private func accept(_ listener: KernelSocket, address: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?,
                        condition: LPCONDITIONPROC?, callbackData: DWORD) throws(WSAError) -> SOCKET {
        guard listener.kind == .stream else { throw .operationNotSupported }
        guard listener.current.contains(.listening) else { throw .invalidArgument }
        // addr and addrlen are optional, but a buffer too small is an error.
        let wantsAddress = address != nil && length != nil
        if wantsAddress, length!.pointee < family.minimumAddressLength { throw .fault }

        let connection = try nextConnection(listener)
        if wantsAddress {
            guard length!.pointee >= family.winsockLength(connection.peer) else {
                requeue(connection, on: listener)
                throw .fault
            }
            length!.pointee = family.store(connection.peer, to: address!, capacity: length!.pointee)
        }

        var group: GROUP = 0
        if let condition {
            let verdict = askCondition(condition, connection, listener: listener, group: &group, callbackData: callbackData)
            switch verdict {
            case CF_ACCEPT:
                break
            case CF_REJECT:
                KernelSocket.abort(connection.fd)   // the peer sees its connection reset
                throw .connectionRefused
            case CF_DEFER:
                requeue(connection, on: listener)
                throw .tryAgain
            default:
                requeue(connection, on: listener)
                throw .invalidArgument
            }
            if group != 0 {
                do throws(WSAError) { try groups.validate(group, peer: family.host(connection.peer)) } catch {
                    requeue(connection, on: listener)
                    throw error
                }
            }
        }

        // The new socket has the listener's properties (accept(2) already
        // copied the kernel options; these are the provider's own).
        let nonBlocking = listener.current.contains(.nonBlocking)
        if nonBlocking || listener.overlapped {
            do { try Sys.setNonBlocking(connection.fd, true) } catch {
                requeue(connection, on: listener)
                throw error.wsa
            }
        }
        // accept(2) does not copy SO_OOBINLINE on every family (AF_UNIX).
        if !family.urgentData { KernelSocket.keepUrgentInLine(connection.fd) }
        let accepted = KernelSocket(fd: connection.fd, kind: .stream, family: family, overlapped: listener.overlapped,
                                status: nonBlocking ? [.bound, .connected, .nonBlocking] : [.bound, .connected])
        let inherited = listener.state.withLock { $0 }
        accepted.state.withLock {
            $0.debug = inherited.debug
            $0.receiveBuffer = inherited.receiveBuffer
            $0.sendBuffer = inherited.sendBuffer
            $0.peer = connection.peer
        }
        guard let handle = sockets.insert(accepted) else {
            // No handle left: the connection stays queued (not lost), and the
            // object, never published, gives its descriptor back.
            accepted.disown()
            requeue(connection, on: listener)
            throw .tooManyFiles
        }
        if group != 0 { groups.join(accepted, group: group, peer: family.host(connection.peer)) }
        inheritSelection(from: listener, to: accepted, handle: handle)
        return handle
    }

    /// The first connection: one WSPAccept put back, else the kernel's next.
    /// Blocks (in poll) for a blocking listener.
    private func nextConnection(_ listener: KernelSocket) throws(WSAError) -> PendingConnection {
        while true {
            if let first = listener.state.withLock({ $0.pending.isEmpty ? nil : $0.pending.removeFirst() }) {
                return first
            }
            var fd: Int32 = -1
            do {
                let peer = try SocketAddress.fromLinux { (sa, len) throws(Errno) in fd = try Sys.accept(listener.fd, sa, len) }
                return PendingConnection(fd: fd, peer: peer)
            } catch where error.isWouldBlock {
                if listener.isNonBlocking { throw .wouldBlock }
                try waitReadable(listener)
            } catch where error.rawValue == ECONNABORTED {
                continue   // the peer gave up before we took it
            } catch {
                throw error.wsa
            }
        }
    }

    /// Waits until the listener has a connection queued, or is closed (WSAEINTR).
    private func waitReadable(_ socket: KernelSocket) throws(WSAError) {
        _ = try socket.waitReady(Int16(POLLIN))
    }

    private func requeue(_ connection: PendingConnection, on listener: KernelSocket) {
        let stillOpen = listener.state.withLock { state -> Bool in
            // Checked under the lock, so a concurrent close never misses it.
            guard !listener.current.contains(.closed) else { return false }
            state.pending.insert(connection, at: 0)
            return true
        }
        if !stillOpen { KernelSocket.abort(connection.fd) }
    }

    /// Calls the condition function with the caller's and our address.
    private func askCondition(_ condition: LPCONDITIONPROC, _ connection: PendingConnection, listener: KernelSocket,
                              group: inout GROUP, callbackData: DWORD) -> Int32 {
        let size = Int(family.maximumAddressLength)
        var callerAddress = [UInt8](repeating: 0, count: size)
        var calleeAddress = [UInt8](repeating: 0, count: size)
        let callerLength = callerAddress.withUnsafeMutableBytes { family.store(connection.peer, to: $0.baseAddress!, capacity: Int32(size)) }
        let local = (try? KernelSocket.localEndpoint(of: connection.fd)) ?? family.unspecifiedAddress
        let calleeLength = calleeAddress.withUnsafeMutableBytes { family.store(local, to: $0.baseAddress!, capacity: Int32(size)) }
        return callerAddress.withUnsafeMutableBytes { caller in
            calleeAddress.withUnsafeMutableBytes { callee in
                // Kernel streams carry no connect data: caller data and the
                // callee data buffer are empty (len 0 means "not supported").
                var callerId = WSABUF(len: callerLength, buf: caller.baseAddress!.assumingMemoryBound(to: CChar.self))
                var calleeId = WSABUF(len: calleeLength, buf: callee.baseAddress!.assumingMemoryBound(to: CChar.self))
                var callerData = WSABUF(len: 0, buf: nil)
                var calleeData = WSABUF(len: 0, buf: nil)
                return condition(&callerId, &callerData, &calleeId, &calleeData, &group, callbackData)
            }
        }
    }
}
