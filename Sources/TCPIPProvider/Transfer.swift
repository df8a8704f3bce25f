// WSPSend, WSPSendTo, WSPRecv, WSPRecvFrom: the data path. One kernel call
// per Winsock call, except a TCP receive with SO_OOBINLINE off, which polls
// for urgent data first (receiveStream); no allocation, no lock.
import Glibc
import ProviderKit
import CWS2SPI

extension TCPIPProvider {
    public func receive(_ s: SOCKET, buffer: UnsafeMutableRawPointer?, length: DWORD, received: LPDWORD?, flags: LPINT?,
                        from: UnsafeMutableRawPointer?, fromLength: LPINT?,
                        overlapped: LPWSAOVERLAPPED?, completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        let socket = try lookup(s)
        // An overlapped call (RULINGS §8): Overlapped.swift. Without the
        // socket flag, lpOverlapped and the routine are ignored.
        if let overlapped, socket.overlapped {
            return try postReceive(socket, handle: s, buffer: buffer, length: length, received: received, flags: flags,
                                   from: from, fromLength: fromLength, overlapped: overlapped, completion: completion)
        }
        guard let received, let flags else { throw .fault }
        let inFlags = flags.pointee & ~WS.MSG_PARTIAL
        let st = socket.current
        let kernelFlags = try checkReceive(socket, st, buffer: buffer, length: length, flags: inFlags, from: from, fromLength: fromLength)

        if socket.kind == .stream && !st.contains(.oobInline)
            && (!st.contains(.urgentByEngine) || inFlags & WS.MSG_OOB != 0) {
            let n = try receiveStream(socket, buffer, Int(length), kernelFlags)
            received.pointee = DWORD(n)
            flags.pointee = inFlags
            if st.contains(.watched) { afterReceive(socket, filled: n == Int(length)) }
            return
        }

        let wantsFrom = socket.kind == .datagram && from != nil
        var peer = sockaddr_in()
        var peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n: Int
        do throws(WSAError) {
            n = try socket.isNonBlocking
                ? call { () throws(Errno) in try kernelReceive(socket.fd, buffer, Int(length), kernelFlags | Int32(MSG_DONTWAIT), wantsFrom, &peer, &peerLength) }
                : socket.blocking(until: Int16(POLLIN)) { (dontWait) throws(Errno) -> Int in
                    try kernelReceive(socket.fd, buffer, Int(length), kernelFlags | dontWait, wantsFrom, &peer, &peerLength)
                }
        } catch {
            socket.recordBreak(error)
            if st.contains(.watched) && error != .wouldBlock { afterReceive(socket, filled: true) }
            // A datagram socket learns of an ICMP port-unreachable as a reset.
            if socket.kind == .datagram && error == .connectionRefused { throw .connectionReset }
            throw error
        }

        if wantsFrom { IPv4Endpoint(linux: peer).store(to: from!); fromLength!.pointee = WS.sockaddrInSize }
        if socket.kind == .datagram && n > Int(length) {
            // Truncated: the buffer holds the first part, the rest is lost.
            received.pointee = length
            flags.pointee = inFlags | WS.MSG_PARTIAL
            throw .messageSize
        }
        received.pointee = DWORD(n)
        flags.pointee = inFlags
        if st.contains(.watched) { afterReceive(socket, filled: n >= Int(length)) }
    }

    /// What WSPRecv and WSPRecvFrom check before receiving, overlapped or
    /// not; returns the kernel's flags. Re-enables FD_READ / FD_OOB (any call
    /// to the re-enabling routine re-enables, even one that fails).
    @inline(__always)
    func checkReceive(_ socket: IPSocket, _ st: SocketStatus, buffer: UnsafeMutableRawPointer?, length: DWORD, flags inFlags: Int32,
                      from: UnsafeMutableRawPointer?, fromLength: LPINT?) throws(WSAError) -> Int32 {
        if buffer == nil && length > 0 { throw .fault }
        guard var kernelFlags = Translation.flags(inFlags, Translation.receiveFlags) else { throw .operationNotSupported }
        if st.contains(.watched) { rearmBeforeReceive(socket) }
        if st.contains(.receiveShut) { throw .shutdown }

        switch socket.kind {
        case .stream:
            if st.contains(.broken), let broken = socket.brokenError { throw broken }
            if inFlags & WS.MSG_OOB != 0 && !st.contains(.connected) { throw .notConnected }
            if !st.contains(.connected) {
                if st.contains(.connecting) && socket.resolveConnect() == nil && socket.current.contains(.connected) {
                    break
                }
                throw .notConnected
            }
        case .datagram:
            if inFlags & WS.MSG_OOB != 0 { throw .operationNotSupported }
            guard st.contains(.bound) else { throw .invalidArgument }
            // The size of the whole datagram comes back, to detect truncation.
            kernelFlags |= Int32(MSG_TRUNC)
            if from != nil {
                guard let fromLength, fromLength.pointee >= WS.sockaddrInSize else { throw .fault }
            }
        }
        return kernelFlags
    }

