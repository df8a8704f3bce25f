// WSPSelect over Winsock fd_sets of any fd_count (RULINGS §9), on poll(2).
//
// Every set is read before any is written (readfds may be writefds), and
// each distinct socket is one poll(2) entry however often and in however
// many sets it is listed, so the entry count is never limited by
// RLIMIT_NOFILE. A socket listed twice in one set counts once and is kept
// once. A blocking select is woken by the close of any socket it names: a
// socket the kernel has nothing to report for (an unconnected stream, a
// listener in writefds, anything in exceptfds that has no urgent data) is
// polled through its close waker instead (KernelSocket.closeWakerFD).
import Glibc
import CWS2SPI

/// POLLRDHUP (glibc declares it only under _GNU_SOURCE): the peer shut down its side.
private let POLLRDHUP: Int32 = 0x2000

extension KernelSocketProvider {
    private enum SetKind: Int { case read = 0, write = 1, except = 2 }

    /// Per-socket flags of one select call (one byte per poll entry).
    private struct SlotFlags {
        /// Bit k: the socket was already taken into set k's result.
        static func seen(_ k: SetKind) -> UInt8 { 1 << UInt8(k.rawValue) }
        /// Bit 3 + k: ready for set k without polling (a queued connection,
        /// a held urgent byte, a failed connect).
        static func preReady(_ k: SetKind) -> UInt8 { 8 << UInt8(k.rawValue) }
        /// The entry polls the socket's close waker, not the socket.
        static let waker: UInt8 = 0x40
    }

