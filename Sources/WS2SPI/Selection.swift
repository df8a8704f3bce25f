// The three notification models of the SPI on a Socket: WSPEventSelect
// (+ WSPEnumNetworkEvents), WSPAsyncSelect32, WSPCallbackSelect16.
// A selection of any model replaces the socket's previous one.
import Glibc
import CWS2SPI
import Synchronization

/// A socket's selection as this module sees it: the libffi closure the
/// provider calls for a callback selection, and when a replaced one may go.
///
/// A replaced closure may be freed once the provider no longer calls it.
/// A replacing SPI call from an ordinary thread returns only when no
/// callback of the old selection is in flight (RULINGS §7); calls from
/// such threads are serialised here (`order`), so each knows which closure
/// it replaced. A callback replacing its own socket's selection must not
/// wait for that lock (the holder may be waiting, inside the provider, for
/// this very callback to return); the provider applies it at once, and no
/// ordinary replacement can be applied while a callback runs. The one
/// ambiguity: when an ordinary call's own new closure has already been
/// called and replaced by its callback before that call gets here, the
/// provider has moved past it; `pendingSuperseded` records that.
final class Selection: @unchecked Sendable {
    private struct State {
        /// The closure the provider calls now, as far as this module knows.
        var current: FFICallback?
        /// Serial numbers of callback-select closures (never 0).
        var nextSerial: UInt64 = 1
        /// The closure of the ordinary replacement in progress (0: none).
        var pendingSerial: UInt64 = 0
        /// A callback of that closure has already replaced the selection.
        var pendingSuperseded = false
    }
    private let order = Mutex(())
    private let state = Mutex(State())
    /// The thread running this socket's callback now (0: none), and the
    /// serial of the closure it runs. Callbacks of one socket never run two
    /// at once, and both are read on that thread only.
    private let callbackThread = Atomic<UInt>(0)
    private let runningSerial = Atomic<UInt64>(0)

    var hasCallback: Bool { state.withLock { $0.current != nil } }

    /// A serial number for a new callback-select closure.
    func makeSerial() -> UInt64 {
        state.withLock { s in
            defer { s.nextSerial &+= 1 }
            return s.nextSerial
        }
    }

    /// Runs `call` (an SPI call that replaces the selection; `new` is the
    /// closure it gives the provider, with its serial) and keeps the stored
    /// closure in step with the provider. The closure it replaced is freed
    /// here, after the locks (if it is the one running this very call, the
    /// libffi handler holds it until the call returns). When `call` fails,
    /// nothing changes, and `new`, which the provider did not take, is
    /// freed by the caller.
    func replace(with new: FFICallback?, serial: UInt64 = 0, _ call: (UnsafeMutablePointer<Int32>) -> Int32) throws(WSAError) {
        var err: Int32 = 0
        if callbackThread.load(ordering: .relaxed) == UInt(pthread_self()) {
            guard call(&err) == 0 else { throw WSAError(code: err) }
            let running = runningSerial.load(ordering: .relaxed)
            let replaced = state.withLock { s -> FFICallback? in
                if s.pendingSerial != 0 && s.pendingSerial == running { s.pendingSuperseded = true }
                defer { s.current = new }
                return s.current
            }
            _ = replaced
            return
        }
        let replaced = order.withLock { _ -> FFICallback?? in
            state.withLock { s in
                s.pendingSerial = serial
                s.pendingSuperseded = false
            }
            let ok = call(&err) == 0
            return state.withLock { s -> FFICallback?? in
                defer { s.pendingSerial = 0 }
                guard ok else { return .none }
                // Already replaced by its own callback: the provider has moved on.
                if s.pendingSuperseded { return .some(new) }
                defer { s.current = new }
                return .some(s.current)
            }
        }
        guard replaced != nil else { throw WSAError(code: err) }
    }

