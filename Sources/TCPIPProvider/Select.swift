// WSPSelect over Winsock fd_sets of any fd_count (RULINGS §9), on poll(2).
import Glibc
import ProviderKit
import CWS2SPI

/// POLLRDHUP (glibc declares it only under _GNU_SOURCE): the peer shut down its side.
private let POLLRDHUP: Int32 = 0x2000

extension TCPIPProvider {
    private enum SetKind { case read, write, except }

    public func select(read: UnsafeMutablePointer<WS_fd_set>?, write: UnsafeMutablePointer<WS_fd_set>?,
                       except: UnsafeMutablePointer<WS_fd_set>?, timeout: UnsafePointer<WS_timeval>?) throws(WSAError) -> Int32 {
        try requireStarted()
        var timeoutMs: Int64 = -1
        if let timeout {
            let sec = Int64(timeout.pointee.tv_sec), usec = Int64(timeout.pointee.tv_usec)
            guard sec >= 0, usec >= 0 else { throw .invalidArgument }
            timeoutMs = sec * 1000 + (usec + 999) / 1000   // never return early
        }
        let sets: [(UnsafeMutablePointer<WS_fd_set>?, SetKind)] = [(read, .read), (write, .write), (except, .except)]
        let total = sets.reduce(0) { $0 + Int($1.0?.pointee.fd_count ?? 0) }

        return try withUnsafeTemporaryAllocation(of: pollfd.self, capacity: max(total, 1)) { (fds) throws(WSAError) -> Int32 in
            // Unmanaged references, each holding the one retain of its lookup,
            // used without further retain/release traffic.
            try withUnsafeTemporaryAllocation(of: Unmanaged<IPSocket>.self, capacity: max(total, 1)) { (socks) throws(WSAError) -> Int32 in
                // A select that cannot block reads the table without retains
                // (a short span, see HandleTable); one that may block retains.
                let unretained = timeoutMs == 0
                if unretained { sockets.beginUnretainedReads() }
                var filled = 0
                defer {
                    if unretained { sockets.endUnretainedReads() } else { for i in 0..<filled { socks[i].release() } }
                }
                var preReady = false
                // Look every handle up first: one that is not ours fails the call.
                for (set, kind) in sets {
                    guard let set else { continue }
                    let entries = fdArray(set)
                    for i in 0..<Int(set.pointee.fd_count) {
                        guard let u = unretained ? sockets.lookupUnretained(entries[i]) : sockets.lookupRetained(entries[i]) else {
                            throw .notSocket
                        }
                        socks[filled] = u
                        let (events, ready, fd) = u._withUnsafeGuaranteedRef { s in
                            let (e, r) = interest(s, kind)
                            return (e, r, s.fd)
                        }
                        fds[filled] = pollfd(fd: events == 0 ? -1 : fd, events: events, revents: 0)
                        preReady = preReady || ready
                        filled += 1
                    }
                }
                try wait(fds.baseAddress!, socks.baseAddress!, filled, timeoutMs: preReady ? 0 : timeoutMs)

                // Keep the ready entries of each set, in order.
                var index = 0, count: Int32 = 0
                for (set, kind) in sets {
                    guard let set else { continue }
                    let entries = fdArray(set)
                    var kept = 0
                    for i in 0..<Int(set.pointee.fd_count) {
                        let ready = socks[index]._withUnsafeGuaranteedRef { isReady($0, kind, fds[index].revents) }
                        if ready { entries[kept] = entries[i]; kept += 1 }
                        index += 1
                    }
                    set.pointee.fd_count = WS_u_short(kept)
                    count += Int32(kept)
                }
                return count
            }
        }
    }