    public func select(read: UnsafeMutablePointer<WS_fd_set>?, write: UnsafeMutablePointer<WS_fd_set>?,
                       except: UnsafeMutablePointer<WS_fd_set>?, timeout: UnsafePointer<WS_timeval>?) throws(WSAError) -> Int32 {
        try requireStarted()
        var timeoutMs: Int64 = -1
        if let timeout {
            let sec = Int64(timeout.pointee.tv_sec), usec = Int64(timeout.pointee.tv_usec)
            guard sec >= 0, usec >= 0 else { throw .invalidArgument }
            timeoutMs = sec * 1000 + (usec + 999) / 1000   // never return early
        }
        // The input counts, read once before anything is written.
        let sets: [(UnsafeMutablePointer<WS_fd_set>?, SetKind, Int)] = [
            (read, .read, Int(read?.pointee.fd_count ?? 0)),
            (write, .write, Int(write?.pointee.fd_count ?? 0)),
            (except, .except, Int(except?.pointee.fd_count ?? 0)),
        ]
        let total = sets.reduce(0) { $0 + $1.2 }
        // Nothing to wait for (every set NULL or empty): WSAEINVAL, as final
        // Winsock says; with a NULL timeout nothing could ever end the call.
        guard total > 0 else { throw .invalidArgument }
        // Open addressing from handle to entry: a power of two, at most half full.
        var tableSize = 8
        while tableSize < 2 * total { tableSize <<= 1 }

        return try withUnsafeTemporaryAllocation(of: pollfd.self, capacity: max(total, 1)) { (fds) throws(WSAError) -> Int32 in
        try withUnsafeTemporaryAllocation(of: Unmanaged<KernelSocket>.self, capacity: max(total, 1)) { (socks) throws(WSAError) -> Int32 in
        try withUnsafeTemporaryAllocation(of: SOCKET.self, capacity: max(total, 1)) { (handles) throws(WSAError) -> Int32 in
        try withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(total, 1)) { (entryOf) throws(WSAError) -> Int32 in
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(total, 1)) { (flags) throws(WSAError) -> Int32 in
        try withUnsafeTemporaryAllocation(of: Int32.self, capacity: tableSize) { (table) throws(WSAError) -> Int32 in
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { (seen) throws(WSAError) -> Int32 in
            // A select that cannot block reads the table without retains
            // (a short span, see HandleTable); one that may block retains.
            let unretained = timeoutMs == 0
            if unretained { sockets.beginUnretainedReads() }
            var n = 0   // distinct sockets: poll entries
            defer {
                if unretained { sockets.endUnretainedReads() } else { for i in 0..<n { socks[i].release() } }
            }
            // Most calls list each socket once: a 1024-bit filter on the
            // handle's slot bits finds that out, and entry i is listing i.
            // The first handle the filter may have seen before switches to
            // `merged`: listings map to entries (entryOf) through a hash table.
            seen.initialize(repeating: 0)
            var merged = false
            let mask = tableSize - 1
            @inline(__always) func probe(_ handle: SOCKET) -> Int {
                var h = Int((handle &* 0x9E37_79B1) >> 7) & mask
                while table[h] >= 0 && handles[Int(table[h])] != handle { h = (h + 1) & mask }
                return h
            }
            var preReady = false

            // Every entry of every set is looked up first (one that is not
            // ours fails the call) and folded into its socket's poll entry.
            var listed = 0
            for (set, kind, count) in sets {
                guard let set else { continue }
                let entries = fdArray(set)
                for i in 0..<count {
                    let handle = entries[i]
                    var entry = n
                    var known = false
                    // (x65 is a bijection mod 1024 that puts consecutive
                    // handles in different words: no chain through memory.)
                    let bit = Int((handle &* 65) & 1023)
                    if !merged && seen[bit >> 6] & (1 << UInt64(bit & 63)) == 0 {
                        seen[bit >> 6] |= 1 << UInt64(bit & 63)
                    } else {
                        if !merged {
                            merged = true
                            table.initialize(repeating: -1)
                            for j in 0..<n { entryOf[j] = Int32(j); table[probe(handles[j])] = Int32(j) }
                        }
                        let h = probe(handle)
                        if table[h] >= 0 { entry = Int(table[h]); known = true } else { table[h] = Int32(n) }
                    }
                    if merged { entryOf[listed] = Int32(entry) }
                    listed += 1
                    if !known {
                        guard let u = unretained ? sockets.lookupUnretained(handle) : sockets.lookupRetained(handle) else {
                            throw .notSocket
                        }
                        n += 1
                        handles[entry] = handle
                        socks[entry] = u
                        let (fd, events, ready) = u._withUnsafeGuaranteedRef { s in
                            let (e, r) = interest(s, kind)
                            return (s.fd, e, r)
                        }
                        fds[entry] = pollfd(fd: fd, events: events, revents: 0)
                        flags[entry] = ready ? SlotFlags.preReady(kind) : 0
                        preReady = preReady || ready
                    } else {
                        let (events, ready) = socks[entry]._withUnsafeGuaranteedRef { interest($0, kind) }
                        fds[entry].events |= events
                        if ready { flags[entry] |= SlotFlags.preReady(kind); preReady = true }
                    }
                }
            }
            // Entries the kernel has nothing to report for: skipped by a
            // poll, the close waker for a select that may block.
            var sliced = false
            for i in 0..<n where fds[i].events == 0 {
                if timeoutMs == 0 {
                    fds[i].fd = -1
                } else if let waker = socks[i]._withUnsafeGuaranteedRef({ $0.closeWakerFD() }) {
                    fds[i] = pollfd(fd: waker, events: Int16(POLLIN), revents: 0)
                    flags[i] |= SlotFlags.waker
                } else {
                    fds[i].fd = -1    // no waker: `wait` polls in slices
                    sliced = true
                }
            }
            try wait(fds.baseAddress!, socks.baseAddress!, n, timeoutMs: preReady ? 0 : timeoutMs, sliced: sliced)

            // Keep the ready entries of each set, in order, each socket once.
            listed = 0
            var result: Int32 = 0
            for (set, kind, count) in sets {
                guard let set else { continue }
                let entries = fdArray(set)
                var kept = 0
                for _ in 0..<count {
                    let entry = merged ? Int(entryOf[listed]) : listed
                    listed += 1
                    let f = flags[entry]
                    if merged {
                        if f & SlotFlags.seen(kind) != 0 { continue }
                        flags[entry] = f | SlotFlags.seen(kind)
                    }
                    // (A close waker's readiness is not the socket's.)
                    let revents = f & SlotFlags.waker != 0 ? 0 : fds[entry].revents
                    let ready = f & SlotFlags.preReady(kind) != 0
                        || socks[entry]._withUnsafeGuaranteedRef { isReady($0, kind, revents) }
                    if ready { entries[kept] = handles[entry]; kept += 1 }
                }
                set.pointee.fd_count = WS_u_short(kept)
                result += Int32(kept)
            }
            return result
        }
        }
        }
        }
        }
        }
        }
    }

    /// poll(2) until something is ready or the timeout passes; sockets closed
    /// meanwhile end the call with WSAEINTR. `sliced`: a socket without a
    /// close waker is listed, so the wait looks at `closed` every 100 ms.
    private func wait(_ fds: UnsafeMutablePointer<pollfd>, _ socks: UnsafeMutablePointer<Unmanaged<KernelSocket>>, _ n: Int,
                      timeoutMs: Int64, sliced: Bool) throws(WSAError) {
        @inline(__always) func anyClosed() -> Bool {
            for i in 0..<n where socks[i]._withUnsafeGuaranteedRef({ $0.current.contains(.closed) }) { return true }
            return false
        }
        if timeoutMs == 0 {
            // A poll that cannot block need not be woken by close.
            do { _ = try Sys.poll(fds, n, 0) } catch { throw error.wsa }
            if anyClosed() { throw .interrupted }
            return
        }
        for i in 0..<n { socks[i]._withUnsafeGuaranteedRef { $0.blockers.wrappingAdd(1, ordering: .sequentiallyConsistent) } }
        defer { for i in 0..<n { socks[i]._withUnsafeGuaranteedRef { $0.blockers.wrappingSubtract(1, ordering: .sequentiallyConsistent) } } }
        let deadline = timeoutMs < 0 ? Int64.max : monotonicMilliseconds() + timeoutMs
        // With a blocking hook, polls in slices and calls it between them (Blocking.swift).
        let hook = BlockingWait()
        defer { hook.end() }
        while true {
            if anyClosed() { throw .interrupted }
            let remaining = deadline == Int64.max ? -1 : max(0, deadline - monotonicMilliseconds())
            var slice = hook.slice(remaining)
            if sliced && (slice < 0 || slice > 100) { slice = 100 }
            let r: Int32
            do { r = try Sys.poll(fds, n, slice) } catch { throw error.wsa }
            if anyClosed() { throw .interrupted }
            if remaining == 0 { return }
            if r > 0 {
                // Only close wakers fired: spurious unless a socket closed
                // (checked above); wait again.
                var real = false
                for i in 0..<n where fds[i].revents != 0 && !socks[i]._withUnsafeGuaranteedRef({ $0.isCloseWaker(fds[i].fd) }) {
                    real = true
                    break
                }
                if real { return }
            }
            try hook.runHook(stop: anyClosed)
        }
    }

    /// What to poll for, and whether the socket is ready without polling.
    @inline(__always)
    private func interest(_ socket: KernelSocket, _ kind: SetKind) -> (Int16, Bool) {
        let st = socket.current
        let inline = st.urgentInLine
        switch kind {
        case .read:
            if st.contains(.listening) {
                return (Int16(POLLIN), socket.state.withLock { !$0.pending.isEmpty })
            }
            if !st.contains(.connected) && socket.kind == .stream { return (0, false) }
            return (Int16(POLLIN | POLLRDHUP) | (inline ? Int16(POLLPRI) : 0), false)
        case .write:
            if st.contains(.connecting) { return (Int16(POLLOUT), false) }
            if !st.contains(.connected) && socket.kind == .stream { return (0, false) }
            return (Int16(POLLOUT), false)
        case .except:
            if st.contains(.connectFailed) || (st.contains(.urgentHeld) && !inline) { return (0, true) }
            if st.contains(.connecting) { return (Int16(POLLOUT), false) }
            if socket.kind == .stream && st.contains(.connected) { return (inline ? 0 : Int16(POLLPRI), false) }
            return (0, false)
        }
    }

    @inline(__always)
    private func isReady(_ socket: KernelSocket, _ kind: SetKind, _ revents: Int16) -> Bool {
        let r = Int32(revents)
        if socket.current.contains(.connecting) && r != 0 { _ = socket.finishConnect() }
        let st = socket.current
        switch kind {
        case .read:
            if st.contains(.listening) { return r & Int32(POLLIN) != 0 || socket.state.withLock { !$0.pending.isEmpty } }
            if !st.contains(.connected) && socket.kind == .stream { return false }
            let mask = Int32(POLLIN | POLLRDHUP | POLLHUP | POLLERR) | (st.urgentInLine ? Int32(POLLPRI) : 0)
            return r & mask != 0
        case .write:
            if st.contains(.connectFailed) || st.contains(.listening) { return false }
            if !st.contains(.connected) && socket.kind == .stream { return false }
            return r & Int32(POLLOUT | POLLERR | POLLHUP) != 0
        case .except:
            if st.contains(.connectFailed) || (st.contains(.urgentHeld) && !st.urgentInLine) { return true }
            // Urgent data (not in line), or the connection broken (draft: WSPSelect).
            return (!st.urgentInLine && r & Int32(POLLPRI) != 0) || (socket.kind == .stream && r & Int32(POLLERR) != 0)
        }
    }

    /// The SOCKET array behind fd_count, read up to fd_count whatever
    /// FD_SETSIZE the caller compiled with.
    @inline(__always)
    private func fdArray(_ set: UnsafeMutablePointer<WS_fd_set>) -> UnsafeMutablePointer<SOCKET> {
        UnsafeMutableRawPointer(set).advanced(by: MemoryLayout<SOCKET>.size).assumingMemoryBound(to: SOCKET.self)
    }
}
