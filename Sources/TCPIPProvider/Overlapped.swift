// Overlapped I/O (RULINGS §8): WSPRecv, WSPRecvFrom, WSPSend, WSPSendTo with
// lpOverlapped on a socket created with WSA_FLAG_OVERLAPPED.
//
// Each overlapped socket has two FIFO queues of pending operations, one for
// receives and one for sends, under one lock. A call whose queue is empty
// tries the kernel at once (MSG_DONTWAIT) and completes there if it can;
// otherwise the operation is queued and the event engine's thread finishes
// it on the socket's next readiness edge, straight into or out of the
// caller's buffer. Only the head of a queue is ever tried, so buffers fill
// and sends leave in the order the calls were made. No thread per socket or
// operation; the queues allocate only when they grow.
import Glibc
import Synchronization
import ProviderKit
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
    let to: IPv4Endpoint?
    var completion: OverlappedCompletion?
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

/// A socket's pending overlapped operations.
final class OverlappedIO: @unchecked Sendable {
    /// More outstanding operations than this on one socket is WSAEWOULDBLOCK.
    static let limit = 1024

    struct Queues {
        var receives = Ring<PendingOperation>()
        var sends = Ring<PendingOperation>()
        /// The socket was closed: everything was aborted, nothing more is queued.
        var closed = false
        var count: Int { receives.count + sends.count }
    }
    let queues = Mutex(Queues())

    /// WSPCloseSocket, the last WSPCleanup: every pending operation
    /// completes with WSA_OPERATION_ABORTED, once, in posting order per queue.
    func abortAll() {
        queues.withLock { q in
            q.closed = true
            let aborted = WSAError.operationAborted.code
            while let op = q.receives.popFirst() { op.completion?.complete(error: aborted, bytes: 0, flags: op.flags) }
            while let op = q.sends.popFirst() { op.completion?.complete(error: aborted, bytes: op.done, flags: op.flags) }
            q.receives.removeAll()
            q.sends.removeAll()
        }
    }
}

extension TCPIPProvider {
    func postReceive(_ socket: IPSocket, handle: SOCKET, buffer: UnsafeMutableRawPointer?, length: DWORD, received: LPDWORD?,
                     flags: LPINT?, from: UnsafeMutableRawPointer?, fromLength: LPINT?,
                     overlapped: LPWSAOVERLAPPED, completion routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        guard let flags else { throw .fault }
        let inFlags = flags.pointee & ~WS.MSG_PARTIAL
        let kernelFlags = try checkReceive(socket, socket.current, buffer: buffer, length: length, flags: inFlags,
                                           from: from, fromLength: fromLength)
        if inFlags & WS.MSG_OOB != 0 {
            // The urgent byte is held by the provider (or not there at all):
            // nothing to wait for, so it completes at once or fails.
            var n: DWORD = 0
            var f = inFlags
            try receive(handle, buffer: buffer, length: length, received: &n, flags: &f, from: nil, fromLength: nil,
                        overlapped: nil, completion: nil)
            OverlappedCompletion(overlapped: overlapped, routine: routine).complete(error: 0, bytes: Int(n), flags: f)
            received?.pointee = n
            flags.pointee = f
            return
        }
        try registerForOverlapped(socket, handle: handle)
        let io = socket.io!
        let op = PendingOperation(buffer: buffer, length: Int(length), kernelFlags: kernelFlags, flags: inFlags,
                                  from: from, fromLength: fromLength, to: nil)
        let result: (Int, Int32)? = try io.queues.withLock { (q) throws(WSAError) -> (Int, Int32)? in
            if q.closed { throw .notSocket }
            if q.count >= OverlappedIO.limit { throw .wouldBlock }
            if q.receives.isEmpty {
                switch attemptReceive(socket, op) {
                case .finished(let error, let n, let f):
                    // An error at once fails the call; nothing is queued.
                    if error != 0 {
                        if error == WSAError.messageSize.code { received?.pointee = DWORD(n); flags.pointee = f }
                        throw WSAError(code: error)
                    }
                    OverlappedCompletion(overlapped: overlapped, routine: routine).complete(error: 0, bytes: n, flags: f)
                    return (n, f)
                case .wouldBlock, .progressed:
                    break
                }
            }
            var queued = op
            queued.completion = OverlappedCompletion(overlapped: overlapped, routine: routine)
            q.receives.append(queued)
            return nil
        }
        guard let (n, f) = result else { throw .ioPending }
        received?.pointee = DWORD(n)
        flags.pointee = f
    }

