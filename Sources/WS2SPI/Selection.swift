// The three notification models of the SPI on a Socket: WSPEventSelect
// (+ WSPEnumNetworkEvents), WSPAsyncSelect32, WSPCallbackSelect16.
// A selection of any model replaces the socket's previous one.
import CWS2SPI

extension Socket {
    /// WSPEventSelect: `event` is set when one of `events` happens; learn
    /// which with ``enumNetworkEvents(resetting:)``. Empty `events` cancels.
    public func eventSelect(_ event: Event, events: NetworkEvents) throws(WSAError) {
        var err: Int32 = 0
        let status = spi.eventSelect(handle, event.handle, events.rawValue, &err)
        guard status == 0 else { throw WSAError(code: err) }
        dropSelectCallback()
    }

    /// WSPEnumNetworkEvents: the events recorded since the last call (and
    /// clears the record); `resetting` is reset at the same time.
    public func enumNetworkEvents(resetting event: Event? = nil) throws(WSAError) -> NetworkEventRecord {
        var records = [WSANETWORKEVENT](repeating: WSANETWORKEVENT(), count: Int(FD_MAX_EVENTS))
        var count = Int32(FD_MAX_EVENTS)
        var err: Int32 = 0
        let status = records.withUnsafeMutableBufferPointer {
            spi.enumNetworkEvents(handle, event?.handle, $0.baseAddress, &count, &err)
        }
        guard status == 0 else { throw WSAError(code: err) }
        var fired = NetworkEvents()
        var errors = [Int32](repeating: 0, count: Int(FD_MAX_EVENTS))
        for bit in 0..<min(Int(count), records.count) where records[bit].Fired != 0 {
            fired.insert(NetworkEvents(rawValue: 1 << bit))
            errors[bit] = records[bit].ErrorCode
        }
        return NetworkEventRecord(events: fired, errors: errors)
    }

    /// WSPAsyncSelect32: one message per event is posted to `window`
    /// (``MessageWindow/getMessage(timeout:)``). Empty `events` cancels.
    public func asyncSelect(_ window: MessageWindow, message: UInt32, events: NetworkEvents) throws(WSAError) {
        var err: Int32 = 0
        let status = spi.asyncSelect(handle, window.handle, message, events.rawValue, &err)
        guard status == 0 else { throw WSAError(code: err) }
        dropSelectCallback()
    }

    /// WSPCallbackSelect16: `callback` runs for each of `events`, with the
    /// event and its error (FD_CONNECT, FD_CLOSE), on a provider thread,
    /// never twice at once for this socket. It may call any socket method
    /// (not ``Provider/cleanup()``).
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
        guard let c = FFICallback.select({ _, event, error in
            callback(NetworkEvents(rawValue: event), error == 0 ? nil : WSAError(code: error))
        }) else { throw .notEnoughMemory }
        var err: Int32 = 0
        let status = spi.callbackSelect(handle, c.selectProc, 0, events.rawValue, &err)
        guard status == 0 else { throw WSAError(code: err) }
        // The provider no longer calls the previous closure (RULINGS §7): swap.
        let previous = state.withLock { s -> FFICallback? in
            defer { s.selectCallback = c }
            return s.selectCallback
        }
        _ = previous
    }

    /// Cancels the socket's selection, whatever its model (lNetworkEvents 0).
    public func cancelSelection() throws(WSAError) {
        var err: Int32 = 0
        let status = spi.callbackSelect(handle, nil, 0, 0, &err)
        guard status == 0 else { throw WSAError(code: err) }
        dropSelectCallback()
    }

    /// Frees the closure of a replaced or cancelled callback selection.
    private func dropSelectCallback() {
        let previous = state.withLock { s -> FFICallback? in
            defer { s.selectCallback = nil }
            return s.selectCallback
        }
        _ = previous   // released outside the lock
    }
}