    /// poll(2) until something is ready or the timeout passes; sockets closed
    /// meanwhile end the call with WSAEINTR.
    private func wait(_ fds: UnsafeMutablePointer<pollfd>, _ socks: UnsafeMutablePointer<Unmanaged<IPSocket>>, _ n: Int, timeoutMs: Int64) throws(WSAError) {
        @inline(__always) func anyClosed() -> Bool {
            for i in 0..<n where socks[i]._withUnsafeGuaranteedRef({ $0.current.contains(.closed) }) { return true }
            return false
        }
        if timeoutMs == 0 {
            // A poll that cannot block need not be woken by close.
            let r: Int32
            do { r = try Sys.poll(fds, n, 0) } catch { throw error.wsa }
            _ = r
            if anyClosed() { throw .interrupted }
            return
        }
        for i in 0..<n { socks[i]._withUnsafeGuaranteedRef { $0.blockers.add(1, ordering: .sequentiallyConsistent) } }
        defer { for i in 0..<n { socks[i]._withUnsafeGuaranteedRef { $0.blockers.subtract(1, ordering: .sequentiallyConsistent) } } }
        let deadline = timeoutMs < 0 ? Int64.max : monotonicMilliseconds() + timeoutMs
        // With a blocking hook, polls in slices and calls it between them (Blocking.swift).
        let hook = BlockingWait()
        defer { hook.end() }
        while true {
            if anyClosed() { throw .interrupted }
            let remaining = deadline == Int64.max ? -1 : max(0, deadline - monotonicMilliseconds())
            let r: Int32
            do { r = try Sys.poll(fds, n, hook.slice(remaining)) } catch { throw error.wsa }
            if anyClosed() { throw .interrupted }
            if r > 0 || remaining == 0 { return }
            try hook.runHook(stop: anyClosed)
        }
    }

    /// What to poll for, and whether the socket is ready without polling.
    private func interest(_ socket: IPSocket, _ kind: SetKind) -> (Int16, Bool) {
        let st = socket.current
        let inline = st.contains(.oobInline)
        switch kind {
        case .read:
            if st.contains(.listening) {
                return (Int16(POLLIN), socket.state.withLock { !$0.pending.isEmpty })
            }
            if socket.kind == .stream && !st.contains(.connected) { return (0, false) }
            return (Int16(POLLIN | POLLRDHUP) | (inline ? Int16(POLLPRI) : 0), false)
        case .write:
            if st.contains(.connecting) { return (Int16(POLLOUT), false) }
            if socket.kind == .stream && !st.contains(.connected) { return (0, false) }
            return (Int16(POLLOUT), false)
        case .except:
            if st.contains(.connectFailed) || (st.contains(.urgentHeld) && !inline) { return (0, true) }
            if st.contains(.connecting) { return (Int16(POLLOUT), false) }
            if socket.kind == .stream && st.contains(.connected) { return (inline ? 0 : Int16(POLLPRI), false) }
            return (0, false)
        }
    }

    private func isReady(_ socket: IPSocket, _ kind: SetKind, _ revents: Int16) -> Bool {
        let r = Int32(revents)
        if socket.current.contains(.connecting) && r != 0 { _ = socket.finishConnect() }
        let st = socket.current
        switch kind {
        case .read:
            if st.contains(.listening) { return r & Int32(POLLIN) != 0 || socket.state.withLock { !$0.pending.isEmpty } }
            let mask = Int32(POLLIN | POLLRDHUP | POLLHUP | POLLERR) | (st.contains(.oobInline) ? Int32(POLLPRI) : 0)
            return r & mask != 0
        case .write:
            if st.contains(.connectFailed) { return false }
            if socket.kind == .stream && !st.contains(.connected) { return false }
            return r & Int32(POLLOUT | POLLERR | POLLHUP) != 0
        case .except:
            if st.contains(.connectFailed) || (st.contains(.urgentHeld) && !st.contains(.oobInline)) { return true }
            // Urgent data (not in line), or the connection broken (draft: WSPSelect).
            return (!st.contains(.oobInline) && r & Int32(POLLPRI) != 0) || (socket.kind == .stream && r & Int32(POLLERR) != 0)
        }
    }

    /// The SOCKET array behind fd_count, read up to fd_count whatever
    /// FD_SETSIZE the caller compiled with.
    @inline(__always)
    private func fdArray(_ set: UnsafeMutablePointer<WS_fd_set>) -> UnsafeMutablePointer<SOCKET> {
        UnsafeMutableRawPointer(set).advanced(by: MemoryLayout<SOCKET>.size).assumingMemoryBound(to: SOCKET.self)
    }
}
