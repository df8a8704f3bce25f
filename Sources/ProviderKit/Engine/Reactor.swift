// The event engine's one thread: an epoll reactor for the whole process.
// Sockets with a notification registration (WSPEventSelect,
// WSPAsyncSelect32, WSPCallbackSelect16) are watched edge-triggered; a
// provider "kicks" a socket to have its level state looked at again (after a
// re-enabling call). Idle sockets cost nothing: the thread sleeps in
// epoll_wait with no timeout.
//
// Failures (issue 9): the engine survives them, and nothing pending is lost.
// - A failing epoll_wait is retried after a back-off (1 ms, doubling to
//   100 ms: never a busy loop). When the epoll descriptor itself is unusable
//   (EBADF, EINVAL) or the failures persist, the reactor rebuilds its epoll
//   set: a new epoll descriptor with the wake-up eventfd and every registered
//   descriptor (State keeps each client's fd for this), then a kick to every
//   client. A kick means "look at everything": overlapped queues are retried,
//   selections re-evaluated, so no edge missed meanwhile is lost. A rebuild
//   that fails is tried again after the next back-off.
// - A wake-up (eventfd write) that fails is retried briefly; if it still
//   fails, the next kick tries again (the kicks stay queued).
// - register() leaves nothing behind when any step fails (epoll_create,
//   eventfd, epoll_ctl, pthread_create): it returns nil, the client is not
//   kept, and the next register starts from scratch.
// epoll_ctl runs under the state lock, so it never reaches an epoll
// descriptor that a rebuild has closed (and the kernel may have reused).
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

    /// Edge-triggered, everything a socket can report.
    private static let watched = WS2SPI_EPOLLIN | WS2SPI_EPOLLOUT | WS2SPI_EPOLLPRI | WS2SPI_EPOLLRDHUP | WS2SPI_EPOLLET
    /// Consecutive epoll_wait failures after which the set is rebuilt.
    private static let rebuildAfter = 4
    /// The longest back-off between two attempts, in milliseconds.
    private static let maxBackoff = 100

    private struct Registration {
        /// Kept to re-add the descriptor when the epoll set is rebuilt.
        let fd: Int32
        let client: any ReactorClient
    }
    private struct State {
        /// Strong references, dropped by deregister (a provider deregisters
        /// every socket it closes); weak ones would cost a side-table load
        /// per event.
        var clients: [UInt64: Registration] = [:]
        var kicked: [UInt64] = []
        var wakePending = false
        var nextToken: UInt64 = 1
        var running = false
        var stopping = false
        /// A stop() off the reactor thread waits in pthread_join; without
        /// one (stop() from a callback), the thread tears itself down.
        var joining = false
        /// The epoll descriptor; replaced (by a rebuild) under the lock only.
        var epfd: Int32 = -1
        /// kick()s writing to the wake-up eventfd right now.
        var signalers = 0
    }
    private let state = Mutex(State())
    /// The wake-up eventfd: set before the thread starts, closed after it ended.
    private var wakeFD: Int32 = -1
    private var thread = pthread_t()
    /// The reactor thread's id, so that a callback's own calls are recognised.
    private let reactorTID = Atomic<Int32>(0)

    private init() {}

    /// Watches `fd` for `client`; returns the registration's token (never 0),
    /// or nil when the engine could not start or epoll refused the descriptor
    /// (nothing is kept then). The token, not the descriptor, names the
    /// registration in epoll's user data, so an event for a closed and reused
    /// descriptor is dropped.
    public func register(fd: Int32, client: any ReactorClient) -> UInt64? {
        guard startIfNeeded() else { return nil }
        return state.withLock { s -> UInt64? in
            guard s.running, !s.stopping else { return nil }   // stopped meanwhile
            let token = s.nextToken
            do throws(Errno) { try Sys.epollAdd(s.epfd, fd, Reactor.watched, token) } catch { return nil }
            s.nextToken += 1
            s.clients[token] = Registration(fd: fd, client: client)
            return token
        }
    }

    /// Stops watching; no event for `token` is delivered after this returns
    /// (except one already being delivered on the reactor thread).
    public func deregister(fd: Int32, token: UInt64) {
        let removed = state.withLock { s -> Registration? in
            guard let r = s.clients.removeValue(forKey: token) else { return nil }
            if s.epfd >= 0 { try? Sys.epollDelete(s.epfd, fd) }
            return r
        }
        _ = removed   // released outside the lock
    }

    /// Asks the reactor to deliver a kick (events 0) to the client of `token`.
    /// A kick to a stopped engine is dropped (its sockets are gone). The
    /// wake-up write is counted in `signalers`, so that the last clean-up
    /// never closes the eventfd under it (the number could be reused).
    public func kick(_ token: UInt64) {
        let wake: Bool = state.withLock { s in
            guard s.running, !s.stopping else { return false }
            s.kicked.append(token)
            if s.wakePending { return false }
            s.wakePending = true
            s.signalers += 1
            return true
        }
        guard wake else { return }
        let delivered = signal()
        state.withLock { s in
            s.signalers -= 1
            // Undelivered: the next kick signals again (this one stays queued).
            if !delivered { s.wakePending = false }
        }
    }

    /// True while the thread runs (tests).
    var isRunning: Bool { state.withLock { $0.running } }

    /// True on the reactor thread (inside a client's reactorEvent).
    public var isReactorThread: Bool { reactorTID.load(ordering: .relaxed) == ws2spi_sys_gettid() }

    /// Ends the thread (the last WSPCleanup); the next register starts it
    /// again. Called on the reactor thread (from a callback), it returns at
    /// once and the thread ends, tearing itself down, after that callback.
    public func stop() {
        let onReactor = isReactorThread
        let stopping: Bool = state.withLock { s in
            guard s.running, !s.stopping else { return false }   // a second stop() leaves it to the first
            s.stopping = true
            s.joining = !onReactor
            return true
        }
        guard stopping else { return }
        // The thread must hear of it, or it never ends.
        while !signal() { Sys.sleep(milliseconds: Reactor.maxBackoff) }
        if onReactor { return }
        Sys.joinThread(thread)
        tearDown()
    }

    /// After the thread ended: forgets every client, closes the descriptors.
    private func tearDown() {
        // No kick starts a write once `stopping` is set; wait out those begun.
        while state.withLock({ $0.signalers > 0 }) { Sys.yield() }
        let removed = state.withLock { s -> [UInt64: Registration] in
            s.running = false
            s.stopping = false
            s.joining = false
            s.kicked.removeAll()
            s.wakePending = false
            Sys.close(s.epfd)
            s.epfd = -1
            Sys.close(wakeFD)
            wakeFD = -1
            let clients = s.clients
            s.clients.removeAll()
            return clients
        }
        _ = removed   // released outside the lock
    }

    /// The thread's last act: without a joiner, it detaches and tears down.
    private func exited() {
        guard !state.withLock({ $0.joining }) else { return }
        Sys.detachThread(pthread_self())
        tearDown()
    }

    /// Wakes the thread; false when the eventfd write kept failing (three
    /// attempts, 1 and 2 ms apart).
    private func signal() -> Bool {
        let fd = wakeFD
        guard fd >= 0 else { return false }
        for attempt in 0..<3 {
            do throws(Errno) {
                try Sys.eventfdSignal(fd)
                return true
            } catch {
                if attempt < 2 { Sys.sleep(milliseconds: 1 << attempt) }
            }
        }
        return false
    }

    /// Starts the thread with a fresh epoll set and eventfd; on any failure
    /// everything made so far is closed and false returned.
    private func startIfNeeded() -> Bool {
        state.withLock { s in
            if s.running { return true }
            var ep: Int32 = -1, wfd: Int32 = -1
            do throws(Errno) {
                ep = try Sys.epollCreate()
                wfd = try Sys.eventfd()
                try Sys.epollAdd(ep, wfd, WS2SPI_EPOLLIN, 0)
                // Set before the thread starts: it reads them.
                s.epfd = ep
                wakeFD = wfd
                let unmanaged = Unmanaged.passRetained(self)
                do throws(Errno) {
                    try Sys.startThread(&thread, unmanaged.toOpaque()) { arg in
                        let reactor = Unmanaged<Reactor>.fromOpaque(arg!).takeRetainedValue()
                        reactor.run()
                        reactor.exited()
                        return nil
                    }
                } catch {
                    unmanaged.release()
                    throw error
                }
            } catch {
                if ep >= 0 { Sys.close(ep) }
                if wfd >= 0 { Sys.close(wfd) }
                s.epfd = -1
                wakeFD = -1
                return false
            }
            s.running = true
            return true
        }
    }

    /// Sleeps between attempts after failures: 1 ms, doubling to `maxBackoff`.
    private struct Backoff {
        var delay = 1
        mutating func wait() {
            Sys.sleep(milliseconds: delay)
            delay = min(delay * 2, Reactor.maxBackoff)
        }
        mutating func reset() { delay = 1 }
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
        // Only this thread replaces the epoll descriptor (rebuild).
        var epfd = state.withLock { s in
            s.kicked.reserveCapacity(64)
            return s.epfd
        }
        var backoff = Backoff()
        var waitFailures = 0
        while true {
            let n: Int
            do throws(Errno) {
                n = try Sys.epollWait(epfd, tokens, events, Int32(capacity), -1)
            } catch {
                if state.withLock({ $0.stopping }) { return }
                waitFailures += 1
                backoff.wait()
                if error.rawValue == EBADF || error.rawValue == EINVAL || waitFailures >= Reactor.rebuildAfter,
                   let fresh = rebuild() {
                    epfd = fresh
                    kickAll()
                }
                continue
            }
            waitFailures = 0
            var troubled = false
            for i in 0..<n {
                let token = tokens[i]
                if token == 0 {
                    // EAGAIN: already drained. Anything else leaves the
                    // eventfd readable: back off rather than spin on it.
                    do throws(Errno) { try Sys.eventfdDrain(wakeFD) } catch { troubled = troubled || !error.isWouldBlock }
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
            if troubled { backoff.wait() } else { backoff.reset() }
            // Let the threads that consume what was just delivered run before
            // looking again, so the next epoll_wait gathers more readiness at
            // once (a no-op when nothing else is runnable on this CPU).
            if n > 0 { Sys.yield() }
        }
    }

    /// A new epoll set holding the wake-up eventfd and every registered
    /// descriptor, replacing the old one; nil (the old one kept) when it
    /// cannot be made now.
    private func rebuild() -> Int32? {
        state.withLock { s -> Int32? in
            guard let ep = try? Sys.epollCreate() else { return nil }
            do throws(Errno) {
                try Sys.epollAdd(ep, wakeFD, WS2SPI_EPOLLIN, 0)
                for (token, r) in s.clients { try Sys.epollAdd(ep, r.fd, Reactor.watched, token) }
            } catch {
                Sys.close(ep)
                return nil
            }
            Sys.close(s.epfd)
            s.epfd = ep
            return ep
        }
    }

    /// After a rebuild: every client looks at everything (queued kicks are
    /// covered by this one).
    private func kickAll() {
        let all = state.withLock { s -> [UInt64] in
            s.kicked.removeAll(keepingCapacity: true)
            s.wakePending = false
            return Array(s.clients.keys)
        }
        for t in all { client(t)?.reactorEvent(0) }
    }

    private func client(_ token: UInt64) -> (any ReactorClient)? {
        state.withLock { $0.clients[token]?.client }
    }
}
