// Lazy globals, initialised before the engine thread can race on them.
//
// Swift initialises a global on first use under a lock that records the
// owner's thread id, cached per thread. After fork() the child's main
// thread still has its parent's cached id, so if it and the engine thread
// first touch the same global at once, the kernel refuses the lock and both
// spin for ever. WSPStartup runs this before the engine thread can exist, so
// in a forked child every global the engine uses is already initialised;
// the Winsock DLL's globals are made by the same call (WPUXxxReserveSocketRange
// through ProviderSockets).
import CWS2SPI

public enum ProviderKitGlobals {

    /// Initialises every global the engine thread shares with callers, here
    /// and in the Winsock DLL.
    public static func initialize() {
        _ = Reactor.shared
        _ = WSAError(errno: 11)
        _ = ProviderSockets.reservation
        ProviderSockets.reserve()   // the Winsock DLL's globals, in this process (a forked child too)
        _ = HostCalls.cleanupCallbacks.withLock { $0.pending.count }
    }
}
