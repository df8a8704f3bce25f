// The notification models' Swift side: network-event sets, event objects,
// message windows.
import CWS2SPI

/// Network events (FD_READ ... FD_GROUP_QOS) for the three notification models.
public struct NetworkEvents: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The FD_* bits.
    public let rawValue: Int32
    /// Events from FD_* bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// FD_READ: data to read (or a datagram).
    public static let read = NetworkEvents(rawValue: FD_READ)
    /// FD_WRITE: room to send again (after a send would have blocked), or a connect completed.
    public static let write = NetworkEvents(rawValue: FD_WRITE)
    /// FD_OOB: out-of-band data to read.
    public static let outOfBand = NetworkEvents(rawValue: FD_OOB)
    /// FD_ACCEPT: a connection to accept.
    public static let accept = NetworkEvents(rawValue: FD_ACCEPT)
    /// FD_CONNECT: a non-blocking connect ended (with its error, if it failed).
    public static let connect = NetworkEvents(rawValue: FD_CONNECT)
    /// FD_CLOSE: the connection was closed (after all data was read, for a graceful close).
    public static let close = NetworkEvents(rawValue: FD_CLOSE)
    /// FD_QOS: the socket's quality of service changed.
    public static let qos = NetworkEvents(rawValue: FD_QOS)
    /// FD_GROUP_QOS: the socket group's quality of service changed.
    public static let groupQOS = NetworkEvents(rawValue: FD_GROUP_QOS)

    static let names: [(NetworkEvents, String)] = [
        (.read, "FD_READ"), (.write, "FD_WRITE"), (.outOfBand, "FD_OOB"), (.accept, "FD_ACCEPT"),
        (.connect, "FD_CONNECT"), (.close, "FD_CLOSE"), (.qos, "FD_QOS"), (.groupQOS, "FD_GROUP_QOS"),
    ]

    /// "FD_READ|FD_CLOSE", or "0".
    public var description: String {
        let parts = NetworkEvents.names.filter { contains($0.0) }.map(\.1)
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }
}

/// What `WSPEnumNetworkEvents` reported: the events recorded since the last
/// call, each with its error (FD_CONNECT and FD_CLOSE carry one).
public struct NetworkEventRecord: Hashable, Sendable, CustomStringConvertible {
    /// The events that fired.
    public let events: NetworkEvents
    /// ErrorCode per event bit (index FD_READ_BIT ...), 0 = none.
    let errors: [Int32]

    /// The error reported with `event` (one event), or nil.
    public func error(for event: NetworkEvents) -> WSAError? {
        let bit = event.rawValue.trailingZeroBitCount
        guard bit < errors.count, errors[bit] != 0 else { return nil }
        return WSAError(code: errors[bit])
    }

    /// The events and their errors, e.g. `FD_CONNECT FD_CONNECT:WSAECONNREFUSED`.
    public var description: String {
        var text = events.description
        for (e, name) in NetworkEvents.names where events.contains(e) {
            if let err = error(for: e) { text += " \(name):\(err.name)" }
        }
        return text
    }
}

/// A manual-reset event object of the library's host services
/// (`WSACreateEvent`), for ``Socket/eventSelect(_:events:)`` and for
/// waits that run completion routines (alertable waits). Closed on deinit.
public final class Event: @unchecked Sendable {
    /// The WSAEVENT handle.
    public let handle: WSAEVENT
    let provider: Provider

    init(provider: Provider, handle: WSAEVENT) {
        self.provider = provider
        self.handle = handle
    }

    deinit { _ = provider.host.closeEvent(handle) }

    /// WSASetEvent: signals the event (it stays signalled until reset).
    public func set() throws(WSAError) {
        if provider.host.setEvent(handle) == 0 { throw provider.lastHostError(or: .invalidHandle) }
    }

    /// WSAResetEvent: back to not signalled.
    public func reset() throws(WSAError) {
        if provider.host.resetEvent(handle) == 0 { throw provider.lastHostError(or: .invalidHandle) }
    }

