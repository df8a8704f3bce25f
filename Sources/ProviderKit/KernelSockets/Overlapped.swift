// Overlapped I/O (RULINGS §8): WSPRecv, WSPRecvFrom, WSPSend, WSPSendTo with
// lpOverlapped on a socket created with WSA_FLAG_OVERLAPPED.
//
// Each overlapped socket has FIFO queues of pending operations, one for
// receives, one for sends and one for MSG_OOB receives, under one lock. A
// call whose queue is empty tries the kernel at once (MSG_DONTWAIT) and
// completes there if it can; otherwise the operation is queued and the event
// engine's thread finishes it on the socket's next readiness edge, straight
// into or out of the caller's buffer. Only the head of a queue is ever
// tried, so buffers fill and sends leave in the order the calls were made.
// No thread per socket or operation; the queues allocate only when they grow.
//
// A stream receive completes with what has arrived (at least one byte, or 0
// at the peer's graceful close), as a plain recv returns: the draft's "until
// the buffer is filled" is read as final Winsock 2 reads it ("... filled,
// the connection is closed, or the internally buffered data is exhausted").
//
// An error found while the call runs fails the call and reports nothing
// through the WSAOVERLAPPED (no routine, no event): Winsock's "any other
// error code indicates that the overlapped operation was not successfully
// initiated". That includes a datagram truncated at once: WSAEMSGSIZE, with
// the byte count and MSG_PARTIAL in the call's own out-parameters. An error
// met once the operation is queued is its completion status.
import Glibc
import Synchronization
import CWS2SPI

/// One posted operation. The caller's buffers stay valid until it completes
/// (the WSPRecv contract); the provider never touches them after that.
struct PendingOperation: @unchecked Sendable {
    var buffer: UnsafeMutableRawPointer?
    let length: Int
    /// Bytes sent so far (a stream send completes when all are sent).
    var done = 0
    let kernelFlags: Int32
    /// The caller's flags, reported back (with MSG_PARTIAL on truncation).
    let flags: Int32
    /// Receive-from: where the peer's address goes.
    let from: UnsafeMutableRawPointer?
    let fromLength: LPINT?
    /// Send-to: the destination (nil: the connected peer).
    let to: SocketAddress?
    var completion: OverlappedCompletion?

    /// The receive this operation asks for (Transfer.receiveOnce).
    var receive: ReceiveRequest {
        ReceiveRequest(buffer: buffer, length: length, kernelFlags: kernelFlags, flags: flags, from: from, fromLength: fromLength)
    }
}

/// A socket's pending overlapped operations.
final class OverlappedIO: @unchecked Sendable {
    /// More outstanding operations than this on one socket is WSAEWOULDBLOCK.
    static let limit = 1024

    struct Queues {
        var receives = Ring<PendingOperation>()
        var sends = Ring<PendingOperation>()
        /// MSG_OOB receives: the out-of-band byte is a channel of its own.
        var urgent = Ring<PendingOperation>()
        /// The socket was closed: everything was aborted, nothing more is queued.
        var closed = false
        var count: Int { receives.count + sends.count + urgent.count }
    }
    let queues = Mutex(Queues())

    /// WSPCloseSocket, the last WSPCleanup: every pending operation
    /// completes with WSA_OPERATION_ABORTED, once, in posting order per queue.
    func abortAll() {
        queues.withLock { q in
            q.closed = true
            let aborted = WSAError.operationAborted.code
            while let op = q.receives.popFirst() { op.completion?.complete(error: aborted, bytes: 0, flags: op.flags) }
            while let op = q.urgent.popFirst() { op.completion?.complete(error: aborted, bytes: 0, flags: op.flags) }
            // A stream send cut short reports the bytes that did go out.
            while let op = q.sends.popFirst() { op.completion?.complete(error: aborted, bytes: op.done, flags: op.flags) }
            q.receives.removeAll()
            q.urgent.removeAll()
            q.sends.removeAll()
        }
    }
}

