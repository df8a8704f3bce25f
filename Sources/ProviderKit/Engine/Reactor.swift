// The event engine's one thread: an epoll reactor for the whole process.
// Sockets with a notification registration (WSPEventSelect,
// WSPAsyncSelect32, WSPCallbackSelect16) are watched edge-triggered; a
// provider "kicks" a socket to have its level state looked at again (after a
// re-enabling call). Idle sockets cost nothing: the thread sleeps in
// epoll_wait with no timeout.
import Glibc
import Synchronization
import CWS2SPI

/// Receives readiness from the reactor, on the reactor thread.
public protocol ReactorClient: AnyObject, Sendable {
    /// `events` are epoll's bits for this descriptor, or 0 for a kick.
    func reactorEvent(_ events: UInt32)
}

public final class Reactor: @unchecked Sendable {
    public static let shared = Reactor()

    private struct State {
        /// Strong references, dropped by deregister (a provider deregisters
        /// every socket it closes); weak ones would cost a side-table load
        /// per event.
        var clients: [UInt64: any ReactorClient] = [:]
        var kicked: [UInt64] = []
        var wakePending = false
        var nextToken: UInt64 = 1
        var running = false
        var stopping = false
    }
    private let state = Mutex(State())
    private var epfd: Int32 = -1
    private var wakeFD: Int32 = -1
    private var thread = pthread_t()
    /// The reactor thread's id, so that a callback's own calls are recognised.
    private let reactorTID = Atomic<Int32>(0)

    private init() {}

    /// Watches `fd` for `client`; returns the registration's token (never 0).
    /// The token, not the descriptor, names the registration in epoll's user
    /// data, so an event for a closed and reused descriptor is dropped.
    public func register(fd: Int32, client: any ReactorClient) -> UInt64? {
        guard startIfNeeded() else { return nil }
        let token: UInt64 = state.withLock { s in
            let t = s.nextToken
            s.nextToken += 1
            s.clients[t] = client
            return t
        }
        let events = WS2SPI_EPOLLIN | WS2SPI_EPOLLOUT | WS2SPI_EPOLLPRI | WS2SPI_EPOLLRDHUP | WS2SPI_EPOLLET
        if (try? Sys.epollAdd(epfd, fd, events, token)) == nil {
            _ = state.withLock { $0.clients.removeValue(forKey: token) }
            return nil
        }
        return token
    }

    /// Stops watching; no event for `token` is delivered after this returns
    /// (except one already being delivered on the reactor thread).
    public func deregister(fd: Int32, token: UInt64) {
        try? Sys.epollDelete(epfd, fd)
        _ = state.withLock { $0.clients.removeValue(forKey: token) }
    }

    /// Asks the reactor to deliver a kick (events 0) to the client of `token`.
    public func kick(_ token: UInt64) {
        let wake: Bool = state.withLock { s in
            s.kicked.append(token)
            if s.wakePending { return false }
            s.wakePending = true
            return true
        }
        if wake { signal() }
    }

    /// True while the thread runs (tests).
    var isRunning: Bool { state.withLock { $0.running } }

    /// True on the reactor thread (inside a client's reactorEvent).
    public var isReactorThread: Bool { reactorTID.load(ordering: .relaxed) == ws2spi_sys_gettid() }

    /// Ends the thread (the last WSPCleanup); the next register starts it again.
    public func stop() {
        let running: Bool = state.withLock { s in
            guard s.running else { return false }
            s.stopping = true
            return true
        }
        guard running, !isReactorThread else { return }
        signal()
        Sys.joinThread(thread)
        state.withLock { s in
            s.running = false
            s.stopping = false
            s.clients.removeAll()
            s.kicked.removeAll()
            s.wakePending = false
        }
        Sys.close(epfd)
        Sys.close(wakeFD)
        epfd = -1
        wakeFD = -1
    }

    private func signal() {
        try? Sys.eventfdSignal(wakeFD)
    }

    private func startIfNeeded() -> Bool {
        state.withLock { s in
            if s.running { return true }
            let ep = (try? Sys.epollCreate()) ?? -1
            let wfd = (try? Sys.eventfd()) ?? -1
            guard ep >= 0, wfd >= 0 else {
                if ep >= 0 { Sys.close(ep) }
                if wfd >= 0 { Sys.close(wfd) }
                return false
            }
            try? Sys.epollAdd(ep, wfd, WS2SPI_EPOLLIN, 0)
            epfd = ep
            wakeFD = wfd
            let unmanaged = Unmanaged.passRetained(self)
            do throws(Errno) {
                try Sys.startThread(&thread, unmanaged.toOpaque()) { arg in
                    let reactor = Unmanaged<Reactor>.fromOpaque(arg!).takeRetainedValue()
                    reactor.run()
                    return nil
                }
            } catch {
                unmanaged.release()
                Sys.close(ep)
                Sys.close(wfd)
                return false
            }
            s.running = true
            return true
        }
    }

    private func run() {
        reactorTID.store(ws2spi_sys_gettid(), ordering: .relaxed)
        _ = ws2spi_sys_set_batch_scheduling()
        let capacity = 256
        let tokens = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        let events = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer { tokens.deallocate(); events.deallocate() }
        // The kicks taken in one wake-up: swapped with State.kicked, so that
        // each array keeps its buffer (no allocation per kick).
        var batch: [UInt64] = []
        batch.reserveCapacity(64)
        state.withLock { $0.kicked.reserveCapacity(64) }
        while true {
            guard let n = try? Sys.epollWait(epfd, tokens, events, Int32(capacity), -1) else { break }
            for i in 0..<n {
                let token = tokens[i]
                if token == 0 {
                    try? Sys.eventfdDrain(wakeFD)
                    let stop = state.withLock { s -> Bool in
                        swap(&s.kicked, &batch)
                        s.wakePending = false
                        return s.stopping
                    }
                    if stop { return }
                    for t in batch { client(t)?.reactorEvent(0) }
                    batch.removeAll(keepingCapacity: true)
                } else {
                    client(token)?.reactorEvent(events[i])
                }
            }
            // Let the threads that consume what was just delivered run before
            // looking again, so the next epoll_wait gathers more readiness at
            // once (a no-op when nothing else is runnable on this CPU).
            if n > 0 { Sys.yield() }
        }
    }

    private func client(_ token: UInt64) -> (any ReactorClient)? {
        state.withLock { $0.clients[token] }
    }
}