    /// A stream receive with SO_OOBINLINE off. Linux drops an urgent byte
    /// that a normal read passes, so each normal read first asks poll(2)
    /// whether one waits (POLLPRI) and moves it aside; the wait of a
    /// blocking read is that same poll. MSG_OOB reads the byte held aside.
    /// (Event-driven sockets without FD_OOB selected skip this: the engine
    /// holds the byte when EPOLLPRI reports it, which costs their reads
    /// nothing but can lose the race with an immediate second read.)
    @inline(__always)
    private func receiveStream(_ socket: IPSocket, _ buffer: UnsafeMutableRawPointer?, _ length: Int, _ flags: Int32) throws(WSAError) -> Int {
        if flags & Int32(MSG_OOB) != 0 {
            socket.holdUrgentByte()
            guard let byte = socket.takeUrgentByte(peek: flags & Int32(MSG_PEEK) != 0) else { throw .invalidArgument }
            if length < 1 { return 0 }
            buffer!.storeBytes(of: byte, as: UInt8.self)
            return 1
        }
        let nonBlocking = socket.isNonBlocking
        while true {
            var p = pollfd(fd: socket.fd, events: Int16(POLLIN | POLLPRI), revents: 0)
            if nonBlocking {
                _ = try call { () throws(Errno) in try Sys.poll(&p, 1, 0) }
            } else {
                p.revents = try socket.waitReady(p.events)
            }
            if Int32(p.revents) & Int32(POLLPRI) != 0 { socket.holdUrgentByte() }
            do {
                return try Sys.recv(socket.fd, buffer, length, flags | Int32(MSG_DONTWAIT))
            } catch where error.isWouldBlock && !nonBlocking {
                continue   // only the urgent byte was there: wait again
            } catch {
                if socket.current.contains(.closed) { throw .interrupted }
                socket.recordBreak(error.wsa)
                throw error.wsa
            }
        }
    }

