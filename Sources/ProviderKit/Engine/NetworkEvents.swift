// Network-event notification, shared by WSPEventSelect, WSPAsyncSelect32 and
// WSPCallbackSelect16: one record per socket of what is selected, what may be
// reported now (the re-enabling table of the draft), and what WSPEventSelect
// has recorded for WSPEnumNetworkEvents.
import Synchronization
import CWS2SPI

/// The FD_* network events (ws2spi.h), bit i is FD_*_BIT i.
public struct NetworkEvents: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let read = NetworkEvents(rawValue: FD_READ)
    public static let write = NetworkEvents(rawValue: FD_WRITE)
    public static let oob = NetworkEvents(rawValue: FD_OOB)
    public static let accept = NetworkEvents(rawValue: FD_ACCEPT)
    public static let connect = NetworkEvents(rawValue: FD_CONNECT)
    public static let close = NetworkEvents(rawValue: FD_CLOSE)
    public static let qos = NetworkEvents(rawValue: FD_QOS)
    public static let groupQOS = NetworkEvents(rawValue: FD_GROUP_QOS)
    /// Every event: the FD_MAX_EVENTS low bits.
    public static let all = NetworkEvents(rawValue: (1 << FD_MAX_EVENTS) - 1)
    /// FD_MAX_EVENTS
    public static let count = Int(FD_MAX_EVENTS)
}

/// Where a socket's network events go.
public enum NotificationTarget: @unchecked Sendable {
    /// WSPEventSelect: record the event and set the event object.
    case event(WSAEVENT)
    /// WSPAsyncSelect32: post wMsg to the window, lParam WSAMAKESELECTREPLY(event, error).
    case window(HWND, UInt32)
    /// WSPCallbackSelect16: call back on the provider's thread.
    case callback(LPSELECTPROC, DWORD)

    /// Accepted sockets inherit event and window selections, not callbacks (RULINGS §7).
    public var inheritable: Bool {
        if case .callback = self { return false }
        return true
    }
}

/// What holds on a socket right now, as the provider sees it.
public struct Conditions: Sendable {
    public var holding: NetworkEvents = []
    public var connectError: Int32 = 0
    public var closeError: Int32 = 0
    public init() {}
}

/// One socket's notification state.
public final class EventRegistration: @unchecked Sendable {
    private struct State {
        var target: NotificationTarget?
        var selected: NetworkEvents = []
        /// WSPEventSelect's record for WSPEnumNetworkEvents.
        var record: NetworkEvents = []
        var errors = [Int32](repeating: 0, count: NetworkEvents.count)
        /// Bumped by every selection, so a callback computed under an older
        /// selection is not made.
        var generation: UInt64 = 0
    }
    private let state = Mutex(State())
    /// Events that may be reported now: reporting one disarms it until its
    /// re-enabling call (FD_CONNECT and FD_CLOSE have none). Atomic, so that
    /// a re-enabling call (every WSPRecv) takes no lock.
    private let armed = Atomic<Int32>(NetworkEvents.all.rawValue)
    /// A copy of `State.record` for lock-free checks on the data path
    /// (`isRecorded`); written under the state lock.
    private let recorded = Atomic<Int32>(0)
    /// Held while a callback runs, so that cancelling waits for it.
    private let callbackLock = Mutex(())
    /// The SOCKET handle reported in wParam / the callback's s.
    public let handle: SOCKET

    public init(handle: SOCKET) { self.handle = handle }

    /// The current selection (for inheritance by accepted sockets).
    public var selection: (target: NotificationTarget?, events: NetworkEvents) {
        state.withLock { ($0.target, $0.selected) }
    }

    public var hasSelection: Bool { state.withLock { $0.target != nil && !$0.selected.isEmpty } }

    /// Replaces the selection (any model) and clears the record (draft
    /// WSPEventSelect: "clears all bits in the internal network event
    /// record"); events empty cancels. When this
    /// returns no message, event or callback of the old selection is in
    /// flight (unless called from inside a callback, on the reactor thread).
    public func select(_ target: NotificationTarget?, events: NetworkEvents) {
        let replace = {
            self.state.withLock { s in
                s.target = events.isEmpty ? nil : target
                s.selected = events
                self.armed.store(NetworkEvents.all.rawValue, ordering: .sequentiallyConsistent)
                s.record = []
                self.recorded.store(0, ordering: .sequentiallyConsistent)
                for bit in 0..<NetworkEvents.count { s.errors[bit] = 0 }
                s.generation &+= 1
            }
        }
        if Reactor.shared.isReactorThread { replace() } else { callbackLock.withLock { _ in replace() } }
    }

    /// A re-enabling call: the events may be reported again.
    @inline(__always)
    public func rearm(_ events: NetworkEvents) {
        armed.bitwiseOr(events.rawValue, ordering: .sequentiallyConsistent)
    }

    /// Whether any of `events` is recorded for WSPEnumNetworkEvents and not
    /// reported yet. One atomic load.
    @inline(__always)
    public func isRecorded(_ events: NetworkEvents) -> Bool {
        recorded.load(ordering: .sequentiallyConsistent) & events.rawValue != 0
    }

    /// Withdraws recorded, unreported `events` whose condition no longer
    /// holds (RULINGS §7: a re-enabling call that took the data or the
    /// connection). The event object is left as it is: it may be shared.
    public func withdraw(_ events: NetworkEvents) {
        state.withLock { s in
            s.record.subtract(events)
            for bit in 0..<NetworkEvents.count where events.rawValue & (1 << bit) != 0 { s.errors[bit] = 0 }
            recorded.store(s.record.rawValue, ordering: .sequentiallyConsistent)
        }
    }