extension KernelSocketProvider {
    func postReceive(_ socket: KernelSocket, handle: SOCKET, buffer: UnsafeMutableRawPointer?, length: DWORD, received: LPDWORD?,
                     flags: LPINT?, from: UnsafeMutableRawPointer?, fromLength: LPINT?,
                     overlapped: LPWSAOVERLAPPED, completion routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        guard let flags else { throw .fault }
        let inFlags = flags.pointee & ~WS_MSG_PARTIAL
        let kernelFlags = try checkReceive(socket, socket.current, buffer: buffer, length: length, flags: inFlags,
                                           from: from, fromLength: fromLength)
        // (checkReceive refused MSG_OOB on a datagram socket.) With
        // SO_OOBINLINE there is no out-of-band byte, as for a plain call.
        let urgent = inFlags & WS_MSG_OOB != 0
        if urgent && socket.current.urgentInLine { throw .invalidArgument }
        try registerForOverlapped(socket, handle: handle)
        let io = socket.io!
        let op = PendingOperation(buffer: buffer, length: Int(length), kernelFlags: kernelFlags, flags: inFlags,
                                  from: from, fromLength: fromLength, to: nil)
        let result: (Int, Int32)? = try io.queues.withLock { (q) throws(WSAError) -> (Int, Int32)? in
            if q.closed { throw .notSocket }
            if let broken = socket.brokenError { throw broken }
            if q.count >= OverlappedIO.limit { throw .wouldBlock }
            if urgent ? q.urgent.isEmpty : q.receives.isEmpty {
                if !urgent { guardUrgentByte(socket) }
                switch receiveOnce(socket, op.receive, dontWait: Int32(MSG_DONTWAIT)) {
                case .finished(let error, let n, let f):
                    // An error at once fails the call; nothing is queued.
                    if error != 0 {
                        socket.recordBreak(error)
                        if !urgent && !q.urgent.isEmpty { finishUrgent(socket, &q) }
                        if error == WSAError.messageSize.code { received?.pointee = DWORD(n); flags.pointee = f }
                        throw WSAError(code: error)
                    }
                    OverlappedCompletion(overlapped: overlapped, routine: routine).complete(error: 0, bytes: n, flags: f)
                    // A read at the end of the stream ends waiting MSG_OOB receives too.
                    if !urgent && n == 0 && !q.urgent.isEmpty { finishUrgent(socket, &q) }
                    return (n, f)
                case .wouldBlock, .progressed:
                    break
                }
            }
            var queued = op
            queued.completion = OverlappedCompletion(overlapped: overlapped, routine: routine)
            if urgent { q.urgent.append(queued) } else { q.receives.append(queued) }
            return nil
        }
        guard let (n, f) = result else { throw .ioPending }
        received?.pointee = DWORD(n)
        flags.pointee = f
    }

    func postSend(_ socket: KernelSocket, handle: SOCKET, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
                  to: UnsafeRawPointer?, toLength: Int32?,
                  overlapped: LPWSAOVERLAPPED, completion routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        let (kernelFlags, target) = try checkSend(socket, buffer: buffer, length: length, flags: flags, to: to, toLength: toLength)
        try registerForOverlapped(socket, handle: handle)
        let io = socket.io!
        var op = PendingOperation(buffer: UnsafeMutableRawPointer(mutating: buffer), length: Int(length),
                                  kernelFlags: kernelFlags, flags: flags, from: nil, fromLength: nil, to: target)
        let result: Int? = try io.queues.withLock { (q) throws(WSAError) -> Int? in
            if q.closed { throw .notSocket }
            if q.count >= OverlappedIO.limit { throw .wouldBlock }
            if q.sends.isEmpty {
                attempt: while true {
                    switch attemptSend(socket, op) {
                    case .finished(let error, let n, let f):
                        if error != 0 { throw WSAError(code: error) }
                        OverlappedCompletion(overlapped: overlapped, routine: routine).complete(error: 0, bytes: n, flags: f)
                        return n
                    case .progressed(let n):
                        op.done = n
                    case .wouldBlock:
                        break attempt
                    }
                }
            }
            op.completion = OverlappedCompletion(overlapped: overlapped, routine: routine)
            q.sends.append(op)
            return nil
        }
        if target != nil { socket.set(.bound) }   // sendto binds an unbound socket
        guard let n = result else {
            // A selection's FD_WRITE comes again once the kernel has room (a
            // send that could not complete). Without one, nothing to re-arm:
            // the queued send itself hears of the room on the next edge.
            if let w = socket.watch.load(), w.registration.hasSelection { rearmAfterWouldBlock(socket) }
            throw .ioPending
        }
        sent?.pointee = DWORD(n)
    }

    public func checkSocket(_ s: SOCKET) throws(WSAError) { _ = try lookup(s) }

    /// An overlapped socket is watched by the engine from its first
    /// overlapped call on, so that queued operations hear of readiness.
    @inline(__always)
    private func registerForOverlapped(_ socket: KernelSocket, handle: SOCKET) throws(WSAError) {
        if !socket.current.contains(.watched) { _ = try watch(socket, handle: handle, create: true) }
    }

    // MARK: the engine's side