    func postSend(_ socket: IPSocket, handle: SOCKET, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
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
            // FD_WRITE comes again once the kernel has room (a send that could not complete).
            if socket.current.contains(.watched) { rearmAfterWouldBlock(socket) }
            throw .ioPending
        }
        sent?.pointee = DWORD(n)
    }

    public func overlappedResult(_ s: SOCKET, overlapped: LPWSAOVERLAPPED?, transferred: LPDWORD?, wait: Bool,
                                 flags: LPDWORD?) throws(WSAError) {
        _ = try lookup(s)
        try OverlappedStatus.result(overlapped, transferred: transferred, wait: wait, flags: flags)
    }

    /// An overlapped socket is watched by the engine from its first
    /// overlapped call on, so that queued operations hear of readiness.
    @inline(__always)
    private func registerForOverlapped(_ socket: IPSocket, handle: SOCKET) throws(WSAError) {
        if !socket.current.contains(.watched) { _ = try watch(socket, handle: handle, create: true) }
    }

    // MARK: the engine's side

    /// On the reactor thread: finishes what the readiness `events` (epoll
    /// bits; 0 for a kick: try both queues) allow, in order.
    func serviceOverlapped(_ socket: IPSocket, _ io: OverlappedIO, events: UInt32) {
        let readable = UInt32(WS2SPI_EPOLLIN | WS2SPI_EPOLLPRI | WS2SPI_EPOLLRDHUP | WS2SPI_EPOLLHUP | WS2SPI_EPOLLERR)
        let writable = UInt32(WS2SPI_EPOLLOUT | WS2SPI_EPOLLHUP | WS2SPI_EPOLLERR)
        io.queues.withLock { q in
            if q.closed { return }
            if events == 0 || events & readable != 0 {
                if events & UInt32(WS2SPI_EPOLLPRI) != 0 && !socket.current.contains(.oobInline) { socket.holdUrgentByte() }
                while let op = q.receives.first {
                    guard case .finished(let error, let n, let f) = attemptReceive(socket, op) else { break }
                    _ = q.receives.popFirst()
                    op.completion?.complete(error: error, bytes: n, flags: f)
                }
            }
            if events == 0 || events & writable != 0 {
                while var op = q.sends.first {
                    switch attemptSend(socket, op) {
                    case .wouldBlock:
                        return
                    case .progressed(let n):
                        op.done = n
                        q.sends.first = op
                    case .finished(let error, let n, let f):
                        _ = q.sends.popFirst()
                        op.completion?.complete(error: error, bytes: n, flags: f)
                    }
                }
            }
        }
    }

    /// One non-blocking receive into the operation's buffer.
    @inline(__always)
    private func attemptReceive(_ socket: IPSocket, _ op: PendingOperation) -> Attempt {
        let flags = op.kernelFlags | Int32(MSG_DONTWAIT)
        do throws(Errno) {
            switch socket.kind {
            case .stream:
                return .finished(0, try Sys.recv(socket.fd, op.buffer, op.length, flags), op.flags)
            case .datagram:
                var peer = sockaddr_in()
                var peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
                let n = try withUnsafeMutablePointer(to: &peer) { (p) throws(Errno) -> Int in
                    try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(Errno) -> Int in
                        try Sys.recvfrom(socket.fd, op.buffer, op.length, flags, q, &peerLength)
                    }
                }
                if let from = op.from {
                    IPv4Endpoint(linux: peer).store(to: from)
                    op.fromLength?.pointee = WS.sockaddrInSize
                }
                // Truncated: the buffer holds the first part, the rest is lost.
                if n > op.length { return .finished(WSAError.messageSize.code, op.length, op.flags | WS.MSG_PARTIAL) }
                return .finished(0, n, op.flags)
            }
        } catch {
            if error.isWouldBlock { return .wouldBlock }
            // A datagram socket learns of an ICMP port-unreachable as a reset.
            let wsa = socket.kind == .datagram && error.wsa == .connectionRefused ? WSAError.connectionReset : error.wsa
            return .finished(wsa.code, 0, op.flags)
        }
    }

    /// One non-blocking send of what remains of the operation.
    @inline(__always)
    private func attemptSend(_ socket: IPSocket, _ op: PendingOperation) -> Attempt {
        let flags = op.kernelFlags | Int32(MSG_DONTWAIT)
        let rest = op.length - op.done
        let start = op.buffer.map { UnsafeRawPointer($0 + op.done) }
        do throws(Errno) {
            let n: Int
            if let target = op.to {
                n = try target.withLinux { (sa, len) throws(Errno) -> Int in try Sys.sendto(socket.fd, start, rest, flags, sa, len) }
            } else {
                n = try Sys.send(socket.fd, start, rest, flags)
            }
            let done = op.done + n
            if socket.kind == .stream && done < op.length { return .progressed(done) }
            return .finished(0, done, op.flags)
        } catch {
            if error.isWouldBlock { return .wouldBlock }
            return .finished(error.wsa.code, op.done, op.flags)
        }
    }
}