    /// Waits until the event is signalled: ``WaitResult/signaled(_:)`` (0),
    /// ``WaitResult/timedOut``, or, when `alertable`, ``WaitResult/ioCompletion``
    /// after running the thread's queued completion routines.
    ///
    /// - Parameters:
    ///   - timeout: milliseconds; nil waits forever.
    ///   - alertable: also return after running this thread's completion routines.
    @discardableResult
    public func wait(timeout: UInt32? = nil, alertable: Bool = false) throws(WSAError) -> WaitResult {
        try Event.wait(for: [self], all: false, timeout: timeout, alertable: alertable)
    }

    /// WSAWaitForMultipleEvents on up to 64 events (of one library): the
    /// index of a signalled one (any), or 0 when `all` and all are
    /// signalled; see ``wait(timeout:alertable:)``. No events, or more than
    /// 64, is WSA_INVALID_PARAMETER.
    @discardableResult
    public static func wait(for events: [Event], all: Bool = false, timeout: UInt32? = nil,
                            alertable: Bool = false) throws(WSAError) -> WaitResult {
        guard let first = events.first, events.count <= Int(WSA_MAXIMUM_WAIT_EVENTS) else { throw .invalidParameter }
        var handles: [WSAEVENT?] = events.map { $0.handle }
        let status = handles.withUnsafeMutableBufferPointer { h in
            first.provider.host.waitForMultipleEvents(DWORD(h.count), h.baseAddress, all ? 1 : 0,
                                                      timeout ?? WSA_INFINITE, alertable ? 1 : 0)
        }
        withExtendedLifetime(events) {}
        switch status {
        case WSA_WAIT_TIMEOUT: return .timedOut
        case WSA_WAIT_IO_COMPLETION: return .ioCompletion
        case WSA_WAIT_FAILED: throw first.provider.lastHostError(or: .invalidParameter)
        default:
            let index = Int(status - WSA_WAIT_EVENT_0)
            guard index < events.count else { throw first.provider.lastHostError(or: .invalidParameter) }
            return .signaled(index)
        }
    }
}

/// A message window of the library's host services
/// (`WS2CreateMessageWindow`): ``Socket/asyncSelect(_:message:events:)``
/// posts one message per network event to it. Destroyed on deinit.
public final class MessageWindow: @unchecked Sendable {
    /// The HWND.
    public let handle: HWND
    let provider: Provider

    /// One window message of WSPAsyncSelect32: wParam is the socket, lParam
    /// WSAMAKESELECTREPLY(event, error).
    public struct Message: Hashable, Sendable {
        /// The message number given to asyncSelect.
        public let message: UInt32
        /// The socket (wParam): compare with ``Socket/handle``.
        public let socket: SOCKET
        /// The event (WSAGETSELECTEVENT(lParam)).
        public let event: NetworkEvents
        /// The error (WSAGETSELECTERROR(lParam)), nil for none.
        public let error: WSAError?
    }

    init(provider: Provider, handle: HWND) {
        self.provider = provider
        self.handle = handle
    }

    deinit { _ = provider.host.destroyMessageWindow(handle) }

    /// WS2GetMessage: the next message, in the order posted, or nil when
    /// `timeout` milliseconds pass first (nil waits forever).
    public func nextMessage(timeout: UInt32? = nil) throws(WSAError) -> Message? {
        var msg = WS2MSG()
        guard provider.host.getMessage(&msg, handle, timeout ?? WSA_INFINITE) != 0 else {
            let error = provider.lastHostError(or: .waitTimedOut)
            if error == .waitTimedOut { return nil }
            throw error
        }
        let lParam = UInt32(truncatingIfNeeded: msg.lParam)
        let error = Int32(lParam >> 16)
        return Message(message: msg.message, socket: SOCKET(truncatingIfNeeded: msg.wParam),
                       event: NetworkEvents(rawValue: Int32(lParam & 0xFFFF)),
                       error: error == 0 ? nil : WSAError(code: error))
    }
}
