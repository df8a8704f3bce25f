// The per-thread state of the host services (RULINGS §6): the thread's id,
// the futex word it parks on, its APC queue; and the registry that finds a
// thread by id for WPUXxxQueueUserAPC32.
import Synchronization
import CWS2SPI
import WS2Base

/// One thread as the host services see it.
///
/// A thread *attaches* on its first use of a host service (a wait, its id):
/// its `HostThread` is kept in a C thread-local and in the registry, and a
/// thread-exit hook detaches it, dropping every APC still queued, so a
/// reused thread id never receives a dead thread's APCs. APCs may also be
/// queued to a live thread that never attached; its entry is then keyed by
/// the thread's start time as well, and adopted when it attaches.
final class HostThread: @unchecked Sendable {
    /// The Linux thread id (gettid): WPUXxxGetCurrentThreadId32.
    let tid: DWORD
    /// Start time from /proc (clock ticks since boot), -1 if unknown: tells a
    /// reused id from the thread that had it before.
    let startTime: Int64
    /// Set when the thread itself attached; its exit hook then removes it
    /// from the registry. Guarded by the registry lock.
    var attached: Bool
    /// True while the thread is in an alertable wait: queuing an APC then
    /// wakes it.
    let alertable = Atomic<Bool>(false)

    struct Queue {
        var apcs = Ring<APCItem>()
        /// The thread has exited: nothing is queued any more.
        var closed = false
    }
    let queue = Mutex(Queue())

    /// The futex word: 0 while the thread may sleep, 1 once someone woke it.
    private let word: UnsafeMutablePointer<UInt32>

    init(tid: DWORD, startTime: Int64, attached: Bool) {
        self.tid = tid
        self.startTime = startTime
        self.attached = attached
        word = .allocate(capacity: 1)
        word.initialize(to: 0)
    }

    deinit { word.deallocate() }

    // MARK: parking (the one blocking primitive, see Wait.swift)

    /// Clears the wake-up flag; a waiter calls it before checking its
    /// condition, so that a wake-up after the check is never lost.
    @inline(__always) func prepareToPark() { ws2spi_word_store(word, 0) }

    /// Sleeps until `unpark()` (since the last `prepareToPark()`), the
    /// absolute CLOCK_MONOTONIC deadline in ns (< 0: none), or a spurious
    /// wake-up: the caller rechecks its condition.
    @inline(__always) func park(until deadline: Int64) { _ = Sys.futexWait(word, 0, deadline) }

    /// Wakes the thread if it is parked (or makes its next park return).
    @inline(__always) func unpark() {
        if ws2spi_word_exchange(word, 1) == 0 { Sys.futexWake(word, 1) }
    }

    // MARK: APC queue

    /// Queues an APC; false when the thread has exited.
    func enqueue(_ apc: APCItem) -> Bool {
        let queued = queue.withLock { q -> Bool in
            guard !q.closed else { return false }
            q.apcs.append(apc)
            return true
        }
        if queued && alertable.load(ordering: .sequentiallyConsistent) { unpark() }
        return queued
    }

    var hasAPCs: Bool { queue.withLock { !$0.apcs.isEmpty } }

    /// Takes the oldest APC off the queue.
    func nextAPC() -> APCItem? { queue.withLock { $0.apcs.popFirst() } }

    /// Closes the queue and drops its APCs (the thread exited).
    func close() {
        let dropped = queue.withLock { q -> Ring<APCItem> in
            q.closed = true
            let old = q.apcs
            q.apcs = Ring()
            return old
        }
        _ = dropped   // released outside the lock
    }
}

/// Finds `HostThread`s: the calling thread's, or a live thread's by id.
enum HostThreads {
    struct Registry {
        var threads: [DWORD: HostThread] = [:]
        /// Sweep entries of dead, never-attached threads beyond this size.
        var sweepAt = 64
    }
    static let registry = Mutex(Registry())

    /// The calling thread's state, attaching the thread on first use.
    @inline(__always) static var current: HostThread {
        if let raw = ws2spi_tls_host_thread() {
            return Unmanaged<HostThread>.fromOpaque(raw).takeUnretainedValue()
        }
        return attach()
    }

    @inline(never) private static func attach() -> HostThread {
        let id = ws2spi_gettid()
        let tid = DWORD(bitPattern: id)
        let start = ws2spi_thread_start_time(id)
        var stale: HostThread?
        let thread = registry.withLock { r -> HostThread in
            if let existing = r.threads[tid] {
                // APCs queued before the thread attached are its own only if
                // the entry was made for this thread, not an earlier one.
                if !existing.attached && existing.startTime == start {
                    existing.attached = true
                    return existing
                }
                stale = existing
            }
            let fresh = HostThread(tid: tid, startTime: start, attached: true)
            r.threads[tid] = fresh
            return fresh
        }
        stale?.close()
        let raw = Unmanaged.passRetained(thread).toOpaque()
        ws2spi_tls_set_host_thread(raw)
        _ = ws2spi_thread_atexit({ raw in
            guard let raw else { return }
            HostThreads.detach(Unmanaged<HostThread>.fromOpaque(raw).takeRetainedValue())
        }, raw)
        return thread
    }

    /// The thread-exit hook: forgets the thread and drops its queued APCs.
    private static func detach(_ thread: HostThread) {
        if let raw = ws2spi_tls_host_thread(), raw == Unmanaged.passUnretained(thread).toOpaque() {
            ws2spi_tls_set_host_thread(nil)
        }
        registry.withLock { r in
            if r.threads[thread.tid] === thread { r.threads[thread.tid] = nil }
        }
        thread.close()
    }

    /// The live thread with id `tid`, or nil when no thread of this process
    /// has that id.
    static func live(_ tid: DWORD) -> HostThread? {
        guard tid != 0, tid <= DWORD(Int32.max) else { return nil }
        // An attached thread stays registered until its exit hook runs.
        if let t = registry.withLock({ r in r.threads[tid].flatMap { $0.attached ? $0 : nil } }) { return t }
        let id = Int32(bitPattern: tid)
        guard ws2spi_thread_alive(id) != 0 else { return nil }
        let start = ws2spi_thread_start_time(id)
        var stale: [HostThread] = []
        let thread = registry.withLock { r -> HostThread in
            if let existing = r.threads[tid] {
                if existing.attached || existing.startTime == start { return existing }
                stale.append(existing)
            }
            let fresh = HostThread(tid: tid, startTime: start, attached: false)
            r.threads[tid] = fresh
            if r.threads.count > r.sweepAt {
                for (id, t) in r.threads where !t.attached && ws2spi_thread_alive(Int32(bitPattern: id)) == 0 {
                    stale.append(t)
                    r.threads[id] = nil
                }
                r.sweepAt = Swift.max(64, r.threads.count * 2)
            }
            return fresh
        }
        for t in stale { t.close() }
        return thread
    }
}