    /// The events of `fired` in the order they are reported when several
    /// hold at once: FD_CONNECT before the connection's first FD_WRITE
    /// (RULINGS §7), data before FD_CLOSE. (The FD_*_BIT numbers, 4 3 0 2 1
    /// 5 6 7, packed in nibbles from the lowest: no array, so nothing to
    /// allocate or initialise lazily; the expression folds to 0x7651_2034.)
    @inline(__always)
    private static func inOrder(_ fired: NetworkEvents, _ body: (Int32) -> Void) {
        let first: UInt32 = UInt32(FD_CONNECT_BIT) | UInt32(FD_ACCEPT_BIT) << 4
                          | UInt32(FD_READ_BIT) << 8 | UInt32(FD_OOB_BIT) << 12
        let then: UInt32 = UInt32(FD_WRITE_BIT) | UInt32(FD_CLOSE_BIT) << 4
                         | UInt32(FD_QOS_BIT) << 8 | UInt32(FD_GROUP_QOS_BIT) << 12
        var sequence = first | then << 16
        for _ in 0..<NetworkEvents.count {
            let event = Int32(1) << Int32(sequence & 0xF)
            sequence >>= 4
            if fired.rawValue & event != 0 { body(event) }
        }
    }

    /// Reports every selected, armed event that holds, once, and disarms it.
    /// Runs on the reactor thread, or on a caller's thread (`onCaller`) to
    /// report what holds when a selection is made (RULINGS §7); callbacks
    /// run on the reactor thread only, so a caller's delivery leaves them
    /// to a kick and returns false.
    @discardableResult
    public func deliver(_ c: Conditions, onCaller: Bool = false) -> Bool {
        var callback: (LPSELECTPROC, DWORD, UInt64)?
        var fired: NetworkEvents = []
        var delivered = true
        state.withLock { s in
            guard let target = s.target else { return }
            if onCaller, case .callback = target { delivered = false; return }
            let candidates = c.holding.intersection(s.selected)
            guard !candidates.isEmpty else { return }
            // Take the armed candidates atomically: a concurrent rearm either
            // lands before (and is reported now) or after (and re-enables).
            let before = armed.bitwiseAnd(~candidates.rawValue, ordering: .sequentiallyConsistent).oldValue
            fired = candidates.intersection(NetworkEvents(rawValue: before))
            guard !fired.isEmpty else { return }
            switch target {
            case .event(let h):
                s.record.formUnion(fired)
                for bit in 0..<NetworkEvents.count where fired.rawValue & (1 << bit) != 0 {
                    s.errors[bit] = EventRegistration.error(for: 1 << bit, c)
                }
                recorded.store(s.record.rawValue, ordering: .sequentiallyConsistent)
                HostCalls.setEvent(h)
            case .window(let hwnd, let message):
                EventRegistration.inOrder(fired) { event in
                    let lParam = LPARAM(ws2spi_makeselectreply(UInt16(event), UInt16(truncatingIfNeeded: EventRegistration.error(for: event, c))))
                    HostCalls.postMessage(hwnd, message: message, wParam: handle, lParam: lParam)
                }
            case .callback(let fn, let data):
                callback = (fn, data, s.generation)
            }
        }
        guard let (fn, data, generation) = callback else { return delivered }
        // One callback at a time per socket (all run on the reactor thread),
        // never under the state lock: the callback may call the SPI.
        callbackLock.withLock { _ in
            var current = true
            EventRegistration.inOrder(fired) { event in
                current = current && state.withLock({ $0.generation == generation })
                if current { fn(handle, event, EventRegistration.error(for: event, c), data) }
            }
        }
        return true
    }

    private static func error(for event: Int32, _ c: Conditions) -> Int32 {
        switch event {
        case NetworkEvents.connect.rawValue: return c.connectError
        case NetworkEvents.close.rawValue: return c.closeError
        default: return 0
        }
    }

    /// WSPEnumNetworkEvents (RULINGS §7): fills an array indexed by event bit,
    /// clears the record and resets the event object, atomically.
    public func enumerate(_ records: UnsafeMutablePointer<WSANETWORKEVENT>, count: UnsafeMutablePointer<Int32>,
                          reset event: WSAEVENT?) throws(WSAError) {
        try state.withLock { (s) throws(WSAError) in
            var needed = 0
            for bit in 0..<NetworkEvents.count where s.record.rawValue & (1 << bit) != 0 { needed = bit + 1 }
            let capacity = Int(max(count.pointee, 0))
            if capacity < needed {
                count.pointee = Int32(needed)
                throw .noBuffers
            }
            let n = min(capacity, NetworkEvents.count)
            for bit in 0..<n {
                let fired = s.record.rawValue & (1 << bit) != 0
                records[bit] = WSANETWORKEVENT(Fired: fired ? 1 : 0, ErrorCode: fired ? s.errors[bit] : 0)
            }
            count.pointee = Int32(n)
            s.record = []
            recorded.store(0, ordering: .sequentiallyConsistent)
            for bit in 0..<NetworkEvents.count { s.errors[bit] = 0 }
            if let event { HostCalls.resetEvent(event) }
        }
    }
}
