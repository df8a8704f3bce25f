// Lazy globals of the host services, initialised before a provider's engine
// thread can race on them.
//
// Swift initialises a global on first use under a lock that records the
// owner's thread id, cached per thread. After fork() the child's main
// thread still has its parent's cached id, so if it and an engine thread
// first touch the same global at once, the kernel refuses the lock and both
// spin for ever. Type metadata is made the same way (a ring's storage
// array), so the queues are warmed up too. Every provider calls
// WPUXxxReserveSocketRange from each WSPStartup, before its engine thread
// can exist, and that runs this.
import CWS2SPI
import WS2Base

enum HostGlobals {
    /// Initialises every global the host services share with engine threads.
    static func initialize() {
        _ = WSAError(errno: 11)
        _ = EventObjects.table.capacity
        _ = MessageWindows.table.capacity
        _ = SocketHandles.capacity
        _ = HostThreads.registry.withLock { $0.threads.count }
        _ = SocketRanges.size
        OverlappedStatus.initializeGlobals()
        Ring<APCItem>.prepare(with: .closure({}))
        Ring<MessageWindow.Message>.prepare(with: .init(message: 0, wParam: 0, lParam: 0))
        var threads: [HostThread] = []
        threads.reserveCapacity(1)
        _ = threads.isEmpty
    }
}
