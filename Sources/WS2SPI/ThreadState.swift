// What this module keeps per thread: the closures a provider calls back on
// the thread that registered them. Completion routines run as APCs on the
// posting thread; blocking hooks are per thread in the provider. When a
// thread exits, neither can be called any more, so a thread-exit hook
// (a pthread key destructor) hands them back: hooks are freed at once,
// overlapped operations as soon as the provider is done with their memory.
import Glibc
import CWS2SPI
import Synchronization

/// One thread's closures.
final class ThreadState: @unchecked Sendable {
    /// Operations this thread posted with a completion closure that has not
    /// run yet: the table owns them until then. Locked although only this
    /// thread should touch it, so a provider that ran a routine elsewhere
    /// could not corrupt it.
    private let pending = Mutex<[ObjectIdentifier: OverlappedOperation]>([:])

    /// The blocking hooks this thread installed, by library: the provider
    /// keeps only the C function pointer. Touched by this thread only.
    private var hooks: [ObjectIdentifier: BlockingHook] = [:]

    /// The calling thread's state, made (and its exit hook armed) on first use.
    static var current: ThreadState {
        if let key, let raw = pthread_getspecific(key) {
            return Unmanaged<ThreadState>.fromOpaque(raw).takeUnretainedValue()
        }
        let state = ThreadState()
        // Without a key (none left in the process) the state is not kept:
        // nothing is freed at thread exit, as before this table existed.
        if let key { _ = pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque()) }
        return state
    }

    /// The key whose destructor is the thread-exit hook. glibc runs key
    /// destructors after the C++-style thread-local destructors, so the
    /// host services have already closed this thread's APC queue: no
    /// completion routine of the thread runs any more.
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            guard let raw else { return }
            Unmanaged<ThreadState>.fromOpaque(raw).takeRetainedValue().threadExited()
        }
        return status == 0 ? key : nil
    }()

    // MARK: overlapped operations with a completion closure

    /// Keeps `op` until its completion runs (``finish(_:)``) or the thread exits.
    func track(_ op: OverlappedOperation) {
        pending.withLock { $0[ObjectIdentifier(op)] = op }
    }

    /// The completion ran, or the operation never started: drops it.
    func finish(_ op: OverlappedOperation) {
        let removed = pending.withLock { $0.removeValue(forKey: ObjectIdentifier(op)) }
        _ = removed   // released outside the lock
    }

    /// How many operations of this thread wait for their completion to run.
    var pendingCount: Int { pending.withLock { $0.count } }

    /// True when all of them have ended (their completions only wait for an alertable wait).
    var pendingAllFinished: Bool { pending.withLock { $0.values.allSatisfy(\.isFinished) } }

    // MARK: blocking hooks

    /// Records `hook` as this thread's hook in `library`; returns the one it replaces.
    func setHook(_ hook: BlockingHook?, in library: LoadedLibrary) -> BlockingHook? {
        let id = ObjectIdentifier(library)
        let old = hooks[id]
        hooks[id] = hook
        return old
    }

    // MARK: thread exit

    /// The thread is exiting: its hooks can no longer be called (the
    /// provider's hook is a thread-local of the thread), and neither can
    /// its completion routines (their APCs were dropped with its queue).
    private func threadExited() {
        hooks = [:]
        let ops = pending.withLock { table -> [OverlappedOperation] in
            defer { table = [:] }
            return Array(table.values)
        }
        OrphanedOperations.adopt(ops)
    }
}

/// Overlapped operations nobody waits for any more (their posting thread
/// exited, or their ``OverlappedRequest`` was dropped) whose memory the
/// provider may still write: each is freed once its status (`Internal`) is
/// final, checked whenever an operation is posted or a socket closed.
enum OrphanedOperations {
    private static let list = Mutex<[OverlappedOperation]>([])
    /// `list.count`, readable without the lock (the post path checks it).
    private static let count = Atomic<Int>(0)

    /// Takes over `ops` and frees those already finished.
    static func adopt(_ ops: [OverlappedOperation]) {
        guard !ops.isEmpty else { return }
        list.withLock { list in
            list += ops
            count.store(list.count, ordering: .releasing)
        }
        sweep()
    }

    /// Frees every orphan whose operation has finished.
    static func sweep() {
        guard count.load(ordering: .acquiring) > 0 else { return }
        let finished = list.withLock { list -> [OverlappedOperation] in
            var done: [OverlappedOperation] = [], waiting: [OverlappedOperation] = []
            for op in list { if op.isFinished { done.append(op) } else { waiting.append(op) } }
            list = waiting
            count.store(list.count, ordering: .releasing)
            return done
        }
        _ = finished   // released outside the lock
    }

    /// How many orphans wait for their operation to finish (for tests).
    static var waiting: Int { count.load(ordering: .acquiring) }
}
