// Asynchronous procedure calls (RULINGS §6): each thread has a FIFO queue;
// its APCs run only on it, inside an alertable wait (SleepEx,
// WSAWaitForMultipleEvents with fAlertable). WPUXxxQueueUserAPC32 and
// WPUXxxGetCurrentThreadId32 need no WSPStartup.
import CWS2SPI
import WS2Base

/// APCs for the providers and the C upcalls.
public enum APC {
    /// The calling thread's id (its Linux thread id), as
    /// WPUXxxGetCurrentThreadId32 returns it: stable for the thread's life,
    /// different for every live thread.
    public static func currentThreadID() -> DWORD { HostThreads.current.tid }

    /// Queues `body` to run on thread `thread` in its next alertable wait,
    /// waking the thread if it is in one now. False when `thread` is not a
    /// live thread of this process (the body is then dropped). APCs still
    /// queued when their thread exits are dropped.
    @discardableResult
    public static func queue(thread: DWORD, _ body: @escaping @Sendable () -> Void) -> Bool {
        guard let target = HostThreads.live(thread) else { return false }
        return target.enqueue(.closure(body))
    }

    /// WPUXxxQueueUserAPC32: queues lpfnUserApc(dwContext) to thread
    /// `thread`. WSAEFAULT for a NULL function, WSAEINVAL for an id that is
    /// not a live thread of this process.
    static func queue(thread: DWORD, function: LPWSAUSERAPC?, context: DWORD) throws(WSAError) {
        guard let function else { throw .fault }
        let call = UserAPC(function: function, context: context)
        guard queue(thread: thread, { call.run() }) else { throw .invalidArgument }
    }

    /// Runs the queued APCs of `thread` (the calling thread), oldest first,
    /// until the queue is empty, APCs queued meanwhile included.
    static func runQueued(on thread: HostThread) {
        while let apc = thread.nextAPC() { apc.run() }
    }
}

/// One queued APC. A completion routine's call is stored inline, so that
/// completing an overlapped operation allocates nothing.
enum APCItem: @unchecked Sendable {
    case closure(@Sendable () -> Void)
    /// lpCompletionRoutine(dwError, cbTransferred, lpOverlapped).
    case completion(LPWSAOVERLAPPED_COMPLETION_ROUTINE, DWORD, DWORD, LPWSAOVERLAPPED)

    @inline(__always) func run() {
        switch self {
        case .closure(let body): body()
        case .completion(let routine, let error, let bytes, let overlapped): routine(error, bytes, overlapped)
        }
    }
}

/// A C APC routine and its context.
private struct UserAPC: @unchecked Sendable {
    let function: LPWSAUSERAPC
    let context: DWORD
    func run() { function(context) }
}