    /// On the reactor thread: finishes what the readiness `events` (epoll
    /// bits; 0 for a kick: try every queue) allow, in order.
    /// Returns whether a receive took data (the engine's readiness mask is
    /// then stale for the socket's selection: no FD_READ for data taken).
    @discardableResult
    func serviceOverlapped(_ socket: KernelSocket, _ io: OverlappedIO, events: UInt32) -> Bool {
        let readable = UInt32(WS2SPI_EPOLLIN | WS2SPI_EPOLLPRI | WS2SPI_EPOLLRDHUP | WS2SPI_EPOLLHUP | WS2SPI_EPOLLERR)
        let writable = UInt32(WS2SPI_EPOLLOUT | WS2SPI_EPOLLHUP | WS2SPI_EPOLLERR)
        let urgentWaits = events & UInt32(WS2SPI_EPOLLPRI) != 0
        return io.queues.withLock { q -> Bool in
            if q.closed { return false }
            var received = false
            if events == 0 || events & readable != 0 {
                // The urgent byte first, before a normal read can pass it:
                // epoll's mask tells for the first read; later ones ask poll(2).
                if urgentWaits || events == 0 { holdUrgentByteNow(socket, known: urgentWaits) }
                var first = true
                while let op = q.receives.first {
                    let attempt: Attempt
                    if let broken = socket.brokenError {
                        attempt = .finished(broken.code, 0, op.flags)
                    } else {
                        if !first { guardUrgentByte(socket) }
                        first = false
                        attempt = receiveOnce(socket, op.receive, dontWait: Int32(MSG_DONTWAIT))
                    }
                    guard case .finished(let error, let n, let f) = attempt else { break }
                    socket.recordBreak(error)
                    _ = q.receives.popFirst()
                    op.completion?.complete(error: error, bytes: n, flags: f)
                    received = true
                }
                if !q.urgent.isEmpty { received = true }
                finishUrgent(socket, &q)
            }
            if events == 0 || events & writable != 0 {
                while var op = q.sends.first {
                    switch attemptSend(socket, op) {
                    case .wouldBlock:
                        return received
                    case .progressed(let n):
                        op.done = n
                        q.sends.first = op
                    case .finished(let error, let n, let f):
                        _ = q.sends.popFirst()
                        op.completion?.complete(error: error, bytes: n, flags: f)
                    }
                }
            }
            return received
        }
    }

    // MARK: urgent data (SO_OOBINLINE off)

    /// Linux drops an unread urgent byte once a normal read passes its
    /// mark, while Winsock keeps it for a MSG_OOB read (draft §2.8.2). So
    /// before a stream read, an urgent byte that waits is moved aside, as
    /// a plain receive does (Transfer.receiveStream): one poll(2).
    @inline(__always)
    private func guardUrgentByte(_ socket: KernelSocket) {
        guard socket.kind == .stream && !socket.current.urgentInLine else { return }
        var p = pollfd(fd: socket.fd, events: Int16(POLLPRI), revents: 0)
        if (try? Sys.poll(&p, 1, 0)) == 1 && Int32(p.revents) & Int32(POLLPRI) != 0 { socket.holdUrgentByte() }
    }

    /// On an edge epoll reported the byte (`known`); on a kick, ask poll(2).
    @inline(__always)
    private func holdUrgentByteNow(_ socket: KernelSocket, known: Bool) {
        guard socket.kind == .stream && !socket.current.urgentInLine else { return }
        if known { socket.holdUrgentByte() } else { guardUrgentByte(socket) }
    }

    /// Completes the MSG_OOB receives that can complete now, in order.
    private func finishUrgent(_ socket: KernelSocket, _ q: inout OverlappedIO.Queues) {
        while let op = q.urgent.first {
            let attempt = socket.brokenError.map { .finished($0.code, 0, op.flags) } ?? receiveOnce(socket, op.receive, dontWait: Int32(MSG_DONTWAIT))
            guard case .finished(let error, let n, let f) = attempt else { break }
            socket.recordBreak(error)
            _ = q.urgent.popFirst()
            op.completion?.complete(error: error, bytes: n, flags: f)
        }
    }

    /// One non-blocking send of what remains of the operation.
    @inline(__always)
    private func attemptSend(_ socket: KernelSocket, _ op: PendingOperation) -> Attempt {
        var flags = op.kernelFlags | Int32(MSG_DONTWAIT)
        var rest = op.length - op.done
        if socket.kind == .stream && flags & Int32(MSG_OOB) != 0 && rest > 1 {
            // Linux makes the last byte of every send(2) with MSG_OOB urgent.
            // A send the kernel takes in parts would so mark several bytes:
            // all but the last go as normal data, the last byte alone with
            // MSG_OOB, and the operation has one urgent byte, its last (BSD).
            flags &= ~Int32(MSG_OOB)
            rest -= 1
        }
        let start = op.buffer.map { UnsafeRawPointer($0 + op.done) }
        do throws(Errno) {
            let n: Int
            if let target = op.to {
                n = try target.withLinux { (sa, len) throws(Errno) -> Int in try sendtoKernel(socket.fd, start, rest, flags, sa, len) }
            } else {
                n = try Sys.send(socket.fd, start, rest, flags)
            }
            let done = op.done + n
            if socket.kind == .stream && done < op.length { return .progressed(done) }
            return .finished(0, done, op.flags)
        } catch {
            if error.isWouldBlock { return .wouldBlock }
            if socket.kind == .datagram && error.wsa == .connectionRefused && !socket.current.contains(.icmpError)
                && socket.family.deferredDatagramErrors {
                // For the next receive, as a plain send does (RULINGS §7a).
                socket.set(.icmpError)
                return attemptSend(socket, op)
            }
            return .finished(error.wsa.code, op.done, op.flags)
        }
    }
}
