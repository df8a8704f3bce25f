// Blocking calls of a kernel-socket provider (RULINGS §5): every wait of a
// blocking call on a kernel socket goes through here. The hook API
// (WSPSetBlockingHook32 and the rest) and BlockingWait, the hook side of a
// call, are ProviderKit's (BlockingHooks.swift); this file is the kernel
// side: try without blocking, poll in slices, count blockers so close wakes
// them.
import Glibc
import CWS2SPI

extension KernelSocket {
    /// Runs a kernel call that may block (recv, send and their relatives),
    /// counted in `blockers` so that close can wake it; a call ended by close
    /// fails with WSAEINTR. `body(flags)` gets 0 and blocks in the kernel;
    /// on a thread with a blocking hook it gets MSG_DONTWAIT, and the wait
    /// for `events` runs the hook loop.
    @inline(__always)
    func blocking<T>(until events: Int16, _ body: (_ dontWait: Int32) throws(Errno) -> T) throws(WSAError) -> T {
        blockers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { blockers.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        if current.contains(.closed) { throw .interrupted }
        if ws2spi_blocking_hook() != nil { return try hooked(until: events, body) }
        do throws(Errno) {
            let r = try body(0)
            // Woken by close (shutdown makes recv return 0): not a result.
            if current.contains(.closed) { throw Errno(EINTR) }
            return r
        } catch {
            if current.contains(.closed) { throw .interrupted }
            throw error.wsa
        }
    }

    @inline(never)
    private func hooked<T>(until events: Int16,
                           _ body: (_ dontWait: Int32) throws(Errno) -> T) throws(WSAError) -> T {
        let wait = BlockingWait()
        defer { wait.end() }
        while true {
            do throws(Errno) {
                let r = try body(Int32(MSG_DONTWAIT))
                if current.contains(.closed) { throw Errno(EINTR) }
                return r
            } catch where error.isWouldBlock && !current.contains(.closed) {
                _ = try poll(events, wait)
            } catch {
                if current.contains(.closed) { throw .interrupted }
                throw error.wsa
            }
        }
    }

    /// Waits until poll(2) reports one of `events` (or an error or hang-up)
    /// on a blocking socket, counted in `blockers`; returns the revents.
    /// WSAEINTR when closed meanwhile or cancelled by the hook.
    @inline(__always)
    func waitReady(_ events: Int16) throws(WSAError) -> Int16 {
        blockers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { blockers.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        if current.contains(.closed) { throw .interrupted }
        var p = pollfd(fd: fd, events: events, revents: 0)
        if ws2spi_tls_blocking_hook() == nil {
            // Sys.poll returns 0 after a signal: wait again.
            do { while try Sys.poll(&p, 1, -1) == 0 && !current.contains(.closed) {} } catch { throw error.wsa }
        } else {
            // Ready now: no need to call the hook.
            do { _ = try Sys.poll(&p, 1, 0) } catch { throw error.wsa }
            if p.revents == 0 {
                let wait = BlockingWait()
                defer { wait.end() }
                repeat { p.revents = try poll(events, wait) } while p.revents == 0
            }
        }
        if current.contains(.closed) { throw .interrupted }
        return p.revents
    }

    /// One turn of the hook loop: poll for at most the hook interval, then
    /// run the hook. Returns the revents of the poll.
    private func poll(_ events: Int16, _ wait: BlockingWait) throws(WSAError) -> Int16 {
        var p = pollfd(fd: fd, events: events, revents: 0)
        do { _ = try Sys.poll(&p, 1, wait.slice(-1)) } catch { throw error.wsa }
        if current.contains(.closed) { throw .interrupted }
        try wait.runHook { current.contains(.closed) }
        if current.contains(.closed) { throw .interrupted }
        return p.revents
    }

    /// A blocking datagram send that waits for room in the receiver's queue
    /// (KernelFamily.localDatagrams, AF_UNIX). The kernel would wait where
    /// no close reaches it, and poll(2) cannot tell an unconnected socket
    /// when the receiver has room, so each try is MSG_DONTWAIT and the wait
    /// between tries is a short slice on the close waker (and the hook):
    /// only while the receiver's queue stays full. WSAEINTR when closed.
    @inline(never)
    func blockingAtPeer<T>(_ body: (_ dontWait: Int32) throws(Errno) -> T) throws(WSAError) -> T {
        blockers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { blockers.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        let wait = BlockingWait()
        defer { wait.end() }
        while true {
            if current.contains(.closed) { throw .interrupted }
            do throws(Errno) {
                return try body(Int32(MSG_DONTWAIT))
            } catch where error.isWouldBlock {
                var p = pollfd(fd: closeWakerFD() ?? -1, events: Int16(POLLIN), revents: 0)
                _ = try? Sys.poll(&p, 1, wait.slice(KernelSocket.peerRetryMs))
                if current.contains(.closed) { throw .interrupted }
                try wait.runHook { current.contains(.closed) }
            } catch {
                if current.contains(.closed) { throw .interrupted }
                throw error.wsa
            }
        }
    }
    /// The wait between two tries of `blockingAtPeer`.
    static let peerRetryMs: Int64 = 5

    /// Binds an unbound socket to a fresh name of its family (AF_UNIX's
    /// autobind: the family field alone), as UDP binds on a first sendto or
    /// connect and Linux's AF_UNIX does not: a receiver can then answer.
    func autobindIfUnbound() throws(WSAError) {
        guard !current.contains(.bound) else { return }
        do {
            try family.unspecifiedAddress.withLinux { (sa, len) throws(Errno) in try Sys.bind(fd, sa, len) }
        } catch where error.rawValue == EINVAL {
            // bound meanwhile by another thread
        } catch { throw error.wsa }
        set(.bound)
    }

    /// A blocking connect. `connect` makes the connect(2) call once. Without
    /// a hook it blocks in the kernel; with one the descriptor is made
    /// non-blocking for the call and the hook loop waits for POLLOUT. Either
    /// way an attempt left running (EINTR from a signal, EINPROGRESS) is
    /// waited for and its outcome read from SO_ERROR.
    ///
    /// A cancelled connect (WSAEINTR) is aborted in the kernel at once
    /// (connect(AF_UNSPEC): no SYN is retried, the peer gets a reset if it
    /// answered), and the socket is left unconnected. The draft promises
    /// only WSPCloseSocket after a cancel; this provider also allows a new
    /// WSPConnect.
    func blockingConnect(_ connect: () throws(Errno) -> Void) throws(WSAError) {
        blockers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { blockers.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        if current.contains(.closed) { throw .interrupted }
        let hooked = ws2spi_blocking_hook() != nil
        if hooked {
            do { try Sys.setNonBlocking(fd, true) } catch { throw error.wsa }
        }
        defer {
            // Back to blocking, unless another thread made the socket
            // non-blocking meanwhile (FIONBIO, a notification selection).
            if hooked && !current.contains(.nonBlocking) { try? Sys.setNonBlocking(fd, false) }
        }
        do throws(Errno) {
            try connect()
            if current.contains(.closed) { throw Errno(EINTR) }
            return
        } catch where !current.contains(.closed) && (error.rawValue == EINTR || (hooked && error.rawValue == EINPROGRESS)) {
            // The attempt goes on in the kernel: wait for it below.
        } catch {
            if current.contains(.closed) { throw .interrupted }
            throw error.wsa
        }
        do {
            _ = try waitReady(Int16(POLLOUT))
        } catch {
            if error == .interrupted { KernelSocket.disconnect(fd) }
            throw error
        }
        var err: Int32 = 0
        var len = socklen_t(4)
        do { try Sys.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) } catch { throw error.wsa }
        if current.contains(.closed) { throw .interrupted }
        if err != 0 { throw Errno(err).wsa }
    }
}
