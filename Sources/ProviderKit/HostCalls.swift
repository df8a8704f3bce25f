// The Winsock DLL as a provider sees it (RULINGS §13): libws2_32.so.2's C
// functions, which this library is linked against, and nothing else. Event
// objects, message windows, APC queues and overlapped results are the
// host's, one set per process, so every handle a caller passes works with
// every provider.
import Synchronization
import CWS2SPI

/// The host services a provider calls.
public enum HostCalls {
    /// A live event object (WSPEventSelect, WSPEnumNetworkEvents check it).
    @inline(__always) public static func isEvent(_ e: WSAEVENT) -> Bool { WPUXxxIsEventHandle(e) != 0 }
    /// A live message window (WSPAsyncSelect32).
    @inline(__always) public static func isWindow(_ w: HWND) -> Bool { WPUXxxIsWindowHandle(w) != 0 }

    @inline(__always) @discardableResult
    public static func setEvent(_ e: WSAEVENT) -> Bool { WSASetEvent(e) != 0 }
    @inline(__always) @discardableResult
    public static func resetEvent(_ e: WSAEVENT) -> Bool { WSAResetEvent(e) != 0 }

    /// Posts WSPAsyncSelect32's message; false when the window is gone.
    @inline(__always) @discardableResult
    public static func postMessage(_ w: HWND, message: UInt32, wParam: SOCKET, lParam: LPARAM) -> Bool {
        WPUXxxPostMessage(w, message, WPARAM(wParam), lParam) != 0
    }

    /// The calling thread's id, as APCs name it.
    @inline(__always) public static func currentThreadID() -> DWORD { WPUXxxGetCurrentThreadId32() }

    /// WSPCleanup's callbacks waiting for their APC, by key: the host's APC
    /// carries one DWORD, so the (callback, data) pair stays here.
    static let cleanupCallbacks = Mutex<(next: DWORD, pending: [DWORD: (LPCLEANUPPROC, DWORD)])>((1, [:]))

    /// Queues `callback(0, data)` as an APC to the calling thread (WSPCleanup:
    /// it runs in the thread's next alertable wait).
    public static func queueCleanupCallback(_ callback: LPCLEANUPPROC, data: DWORD) {
        let key = cleanupCallbacks.withLock { state -> DWORD in
            let key = state.next
            state.next = state.next == DWORD.max ? 1 : state.next + 1
            state.pending[key] = (callback, data)
            return key
        }
        var err: Int32 = 0
        let queued = WPUXxxQueueUserAPC32(currentThreadID(), { key in
            guard let (callback, data) = HostCalls.cleanupCallbacks.withLock({ $0.pending.removeValue(forKey: key) }) else { return }
            callback(0, data)
        }, key, &err)
        if queued != 0 { _ = cleanupCallbacks.withLock { $0.pending.removeValue(forKey: key) } }
    }
}

/// This library's SOCKET values (RULINGS §13): a range of generations that
/// the Winsock DLL reserves for it the first time a provider starts, and
/// gives again on every later start-up.
public enum ProviderSockets {
    /// The provider's answer for a SOCKET of the range (WSAGetOverlappedResult).
    private static let check: LPWPUSOCKETCHECKPROC = { s in
        do throws(WSAError) { try installedProvider.checkSocket(s); return 0 } catch { return error.code }
    }

    /// Asks the Winsock DLL for the range; the DLL also readies its own
    /// state then, so this runs at every WSPStartup before the engine thread
    /// (`ProviderKitGlobals.initialize()`: fork safety in both libraries).
    @discardableResult
    public static func reserve() -> Result<HandleSpace, WSAError> {
        var first: WORD = 0, last: WORD = 0, err: Int32 = 0
        guard WPUXxxReserveSocketRange(check, &first, &last, &err) == 0 else { return .failure(WSAError(code: err)) }
        return .success(HandleSpace(generations: first...last))
    }

    /// The range, or why the host gave none (16 provider libraries already).
    public static let reservation: Result<HandleSpace, WSAError> = reserve()

    /// The space for the provider's socket table (an empty table's when
    /// there is no reservation: start-up then fails, see `reservation`).
    public static var space: HandleSpace {
        switch reservation {
        case .success(let space): return space
        case .failure: return .provider
        }
    }
}

/// Where one overlapped operation's completion goes, captured when it is
/// posted (RULINGS §8): the posting thread when there is a completion
/// routine, else hEvent as it is now (it is the caller's context when a
/// routine is given). The host reports it: fields, then the event or the APC.
public struct OverlappedCompletion: @unchecked Sendable {
    public let overlapped: LPWSAOVERLAPPED
    private let routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?
    private let thread: DWORD
    private let event: WSAEVENT?

    /// Captures the thread or the event and marks the operation pending.
    @inline(__always)
    public init(overlapped: LPWSAOVERLAPPED, routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) {
        self.overlapped = overlapped
        self.routine = routine
        if routine != nil {
            thread = HostCalls.currentThreadID()
            event = nil
        } else {
            thread = 0
            event = overlapped.pointee.hEvent
        }
        overlapped.pointee.InternalHigh = 0
        overlapped.pointee.Offset = 0
        // Internal is the status word: WSA_IO_PENDING until the host writes the result.
        ws2spi_word_store(UnsafeMutableRawPointer(overlapped).assumingMemoryBound(to: UInt32.self), DWORD(WSA_IO_PENDING))
    }

    /// Reports the end of the operation. Called exactly once per operation.
    @inline(__always)
    public func complete(error: Int32, bytes: Int, flags: Int32) {
        var err: Int32 = 0
        _ = WPUXxxCompleteOverlappedRequest(overlapped, DWORD(bitPattern: error), DWORD(truncatingIfNeeded: bytes),
                                            DWORD(bitPattern: flags), event, routine, thread, &err)
    }
}
