// Blocking hooks for any provider (RULINGS §5, draft §2.7 and
// WSPSetBlockingHook32): the hook of each thread, WSPIsBlocking32 and
// WSPCancelBlockingCall32 as ServiceProvider's defaults, and BlockingWait,
// the hook side of one blocking call, for a provider's own waits. The
// state is per thread and per library (C thread-locals of the shim).
//
// A thread without a hook blocks in the kernel: the hook costs it one plain
// load until some thread sets a hook (ws2spi_hooks_installed), then one
// thread-local load. On a thread with a hook a blocking call runs the
// draft's loop: try the operation without blocking; else wait for readiness
// for at most `hookIntervalMs` (BlockingWait.slice), call the hook (again
// while it returns TRUE, BlockingWait.runHook), end with WSAEINTR if it
// called WSPCancelBlockingCall32, and try again. During that loop the
// thread's state is not IDLE: WSPIsBlocking32 is TRUE, and the export layer
// (Thunk.swift) fails every other entry point with WSAEINPROGRESS.

import CWS2SPI

/// The longest poll(2) between two calls of a blocking hook: under the
/// 10 ms of RULINGS §5, with room for timer slack and the hook's own time.
let hookIntervalMs: Int32 = 9

extension ServiceProvider {
    public func setBlockingHook(_ hook: LPBLOCKINGPROC?) throws(WSAError) -> LPBLOCKINGPROC? {
        guard isStarted else { throw .notInitialised }
        guard let hook else { throw .fault }
        let previous = ws2spi_tls_blocking_hook()
        ws2spi_tls_set_blocking_hook(hook)
        return previous
    }

    /// Back to the default, which for threads is no hook at all (draft).
    public func unhookBlockingHook() throws(WSAError) {
        guard isStarted else { throw .notInitialised }
        ws2spi_tls_set_blocking_hook(nil)
    }

    public func isBlocking() -> Bool {
        ws2spi_blocking_state() != Int32(WS2SPI_BLOCKING_IDLE)
    }

    /// Takes effect when the hook returns: the blocking call then ends with
    /// WSAEINTR (draft: "as soon as the blocking hook function completes").
    public func cancelBlockingCall() throws(WSAError) {
        guard isStarted else { throw .notInitialised }
        guard isBlocking() else { throw .invalidArgument }
        ws2spi_tls_set_blocking_state(Int32(WS2SPI_BLOCKING_CANCELLED))
    }
}

/// The hook side of one blocking call. Made at the start of the call's
/// wait: with no hook on the thread it does nothing; with one, the thread
/// is blocking (WSPIsBlocking32) until `end()`.
public struct BlockingWait {
    public let hook: LPBLOCKINGPROC?

    /// Reads the thread's hook: one plain load while no thread ever set a
    /// hook, else the one thread-local load a blocking call pays.
    @inline(__always) public init() {
        hook = ws2spi_blocking_hook()
        if hook != nil { ws2spi_tls_set_blocking_state(Int32(WS2SPI_BLOCKING_WAITING)) }
    }

    @inline(__always) public func end() {
        if hook != nil { ws2spi_tls_set_blocking_state(Int32(WS2SPI_BLOCKING_IDLE)) }
    }

    /// The poll(2) timeout for a wait of `ms` milliseconds (-1: forever):
    /// with a hook, never longer than `hookIntervalMs`.
    @inline(__always) public func slice(_ ms: Int64) -> Int32 {
        guard hook != nil else { return Int32(clamping: ms) }
        return ms < 0 ? hookIntervalMs : Int32(min(ms, Int64(hookIntervalMs)))
    }

    /// After a poll: calls the hook as the draft's `while (BlockingHook());`,
    /// but stops early once it cancelled or `stop()` (a socket closed by
    /// another thread) says the call is over anyway. WSAEINTR when cancelled.
    public func runHook(stop: () -> Bool) throws(WSAError) {
        guard let hook else { return }
        while hook() != 0 {
            if ws2spi_tls_blocking_state() == Int32(WS2SPI_BLOCKING_CANCELLED) || stop() { break }
        }
        if ws2spi_tls_blocking_state() == Int32(WS2SPI_BLOCKING_CANCELLED) { throw .interrupted }
    }
}