    /// Runs the body of the callback-select closure `serial`, marked as
    /// this socket's callback.
    func running(_ serial: UInt64, _ body: () -> Void) {
        let outerThread = callbackThread.exchange(UInt(pthread_self()), ordering: .relaxed)
        let outerSerial = runningSerial.exchange(serial, ordering: .relaxed)
        defer {
            runningSerial.store(outerSerial, ordering: .relaxed)
            callbackThread.store(outerThread, ordering: .relaxed)
        }
        body()
    }
}

extension Socket {
    /// WSPEventSelect: `event` is set when one of `events` happens; learn
    /// which with ``enumNetworkEvents(resetting:)``. Empty `events` cancels.
    /// A selection makes the socket non-blocking.
    public func eventSelect(_ event: Event, events: NetworkEvents) throws(WSAError) {
        try selection.replace(with: nil) { spi.lpWSPEventSelect!(handle, event.handle, events.rawValue, $0) }
    }

    /// WSPEnumNetworkEvents: the events recorded since the last call (and
    /// clears the record); `resetting` is reset at the same time.
    public func enumNetworkEvents(resetting event: Event? = nil) throws(WSAError) -> NetworkEventRecord {
        var records = [WSANETWORKEVENT](repeating: WSANETWORKEVENT(), count: Int(FD_MAX_EVENTS))
        var count = Int32(FD_MAX_EVENTS)
        var err: Int32 = 0
        let status = records.withUnsafeMutableBufferPointer {
            spi.lpWSPEnumNetworkEvents!(handle, event?.handle, $0.baseAddress, &count, &err)
        }
        guard status == 0 else { throw WSAError(code: err) }
        var fired = NetworkEvents()
        var errors = [Int32](repeating: 0, count: Int(FD_MAX_EVENTS))
        for bit in 0..<min(Int(max(count, 0)), records.count) where records[bit].Fired != 0 {
            fired.insert(NetworkEvents(rawValue: 1 << bit))
            errors[bit] = records[bit].ErrorCode
        }
        return NetworkEventRecord(events: fired, errors: errors)
    }

    /// WSPAsyncSelect32: one message per event is posted to `window`
    /// (``MessageWindow/nextMessage(timeout:)``). Empty `events` cancels.
    /// A selection makes the socket non-blocking.
    public func asyncSelect(_ window: MessageWindow, message: UInt32, events: NetworkEvents) throws(WSAError) {
        try selection.replace(with: nil) { spi.lpWSPAsyncSelect32!(handle, window.handle, message, events.rawValue, $0) }
    }

    /// WSPCallbackSelect16: `callback` runs for each of `events`, with the
    /// event and its error (FD_CONNECT, FD_CLOSE), on a provider thread,
    /// never twice at once for this socket. It may call any socket method
    /// (not ``Provider/cleanup()``), including replacing or cancelling this
    /// selection. A selection makes the socket non-blocking.
    ///
    /// The closure's C function pointer lives as long as the selection: it
    /// is freed when another selection (of any model) replaces it, on
    /// ``cancelSelection()``, or when the socket is closed. The socket owns
    /// the closure, so a closure that needs the socket should capture it
    /// `weak` or `unowned`; a strong capture keeps the socket open until it
    /// is closed explicitly.
    public func callbackSelect(events: NetworkEvents,
                               _ callback: @escaping @Sendable (NetworkEvents, WSAError?) -> Void) throws(WSAError) {
        guard !events.isEmpty else { return try cancelSelection() }
        let selection = self.selection
        let serial = selection.makeSerial()
        guard let c = FFICallback.select({ _, event, error in
            selection.running(serial) { callback(NetworkEvents(rawValue: event), error == 0 ? nil : WSAError(code: error)) }
        }) else { throw .notEnoughMemory }
        try selection.replace(with: c, serial: serial) { spi.lpWSPCallbackSelect16!(handle, c.selectProc, 0, events.rawValue, $0) }
    }

    /// Cancels the socket's selection, whatever its model (lNetworkEvents 0).
    public func cancelSelection() throws(WSAError) {
        try selection.replace(with: nil) { spi.lpWSPCallbackSelect16!(handle, nil, 0, 0, $0) }
    }
}
