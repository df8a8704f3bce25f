// Event objects (RULINGS §6): WSACreateEvent, WSASetEvent, WSAResetEvent,
// WSACloseEvent, WSAWaitForMultipleEvents. Manual-reset: a set event stays
// set, and releases every waiter, until it is reset.
import Synchronization
import CWS2SPI
import WS2Base

/// One manual-reset event object.
final class EventObject: @unchecked Sendable {
    /// Bit 0: signalled. Bits 1...: the number of changes so far, so that two
    /// equal reads of every event of a wait-all prove one moment when all
    /// were signalled (a double collect). Changed only under `waiters`.
    private let state = Atomic<UInt64>(0)
    /// The threads parked in a wait on this event.
    private let waiters = Mutex<[HostThread]>([])

    init() { waiters.withLock { $0.reserveCapacity(4) } }

    /// The state word (see `state`).
    @inline(__always) var word: UInt64 { state.load(ordering: .sequentiallyConsistent) }
    @inline(__always) var isSignalled: Bool { word & 1 != 0 }

    /// Signals the event and wakes every waiter.
    func set() {
        if isSignalled { return }
        waiters.withLock { list in
            let old = state.load(ordering: .relaxed)
            guard old & 1 == 0 else { return }
            state.store((old | 1) &+ 2, ordering: .sequentiallyConsistent)
            for thread in list { thread.unpark() }
        }
    }

    /// Makes the event non-signalled.
    func reset() {
        if !isSignalled { return }
        waiters.withLock { _ in
            let old = state.load(ordering: .relaxed)
            guard old & 1 != 0 else { return }
            state.store((old & ~1) &+ 2, ordering: .sequentiallyConsistent)
        }
    }

    /// Registers `thread` as a waiter (before it checks the event).
    func enroll(_ thread: HostThread) { waiters.withLock { $0.append(thread) } }

    /// Unregisters one registration of `thread`.
    func withdraw(_ thread: HostThread) {
        waiters.withLock { list in
            if let i = list.firstIndex(where: { $0 === thread }) { list.remove(at: i) }
        }
    }
}

/// The event objects of the process.
public enum EventObjects {
    static let table = HandleTable<EventObject>()

    @inline(__always) static func object(_ event: WSAEVENT?) -> EventObject? {
        guard let handle = HostHandle.handle(event, tag: HostHandle.eventTag) else { return nil }
        return table.lookup(handle)
    }

    /// WSACreateEvent: a new manual-reset, non-signalled event.
    /// WSA_NOT_ENOUGH_MEMORY when every handle is taken.
    static func create() throws(WSAError) -> WSAEVENT {
        guard let handle = table.insert(EventObject()),
              let event = HostHandle.pointer(handle, tag: HostHandle.eventTag) else { throw HostError.notEnoughMemory }
        return event
    }

    /// Signals event `e` (WSASetEvent), releasing every waiter; false when
    /// `e` is not a live event object.
    @discardableResult
    public static func set(_ e: WSAEVENT?) -> Bool {
        guard let event = object(e) else { return false }
        event.set()
        return true
    }

    /// Makes event `e` non-signalled (WSAResetEvent); false when `e` is not
    /// a live event object.
    @discardableResult
    public static func reset(_ e: WSAEVENT?) -> Bool {
        guard let event = object(e) else { return false }
        event.reset()
        return true
    }

    /// True when `e` is a live (created, not closed) event object.
    public static func isValid(_ e: WSAEVENT?) -> Bool { object(e) != nil }

    /// True when `e` is a live event object that is signalled.
    public static func isSignalled(_ e: WSAEVENT?) -> Bool { object(e)?.isSignalled ?? false }

    /// WSACloseEvent: the handle is dead from now on (and never reused for a
    /// later event). A thread already waiting on it keeps waiting.
    static func close(_ e: WSAEVENT?) -> Bool {
        guard let handle = HostHandle.handle(e, tag: HostHandle.eventTag) else { return false }
        return table.remove(handle) != nil
    }

    /// WSAWaitForMultipleEvents. Returns WSA_WAIT_EVENT_0 + the lowest index
    /// of a signalled event (wait-any), WSA_WAIT_EVENT_0 once all are
    /// signalled at one moment (wait-all), WSA_WAIT_TIMEOUT, or
    /// WSA_WAIT_IO_COMPLETION after running APCs (alertable). The events are
    /// checked before APCs. Errors: a count of 0 or above
    /// WSA_MAXIMUM_WAIT_EVENTS is WSA_INVALID_PARAMETER, a NULL array
    /// WSAEFAULT (RULINGS §4), a handle that is not a live event
    /// WSA_INVALID_HANDLE.
    static func wait(count: DWORD, events handles: UnsafePointer<WSAEVENT?>?, all: Bool,
                     timeout: DWORD, alertable: Bool) throws(WSAError) -> DWORD {
        guard count >= 1 && count <= DWORD(WSA_MAXIMUM_WAIT_EVENTS) else { throw HostError.invalidParameter }
        guard let handles else { throw .fault }
        let n = Int(count)
        // The objects live on the stack for the wait: waiting allocates
        // nothing (the hot path of event-driven overlapped I/O).
        let result = withUnsafeTemporaryAllocation(of: EventObject.self, capacity: n) { buffer -> DWORD? in
            let events = buffer.baseAddress!
            var found = 0
            defer { events.deinitialize(count: found) }
            while found < n {
                guard let event = object(handles[found]) else { return nil }
                (events + found).initialize(to: event)
                found += 1
            }
            return wait(UnsafeBufferPointer(start: events, count: n), all: all, timeout: timeout, alertable: alertable)
        }
        guard let result else { throw HostError.invalidHandle }
        return result
    }

    private static func wait(_ events: UnsafeBufferPointer<EventObject>, all: Bool, timeout: DWORD, alertable: Bool) -> DWORD {
        let check = { () -> Int? in all ? allSignalled(events) : firstSignalled(events) }
        if let index = check() { return WSA_WAIT_EVENT_0 + DWORD(index) }
        if timeout == 0 && !alertable { return WSA_WAIT_TIMEOUT }

        let thread = HostThreads.current
        for event in events { event.enroll(thread) }
        defer { for event in events { event.withdraw(thread) } }
        switch Wait.block(thread, timeout: timeout, alertable: alertable, until: check) {
        case .ready(let index): return WSA_WAIT_EVENT_0 + DWORD(index)
        case .timedOut: return WSA_WAIT_TIMEOUT
        case .ranAPCs: return WSA_WAIT_IO_COMPLETION
        }
    }

    /// Wait-any: the lowest index of a signalled event.
    private static func firstSignalled(_ events: UnsafeBufferPointer<EventObject>) -> Int? {
        events.firstIndex { $0.isSignalled }
    }

    /// Wait-all: 0 when every event was signalled at one moment. Two equal
    /// reads of every state word (each change bumps the word) prove that
    /// moment: between the two reads nothing changed.
    private static func allSignalled(_ events: UnsafeBufferPointer<EventObject>) -> Int? {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: events.count) { first -> Int? in
            for (i, event) in events.enumerated() {
                let word = event.word
                guard word & 1 != 0 else { return nil }
                first[i] = word
            }
            for (i, event) in events.enumerated() where event.word != first[i] { return nil }
            return 0
        }
    }
}
