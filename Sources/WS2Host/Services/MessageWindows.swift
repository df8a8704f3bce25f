// Message windows for WSPAsyncSelect32 (RULINGS §6): WS2CreateMessageWindow,
// WS2DestroyMessageWindow, WS2GetMessage; the provider posts with
// MessageWindows.post. Messages of one window arrive in the order posted.
import Synchronization
import CWS2SPI
import WS2Base

/// One message window: a FIFO of messages and the threads waiting for one.
final class MessageWindow: @unchecked Sendable {
    struct Message {
        var message: UInt32
        var wParam: UInt
        var lParam: Int
    }
    struct State {
        var messages = Ring<Message>()
        var waiters: [HostThread] = []
        var destroyed = false
    }
    let state = Mutex(State())

    /// Appends a message and wakes the waiters (after the lock: a reader
    /// taking messages meanwhile need not wait for the wake-up's system
    /// call); false once destroyed.
    @inline(__always) func post(_ message: Message) -> Bool {
        let (posted, waiter, others): (Bool, HostThread?, [HostThread]) = state.withLock { s in
            guard !s.destroyed else { return (false, nil, []) }
            s.messages.append(message)
            switch s.waiters.count {
            case 0: return (true, nil, [])
            case 1: return (true, s.waiters[0], [])
            default: return (true, nil, s.waiters)
            }
        }
        waiter?.unpark()
        for thread in others { thread.unpark() }
        return posted
    }

    /// Marks the window destroyed, drops its messages and wakes its waiters.
    func destroy() {
        state.withLock { s in
            s.destroyed = true
            s.messages.removeAll()
            for thread in s.waiters { thread.unpark() }
        }
    }

    enum Next { case message(Message), destroyed }

    /// The oldest message, `.destroyed`, or nil when there is none yet.
    func next() -> Next? {
        state.withLock { s in
            if s.destroyed { return .destroyed }
            return s.messages.popFirst().map { .message($0) }
        }
    }

    func enroll(_ thread: HostThread) { state.withLock { $0.waiters.append(thread) } }

    func withdraw(_ thread: HostThread) {
        state.withLock { s in
            if let i = s.waiters.firstIndex(where: { $0 === thread }) { s.waiters.remove(at: i) }
        }
    }
}

/// The message windows of the process.
public enum MessageWindows {
    static let table = HandleTable<MessageWindow>()

    @inline(__always) static func window(_ hwnd: HWND?) -> MessageWindow? {
        guard let handle = HostHandle.handle(UnsafeRawPointer(hwnd), tag: HostHandle.windowTag) else { return nil }
        return table.lookup(handle)
    }

    /// WS2CreateMessageWindow: a new window with an empty queue.
    /// WSA_NOT_ENOUGH_MEMORY when every handle is taken.
    public static func create() throws(WSAError) -> HWND {
        guard let handle = table.insert(MessageWindow()),
              let raw = HostHandle.pointer(handle, tag: HostHandle.windowTag) else { throw HostError.notEnoughMemory }
        return HWND(raw)
    }

    /// WS2DestroyMessageWindow: drops the window's messages and ends every
    /// WS2GetMessage waiting on it (FALSE, WSA_INVALID_HANDLE); the handle
    /// is dead from now on. False when `hwnd` is not a live window.
    @discardableResult
    public static func destroy(_ hwnd: HWND?) -> Bool {
        guard let handle = HostHandle.handle(UnsafeRawPointer(hwnd), tag: HostHandle.windowTag),
              let window = table.remove(handle) else { return false }
        window.destroy()
        return true
    }

    /// True when `hwnd` is a live (created, not destroyed) message window.
    public static func isValid(_ hwnd: HWND?) -> Bool { window(hwnd) != nil }

    /// Posts a message to window `hwnd` (WSPAsyncSelect32's notification:
    /// wParam the socket, lParam WSAMAKESELECTREPLY(event, error)). False,
    /// and the message is dropped, when the window is destroyed or `hwnd`
    /// is not a window. A lock, an append to the window's ring and a wake-up:
    /// no allocation unless the ring grows.
    @discardableResult
    public static func post(_ hwnd: HWND?, message: UInt32, wParam: UInt, lParam: Int) -> Bool {
        guard let window = window(hwnd) else { return false }
        return window.post(.init(message: message, wParam: wParam, lParam: lParam))
    }

    /// WS2GetMessage: the next message of `hwnd` into *msg, waiting up to
    /// `timeout` ms (0 polls, WSA_INFINITE waits forever). Throws WSAEFAULT
    /// for a NULL msg, WSA_INVALID_HANDLE for a window that is not live or
    /// is destroyed while waiting, and WSA_WAIT_TIMEOUT (258, as
    /// GetQueuedCompletionStatus reports a time-out) when no message came.
    static func getMessage(_ msg: UnsafeMutablePointer<WS2MSG>?, _ hwnd: HWND?, timeout: DWORD) throws(WSAError) {
        guard let msg else { throw .fault }
        guard let window = window(hwnd) else { throw HostError.invalidHandle }
        var next = window.next()
        if next == nil && timeout != 0 {
            let thread = HostThreads.current
            window.enroll(thread)
            defer { window.withdraw(thread) }
            if case .ready(let value) = Wait.block(thread, timeout: timeout, alertable: false, until: window.next) {
                next = value
            }
        }
        switch next {
        case .message(let m)?:
            msg.pointee = WS2MSG(hwnd: hwnd, message: m.message, wParam: m.wParam, lParam: m.lParam)
        case .destroyed?:
            throw HostError.invalidHandle
        case nil:
            throw HostError.timedOut
        }
    }
}
