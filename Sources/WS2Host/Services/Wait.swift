// The one blocking primitive of the host services: SleepEx,
// WSAWaitForMultipleEvents and WS2GetMessage all park here (RULINGS §6).
//
// A waiting thread parks on its own futex word (HostThread). Whatever it
// waits for (an event object, a message window) keeps a list of its parked
// waiters and unparks them after changing its state; queuing an APC unparks
// the thread when it is in an alertable wait. The waiter clears its word
// before each check of its condition, so a change that comes after the check
// always finds the word cleared and wakes the futex: no wake-up is lost, and
// nothing spins or sleeps in a loop.
import CWS2SPI
import WS2Base

enum Wait {
    /// How a wait ended.
    enum Outcome<Value> {
        /// The condition held, with its value.
        case ready(Value)
        /// The time-out passed.
        case timedOut
        /// The wait was alertable and queued APCs ran.
        case ranAPCs
    }

    /// The absolute CLOCK_MONOTONIC deadline in ns for a time-out in ms
    /// from now; -1 for WSA_INFINITE.
    @inline(__always) static func deadline(_ milliseconds: DWORD) -> Int64 {
        milliseconds == WSA_INFINITE ? -1 : ws2spi_monotonic_ns() + Int64(milliseconds) * 1_000_000
    }

    /// Blocks the calling thread until `ready` returns a value, `timeout`
    /// milliseconds pass (0: poll once; WSA_INFINITE: never), or, when
    /// `alertable`, APCs are queued to the thread: they all run (on this
    /// thread, FIFO, including APCs queued while they run) and the wait
    /// ends with `.ranAPCs`. The condition is checked first: a wait whose
    /// condition holds returns `.ready` and leaves queued APCs queued.
    ///
    /// Whatever `ready` depends on must unpark `thread` after it changes
    /// (the caller registers the thread there before blocking).
    static func block<Value>(_ thread: HostThread, timeout: DWORD, alertable: Bool,
                             until ready: () -> Value?) -> Outcome<Value> {
        let end = deadline(timeout)
        if alertable { thread.alertable.store(true, ordering: .sequentiallyConsistent) }
        defer { if alertable { thread.alertable.store(false, ordering: .sequentiallyConsistent) } }
        while true {
            thread.prepareToPark()
            if let value = ready() { return .ready(value) }
            if alertable && thread.hasAPCs {
                thread.alertable.store(false, ordering: .sequentiallyConsistent)
                APC.runQueued(on: thread)
                return .ranAPCs
            }
            if timeout == 0 || (end >= 0 && ws2spi_monotonic_ns() >= end) { return .timedOut }
            thread.park(until: end)
        }
    }

    /// SleepEx: 0 after the full time, WAIT_IO_COMPLETION when alertable
    /// and APCs ran (at once if some were queued on entry).
    static func sleep(milliseconds: DWORD, alertable: Bool) -> DWORD {
        if milliseconds == 0 && !alertable { return 0 }
        let outcome: Outcome<Void> = block(HostThreads.current, timeout: milliseconds, alertable: alertable) { nil }
        if case .ranAPCs = outcome { return WAIT_IO_COMPLETION }
        return 0
    }
}
