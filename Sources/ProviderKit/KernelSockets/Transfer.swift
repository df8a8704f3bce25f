// WSPSend, WSPSendTo, WSPRecv, WSPRecvFrom: the data path. One kernel call
// per Winsock call, except a TCP receive with SO_OOBINLINE off, which polls
// for urgent data first (receiveStream); no allocation, no lock.
import Glibc
import CWS2SPI

extension KernelSocketProvider {
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
        let inFlags = flags.pointee & ~WS_MSG_PARTIAL
        let st = socket.current
        let kernelFlags = try checkReceive(socket, st, buffer: buffer, length: length, flags: inFlags, from: from, fromLength: fromLength)
        let request = ReceiveRequest(buffer: buffer, length: Int(length), kernelFlags: kernelFlags, flags: inFlags,
                                     from: from, fromLength: fromLength)

        let outcome: Attempt
        if socket.kind == .stream && !st.urgentInLine
            && (!st.contains(.urgentByEngine) || inFlags & WS_MSG_OOB != 0) {
            outcome = try receiveGuarded(socket, request)
        } else if socket.isNonBlocking {
            outcome = receiveOnce(socket, request, dontWait: Int32(MSG_DONTWAIT))
        } else {
            outcome = try socket.blocking(until: Int16(POLLIN)) { (dontWait) throws(Errno) -> Attempt in
                let a = receiveOnce(socket, request, dontWait: dontWait)
                if case .wouldBlock = a { throw Errno(EAGAIN) }
                return a
            }
        }
        switch outcome {
        case .wouldBlock, .progressed:
            if st.contains(.watched) { afterReceive(socket, filled: false) }
            throw .wouldBlock
        case .finished(let error, let n, let f):
            if error != 0 && error != WSAError.messageSize.code {
                if socket.current.contains(.closed) { throw .interrupted }
                if st.contains(.watched) { afterReceive(socket, filled: true) }
                throw WSAError(code: error)
            }
            received.pointee = DWORD(n)
            flags.pointee = f
            if st.contains(.watched) { afterReceive(socket, filled: n >= Int(length)) }
            if error != 0 { throw WSAError(code: error) }   // truncated datagram: bytes and MSG_PARTIAL are set
        }
    }

    /// What WSPRecv and WSPRecvFrom check before receiving, overlapped or
    /// not; returns the kernel's flags. Re-enables FD_READ / FD_OOB (any call
    /// to the re-enabling routine re-enables, even one that fails).
    @inline(__always)
    func checkReceive(_ socket: KernelSocket, _ st: SocketStatus, buffer: UnsafeMutableRawPointer?, length: DWORD, flags inFlags: Int32,
                      from: UnsafeMutableRawPointer?, fromLength: LPINT?) throws(WSAError) -> Int32 {
        if buffer == nil && length > 0 { throw .fault }
        guard var kernelFlags = Translation.flags(inFlags, Translation.receiveFlags) else { throw .operationNotSupported }
        if st.contains(.watched) { rearmBeforeReceive(socket) }
        if st.contains(.receiveShut) { throw .shutdown }

        switch socket.kind {
        case .stream:
            if st.contains(.broken), let broken = socket.brokenError { throw broken }
            if inFlags & WS_MSG_OOB != 0 && st.contains(.noUrgentData) { throw .operationNotSupported }
            if inFlags & WS_MSG_OOB != 0 && !st.contains(.connected) { throw .notConnected }
            if !st.contains(.connected) {
                if st.contains(.connecting) && socket.resolveConnect() == nil && socket.current.contains(.connected) {
                    break
                }
                throw .notConnected
            }
        case .datagram:
            if inFlags & WS_MSG_OOB != 0 { throw .operationNotSupported }
            guard st.contains(.bound) else { throw .invalidArgument }
            // The size of the whole datagram comes back, to detect truncation.
            kernelFlags |= Int32(MSG_TRUNC)
            if from != nil {
                // Room for any sender: sockaddr_in, or all of SOCKADDR_UN (a
                // sender's name is only known once the datagram is taken).
                let room = socket.family.fixedAddressLength ? socket.family.minimumAddressLength : socket.family.maximumAddressLength
                guard let fromLength, fromLength.pointee >= room else { throw .fault }
            }
        }
        return kernelFlags
    }

    /// One receive attempt, the plain and the overlapped paths' only one:
    /// the urgent byte for MSG_OOB, the sender's address, truncation
    /// (WSAEMSGSIZE with MSG_PARTIAL and the buffer's worth of bytes), a
    /// reported ICMP error as WSAECONNRESET, a broken stream's error.
    /// `dontWait` is MSG_DONTWAIT, or 0 for a recv(2) that may block.
    /// Never throws: every outcome is an `Attempt` (`.wouldBlock` for EAGAIN).
    @inline(__always)
    func receiveOnce(_ socket: KernelSocket, _ r: ReceiveRequest, dontWait: Int32) -> Attempt {
        if r.flags & WS_MSG_OOB != 0 && socket.kind == .stream { return receiveUrgent(socket, r) }
        if socket.kind == .datagram && socket.current.contains(.icmpError) {
            // An ICMP error a send met first: it belongs to a receive (RULINGS §7a).
            socket.clear(.icmpError)
            return .finished(WSAError.connectionReset.code, 0, r.flags)
        }
        do throws(Errno) {
            let flags = r.kernelFlags | dontWait
            guard socket.kind == .datagram else {
                return .finished(0, try Sys.recv(socket.fd, r.buffer, r.length, flags), r.flags)
            }
            let n = try receiveDatagram(socket, r, flags)
            // Truncated: the buffer holds the first part, the rest is lost.
            if n > r.length { return .finished(WSAError.messageSize.code, r.length, r.flags | WS_MSG_PARTIAL) }
            return .finished(0, n, r.flags)
        } catch {
            if error.isWouldBlock { return .wouldBlock }
            // A datagram socket learns of an ICMP port-unreachable as a reset.
            let wsa = socket.kind == .datagram && error.wsa == .connectionRefused ? WSAError.connectionReset : error.wsa
            socket.recordBreak(wsa)
            return .finished(wsa.code, 0, r.flags)
        }
    }

    /// One datagram, and its sender's address when asked for (out of line:
    /// the stream receive stays small). checkReceive made sure the caller's
    /// buffer holds any address of the family.
    @inline(never)
    private func receiveDatagram(_ socket: KernelSocket, _ r: ReceiveRequest, _ flags: Int32) throws(Errno) -> Int {
        guard let from = r.from else { return try Sys.recv(socket.fd, r.buffer, r.length, flags) }
        var got = 0
        let peer = try SocketAddress.fromLinux { (sa, len) throws(Errno) in
            got = try Sys.recvfrom(socket.fd, r.buffer, r.length, flags, sa, len)
        }
        let capacity = r.fromLength?.pointee ?? socket.family.maximumAddressLength
        r.fromLength?.pointee = min(socket.family.store(peer, to: from, capacity: capacity), capacity)
        return got
    }

    /// A MSG_OOB receive: the urgent byte the provider holds (taken from
    /// the kernel first if it just arrived). With none: `.wouldBlock`, or
    /// the end of the stream (0 bytes) or its error. A 0-byte buffer only
    /// peeks: the byte is not thrown away.
    private func receiveUrgent(_ socket: KernelSocket, _ r: ReceiveRequest) -> Attempt {
        // In line there is no out-of-band byte to read (BSD: EINVAL).
        if socket.current.urgentInLine { return .finished(WSAError.invalidArgument.code, 0, r.flags) }
        if !socket.current.contains(.urgentHeld) { socket.holdUrgentByte() }
        let peek = r.kernelFlags & Int32(MSG_PEEK) != 0 || r.length == 0
        guard let byte = socket.takeUrgentByte(peek: peek) else {
            var next: UInt8 = 0
            do throws(Errno) {
                return try Sys.recv(socket.fd, &next, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0 ? .finished(0, 0, r.flags) : .wouldBlock
            } catch {
                return error.isWouldBlock ? .wouldBlock : .finished(error.wsa.code, 0, r.flags)
            }
        }
        if r.length == 0 { return .finished(0, 0, r.flags) }
        r.buffer!.storeBytes(of: byte, as: UInt8.self)
        return .finished(0, 1, r.flags)
    }

    /// A plain stream receive with SO_OOBINLINE off. Linux drops an urgent
    /// byte that a normal read passes, so each normal read first asks
    /// poll(2) whether one waits (POLLPRI) and moves it aside; the wait of
    /// a blocking read is that same poll. A plain MSG_OOB receive with no
    /// urgent byte held fails with WSAEINVAL (BSD). (Event-driven sockets
    /// without FD_OOB selected skip this: the engine holds the byte when
    /// EPOLLPRI reports it, which costs their reads nothing but can lose
    /// the race with an immediate second read.)
    @inline(__always)
    private func receiveGuarded(_ socket: KernelSocket, _ r: ReceiveRequest) throws(WSAError) -> Attempt {
        if r.flags & WS_MSG_OOB != 0 {
            let a = receiveUrgent(socket, r)
            if case .finished(0, 1, _) = a { return a }
            if case .finished(0, 0, _) = a, r.length == 0, socket.current.contains(.urgentHeld) { return a }
            throw .invalidArgument
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
            let a = receiveOnce(socket, r, dontWait: Int32(MSG_DONTWAIT))
            if case .wouldBlock = a, !nonBlocking {
                if socket.current.contains(.closed) { throw .interrupted }
                continue   // only the urgent byte was there: wait again
            }
            return a
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
    private func send(_ socket: KernelSocket, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
                      to: UnsafeRawPointer?, toLength: Int32?) throws(WSAError) {
        guard let sent else { throw .fault }
        let (kernelFlags, target) = try checkSend(socket, buffer: buffer, length: length, flags: flags, to: to, toLength: toLength)

        switch socket.kind {
        case .stream:
            sent.pointee = DWORD(try sendStream(socket, buffer, Int(length), kernelFlags))
        case .datagram:
            do {
                sent.pointee = DWORD(try sendDatagram(socket, buffer, length, kernelFlags, target))
            } catch where error == .connectionRefused && socket.family.deferredDatagramErrors {
                // Linux hands an ICMP port-unreachable to whichever call
                // comes next; Winsock reports it to receives only (RULINGS
                // §7a): keep it for the next receive and send again.
                socket.set(.icmpError)
                sent.pointee = DWORD(try sendDatagram(socket, buffer, length, kernelFlags, target))
            }
        }
    }

    @inline(__always)
    private func sendDatagram(_ socket: KernelSocket, _ buffer: UnsafeRawPointer?, _ length: DWORD, _ kernelFlags: Int32,
                              _ target: SocketAddress?) throws(WSAError) -> Int {
        let nonBlocking = socket.isNonBlocking
        let f = kernelFlags | (nonBlocking ? Int32(MSG_DONTWAIT) : 0)
        let local = socket.family.localDatagrams
        let n: Int
        if let target {
            if local { try socket.autobindIfUnbound() }
            n = try target.withLinux { (sa, len) throws(WSAError) -> Int in
                if nonBlocking {
                    return try call { () throws(Errno) in try sendtoKernel(socket.fd, buffer, Int(length), f, sa, len) }
                }
                if local {
                    return try socket.blockingAtPeer { (dontWait) throws(Errno) in
                        try sendtoKernel(socket.fd, buffer, Int(length), f | dontWait, sa, len)
                    }
                }
                return try socket.blocking(until: Int16(POLLOUT)) { (dontWait) throws(Errno) in
                    try sendtoKernel(socket.fd, buffer, Int(length), f | dontWait, sa, len)
                }
            }
            socket.set(.bound)   // sendto binds an unbound socket
        } else if nonBlocking {
            n = try call { () throws(Errno) in try Sys.send(socket.fd, buffer, Int(length), f) }
        } else if local {
            n = try socket.blockingAtPeer { (dontWait) throws(Errno) in try Sys.send(socket.fd, buffer, Int(length), f | dontWait) }
        } else {
            n = try socket.blocking(until: Int16(POLLOUT)) { (dontWait) throws(Errno) in
                try Sys.send(socket.fd, buffer, Int(length), f | dontWait)
            }
        }
        return n
    }

    /// What WSPSend and WSPSendTo check before sending, overlapped or not:
    /// the kernel's flags and, for a datagram socket, the destination
    /// (nil: the connected peer).
    @inline(__always)
    func checkSend(_ socket: KernelSocket, buffer: UnsafeRawPointer?, length: DWORD, flags: Int32,
                   to: UnsafeRawPointer?, toLength: Int32?) throws(WSAError) -> (Int32, SocketAddress?) {
        if buffer == nil && length > 0 { throw .fault }
        guard let kernelFlags = Translation.flags(flags, Translation.sendFlags) else { throw .operationNotSupported }
        let st = socket.current
        if st.contains(.sendShut) { throw .shutdown }
        switch socket.kind {
        case .stream:
            if flags & WS_MSG_OOB != 0 && st.contains(.noUrgentData) { throw .operationNotSupported }
            if !st.contains(.connected) {
                if !(st.contains(.connecting) && socket.resolveConnect() == nil && socket.current.contains(.connected)) {
                    throw .notConnected
                }
            }
            // lpTo is ignored on a connection-oriented socket.
            return (kernelFlags, nil)
        case .datagram:
            if flags & WS_MSG_OOB != 0 { throw .operationNotSupported }
            if let toLength, to != nil {
                let endpoint = try socket.family.parse(to, length: toLength, wrongFamily: .addressFamilyNotSupported)
                if let refused = socket.family.destinationError(endpoint) { throw refused }
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
    private func sendStream(_ socket: KernelSocket, _ buffer: UnsafeRawPointer?, _ length: Int, _ flags: Int32) throws(WSAError) -> Int {
        if socket.isNonBlocking {
            return try call { () throws(Errno) in try Sys.send(socket.fd, buffer, length, flags | Int32(MSG_DONTWAIT)) }
        }
        var done = 0
        let fd = socket.fd   // the closure captures no object: no retain per send
        repeat {
            do {
                done += try socket.blocking(until: Int16(POLLOUT)) { (dontWait) throws(Errno) -> Int in
                    try Sys.send(fd, buffer.map { $0 + done }, length - done, flags | dontWait)
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

/// What one receive asks for: the caller's buffer, flags and sender
/// address out-parameters (a plain call's, or a queued operation's).
struct ReceiveRequest {
    let buffer: UnsafeMutableRawPointer?
    let length: Int
    /// The kernel's flags (MSG_TRUNC added for datagrams).
    let kernelFlags: Int32
    /// The caller's flags, reported back (with MSG_PARTIAL on truncation).
    let flags: Int32
    let from: UnsafeMutableRawPointer?
    let fromLength: LPINT?
}

/// What one attempt at the head operation gave.
enum Attempt {
    /// Nothing could move: wait for the next edge.
    case wouldBlock
    /// A stream send moved some bytes; more remain.
    case progressed(Int)
    /// Finished: status (0 or a WSA code), bytes, result flags.
    case finished(Int32, Int, Int32)
}

/// Runs a kernel call that cannot block, turning its errno into a WSA code.
@inline(__always)
func call<T>(_ body: () throws(Errno) -> T) throws(WSAError) -> T {
    do { return try body() } catch { throw error.wsa }
}

/// sendto(2), with a name nobody holds (ENOENT, AF_UNIX) refused as
/// connect refuses it (connectKernel): WSAECONNREFUSED.
@inline(__always)
func sendtoKernel(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ length: Int, _ flags: Int32,
                  _ sa: UnsafePointer<sockaddr>, _ len: socklen_t) throws(Errno) -> Int {
    do { return try Sys.sendto(fd, buffer, length, flags, sa, len) } catch { throw refusedIfNobodyThere(error) }
}