    @inline(__always)
    private func kernelReceive(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ length: Int, _ flags: Int32,
                               _ wantsFrom: Bool, _ peer: inout sockaddr_in, _ peerLength: inout socklen_t) throws(Errno) -> Int {
        if !wantsFrom { return try Sys.recv(fd, buffer, length, flags) }
        return try withUnsafeMutablePointer(to: &peer) { (p) throws(Errno) -> Int in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(Errno) -> Int in
                try Sys.recvfrom(fd, buffer, length, flags, q, &peerLength)
            }
        }
    }

    public func send(_ s: SOCKET, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
                     to: UnsafeRawPointer?, toLength: Int32?,
                     overlapped: LPWSAOVERLAPPED?, completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        let socket = try lookup(s)
        if let overlapped, socket.overlapped {
            return try postSend(socket, handle: s, buffer: buffer, length: length, sent: sent, flags: flags,
                                to: to, toLength: toLength, overlapped: overlapped, completion: completion)
        }
        do {
            try send(socket, buffer: buffer, length: length, sent: sent, flags: flags, to: to, toLength: toLength)
        } catch {
            // FD_WRITE comes again once a send has failed with WSAEWOULDBLOCK.
            if error == .wouldBlock && socket.current.contains(.watched) { rearmAfterWouldBlock(socket) }
            throw error
        }
    }

    @inline(__always)
    private func send(_ socket: IPSocket, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
                      to: UnsafeRawPointer?, toLength: Int32?) throws(WSAError) {
        guard let sent else { throw .fault }
        let (kernelFlags, target) = try checkSend(socket, buffer: buffer, length: length, flags: flags, to: to, toLength: toLength)

        switch socket.kind {
        case .stream:
            sent.pointee = DWORD(try sendStream(socket, buffer, Int(length), kernelFlags))
        case .datagram:
            let nonBlocking = socket.isNonBlocking
            let f = kernelFlags | (nonBlocking ? Int32(MSG_DONTWAIT) : 0)
            let n: Int
            if let target {
                n = try target.withLinux { (sa, len) throws(WSAError) -> Int in
                    nonBlocking
                        ? try call { () throws(Errno) in try Sys.sendto(socket.fd, buffer, Int(length), f, sa, len) }
                        : try socket.blocking(until: Int16(POLLOUT)) { (dontWait) throws(Errno) in
                            try Sys.sendto(socket.fd, buffer, Int(length), f | dontWait, sa, len)
                        }
                }
                socket.set(.bound)   // sendto binds an unbound socket
            } else {
                n = nonBlocking
                    ? try call { () throws(Errno) in try Sys.send(socket.fd, buffer, Int(length), f) }
                    : try socket.blocking(until: Int16(POLLOUT)) { (dontWait) throws(Errno) in
                        try Sys.send(socket.fd, buffer, Int(length), f | dontWait)
                    }
            }
            sent.pointee = DWORD(n)
        }
    }

    /// What WSPSend and WSPSendTo check before sending, overlapped or not:
    /// the kernel's flags and, for a datagram socket, the destination
    /// (nil: the connected peer).
    @inline(__always)
    func checkSend(_ socket: IPSocket, buffer: UnsafeRawPointer?, length: DWORD, flags: Int32,
                   to: UnsafeRawPointer?, toLength: Int32?) throws(WSAError) -> (Int32, IPv4Endpoint?) {
        if buffer == nil && length > 0 { throw .fault }
        guard let kernelFlags = Translation.flags(flags, Translation.sendFlags) else { throw .operationNotSupported }
        let st = socket.current
        if st.contains(.sendShut) { throw .shutdown }
        switch socket.kind {
        case .stream:
            if !st.contains(.connected) {
                if !(st.contains(.connecting) && socket.resolveConnect() == nil && socket.current.contains(.connected)) {
                    throw .notConnected
                }
            }
            // lpTo is ignored on a connection-oriented socket.
            return (kernelFlags, nil)
        case .datagram:
            if flags & WS.MSG_OOB != 0 { throw .operationNotSupported }
            if let toLength, to != nil {
                let endpoint = try IPv4Endpoint.parse(to, length: toLength, wrongFamily: .addressFamilyNotSupported)
                if endpoint.isAnyAddress || endpoint.port == 0 { throw .addressNotAvailable }
                return (kernelFlags, endpoint)
            }
            // WSPSend needs a default peer; WSPSendTo without lpTo a destination.
            if !st.contains(.connected) { throw toLength == nil ? .notConnected : .destinationRequired }
            return (kernelFlags, nil)
        }
    }

    /// A stream send: a blocking socket sends everything (Winsock's blocking
    /// send returns when all bytes are queued), a non-blocking one what fits.
    @inline(__always)
    private func sendStream(_ socket: IPSocket, _ buffer: UnsafeRawPointer?, _ length: Int, _ flags: Int32) throws(WSAError) -> Int {
        if socket.isNonBlocking {
            return try call { () throws(Errno) in try Sys.send(socket.fd, buffer, length, flags | Int32(MSG_DONTWAIT)) }
        }
        var done = 0
        repeat {
            do {
                done += try socket.blocking(until: Int16(POLLOUT)) { (dontWait) throws(Errno) -> Int in
                    try Sys.send(socket.fd, buffer.map { $0 + done }, length - done, flags | dontWait)
                }
            } catch where error == .interrupted && done > 0 && !socket.current.contains(.closed) {
                // Cancelled by the blocking hook after part went out: the
                // count tells exactly what was sent, so the stream stays
                // whole (no reset needed, draft WSPCancelBlockingCall32).
                return done
            }
        } while done < length
        return done
    }
}

/// Runs a kernel call that cannot block, turning its errno into a WSA code.
@inline(__always)
func call<T>(_ body: () throws(Errno) -> T) throws(WSAError) -> T {
    do { return try body() } catch { throw error.wsa }
}
