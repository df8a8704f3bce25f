import XCTest
import Dispatch
import Synchronization
import CWS2SPI
@testable import ProviderKit
@testable import WS2Host
@testable import WS2Base

/// How an overlapped operation reports its end (ProviderKit/Host/Overlapped.swift):
/// the WSAOVERLAPPED fields, the event or the routine's APC, and
/// WSAGetOverlappedResult's states.
final class OverlappedTests: XCTestCase {
    /// A WSAOVERLAPPED at a fixed address: a completion keeps the pointer
    /// (an `&local` would be valid only for the one call).
    private func structure() -> UnsafeMutablePointer<WSAOVERLAPPED> {
        let o = UnsafeMutablePointer<WSAOVERLAPPED>.allocate(capacity: 1)
        o.initialize(to: WSAOVERLAPPED())
        addTeardownBlock { o.deallocate() }
        return o
    }

    private func result(_ o: UnsafeMutablePointer<WSAOVERLAPPED>, wait: Bool = false) -> (WSAError?, DWORD, DWORD) {
        var bytes: DWORD = 0xdead
        var flags: DWORD = 0xdead
        do {
            try OverlappedStatus.result(o, transferred: &bytes, wait: wait, flags: &flags)
            return (nil, bytes, flags)
        } catch {
            return (error, bytes, flags)
        }
    }

    func testPendingThenCompleteSetsTheFieldsAndTheEvent() throws {
        let event = try EventObjects.create()
        defer { _ = EventObjects.close(event) }
        let o = structure()
        o.pointee.hEvent = event
        let c = OverlappedCompletion(overlapped: o, routine: nil)
        XCTAssertEqual(o.pointee.Internal, DWORD(WSA_IO_PENDING))
        XCTAssertEqual(result(o).0, .ioIncomplete)
        XCTAssertFalse(EventObjects.isSignalled(event))
        c.complete(error: 0, bytes: 42, flags: 0x8000)
        XCTAssertEqual(o.pointee.Internal, 0)
        XCTAssertEqual(o.pointee.InternalHigh, 42)
        XCTAssertTrue(EventObjects.isSignalled(event))
        let (error, bytes, flags) = result(o)
        XCTAssertNil(error)
        XCTAssertEqual(bytes, 42)
        XCTAssertEqual(flags, 0x8000)
    }

    func testAFailedOperationReportsItsError() {
        let o = structure()
        OverlappedCompletion(overlapped: o, routine: nil).complete(error: WSAError.operationAborted.code, bytes: 0, flags: 0)
        XCTAssertEqual(result(o).0, .operationAborted)
        XCTAssertEqual(o.pointee.Internal, 995)
    }

    func testNullArgumentsAreFaults() {
        let o = structure()
        var n: DWORD = 0
        var f: DWORD = 0
        XCTAssertThrowsError(try OverlappedStatus.result(nil, transferred: &n, wait: false, flags: &f))
        XCTAssertThrowsError(try OverlappedStatus.result(o, transferred: nil, wait: false, flags: &f))
        XCTAssertThrowsError(try OverlappedStatus.result(o, transferred: &n, wait: false, flags: nil))
    }

    func testWaitReturnsWhenAnotherThreadCompletes() {
        let o = structure()
        let c = OverlappedCompletion(overlapped: o, routine: nil)
        let address = UInt(bitPattern: o)
        let done = expectation(description: "waited")
        DispatchQueue.global().async {
            var bytes: DWORD = 0
            var flags: DWORD = 0
            let p = UnsafeMutablePointer<WSAOVERLAPPED>(bitPattern: address)!
            let ok = (try? OverlappedStatus.result(p, transferred: &bytes, wait: true, flags: &flags)) != nil
            if ok && bytes == 7 { done.fulfill() }
        }
        usleep(50_000)
        c.complete(error: 0, bytes: 7, flags: 0)
        wait(for: [done], timeout: 5)
    }

    func testTheRoutineRunsOnlyInThePostingThreadsAlertableWait() {
        let o = structure()
        o.pointee.hEvent = UnsafeMutableRawPointer(bitPattern: 0x1234)   // caller context: not touched
        let routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE = { error, bytes, overlapped in
            overlapped!.pointee.Offset = 0xC0DE   // proof the routine ran with our structure
            overlapped!.pointee.OffsetHigh = error &+ bytes
        }
        let c = OverlappedCompletion(overlapped: o, routine: routine)
        c.complete(error: 0, bytes: 5, flags: 0)
        XCTAssertEqual(o.pointee.OffsetHigh, 0, "not run before an alertable wait")
        XCTAssertEqual(Wait.sleep(milliseconds: 0, alertable: false), 0)
        XCTAssertEqual(o.pointee.OffsetHigh, 0, "not run in a non-alertable wait")
        XCTAssertEqual(Wait.sleep(milliseconds: 1000, alertable: true), WAIT_IO_COMPLETION)
        XCTAssertEqual(o.pointee.Offset, 0xC0DE)
        XCTAssertEqual(o.pointee.OffsetHigh, 5)
        XCTAssertEqual(o.pointee.hEvent, UnsafeMutableRawPointer(bitPattern: 0x1234))
    }

    /// WSAGetOverlappedResult never reports a result between Internal
    /// becoming final and the event being set (the in-progress stripes),
    /// waiting or polling: a caller that then resets the event and reuses
    /// it must find it set first. Raced many times against a completing
    /// thread.
    func testWaitReturnsOnlyAfterTheEventIsSet() throws {
        let event = try EventObjects.create()
        defer { _ = EventObjects.close(event) }
        let o = structure()
        let address = UInt(bitPattern: o)
        let rounds = 20_000
        let go = Turn()   // round n may be completed once it is n
        let finished = expectation(description: "completer done")
        var early = 0
        for n in 1...rounds {
            _ = EventObjects.reset(event)
            o.pointee.hEvent = event
            OverlappedStatus.store(o, DWORD(WSA_IO_PENDING))
            if n == 1 {
                DispatchQueue.global().async {
                    let p = UnsafeMutablePointer<WSAOVERLAPPED>(bitPattern: address)!
                    for n in 1...rounds {
                        go.await(n)
                        OverlappedCompletion(overlapped: p, routine: nil).complete(error: 0, bytes: n, flags: 0)
                    }
                    finished.fulfill()
                }
            }
            go.give(n)
            // Odd rounds wait, even ones poll (fWait FALSE) as fast as they
            // can: a poll is the likeliest to land inside a completion. A
            // poll that goes on for long waits instead: on a busy machine
            // the completing thread may be queued behind the poller.
            var (error, bytes, _) = result(o, wait: n % 2 == 1)
            var polls = 0
            while error == .ioIncomplete { polls += 1; (error, bytes, _) = result(o, wait: polls > Turn.spins) }
            XCTAssertNil(error)
            XCTAssertEqual(bytes, DWORD(n))
            if !EventObjects.isSignalled(event) { early += 1 }
        }
        wait(for: [finished], timeout: 30)
        XCTAssertEqual(early, 0, "WSAGetOverlappedResult returned before the event was set")
    }

    /// The same for a routine: once the result is reported on the posting
    /// thread, the routine's APC is queued there (the next alertable wait
    /// runs it).
    func testWaitReturnsOnlyAfterTheRoutineIsQueued() {
        let o = structure()
        let address = UInt(bitPattern: o)
        let rounds = 50_000   // the APC is queued fast: a narrow window
        let go = Turn()
        let thread = HostThreads.current
        let routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE = { _, _, overlapped in overlapped!.pointee.OffsetHigh &+= 1 }
        var completions: [OverlappedCompletion] = []
        completions.reserveCapacity(rounds)
        for _ in 0..<rounds { completions.append(OverlappedCompletion(overlapped: o, routine: routine)) }
        let shared = completions
        let finished = expectation(description: "completer done")
        DispatchQueue.global().async {
            for n in 1...rounds {
                go.await(n)
                shared[n - 1].complete(error: 0, bytes: n, flags: 0)
            }
            finished.fulfill()
        }
        var early = 0
        for n in 1...rounds {
            OverlappedStatus.store(o, DWORD(WSA_IO_PENDING))
            let before = o.pointee.OffsetHigh
            go.give(n)
            var (error, _, _) = result(o, wait: n % 2 == 1)
            var polls = 0
            while error == .ioIncomplete { polls += 1; (error, _, _) = result(o, wait: polls > Turn.spins) }
            if !thread.hasAPCs { early += 1 }
            // The routine counts in OffsetHigh (complete() wrote Offset, the flags).
            XCTAssertEqual(Wait.sleep(milliseconds: 0, alertable: true), WAIT_IO_COMPLETION)
            XCTAssertEqual(o.pointee.OffsetHigh, before &+ 1)
        }
        wait(for: [finished], timeout: 30)
        XCTAssertEqual(early, 0, "WSAGetOverlappedResult returned before the routine's APC was queued")
    }

    func testRingFirstCanBeUpdatedInPlace() {
        var ring = Ring<Int>()
        XCTAssertNil(ring.first)
        ring.append(1)
        ring.append(2)
        ring.first = 10
        XCTAssertEqual(ring.popFirst(), 10)
        XCTAssertEqual(ring.first, 2)
    }
}

/// A turn counter shared by two threads. The waiter spins (the race needs
/// both threads running at once), then sleeps: on a busy machine the giver
/// may be queued behind the spinner, and every spinning hand-over would then
/// cost a scheduler tick (minutes for the races above), while a wake-up
/// gets the waiter back at once.
private final class Turn: @unchecked Sendable {
    /// Spins (or polls) before sleeping: far longer than a hand-over
    /// between two running threads takes.
    static let spins = 20_000
    private let value = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    /// A futex word give() bumps to wake a sleeping waiter.
    private let bell = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    init() { bell.initialize(to: 0) }
    deinit { bell.deallocate() }

    func give(_ n: Int) {
        value.store(n, ordering: .releasing)
        if sleeping.load(ordering: .sequentiallyConsistent) {
            _ = ws2spi_word_add(bell, 1)
            ws2spi_futex_wake(bell, 1)
        }
    }

    func await(_ n: Int) {
        var spins = 0
        while value.load(ordering: .acquiring) != n {
            spins += 1
            if spins > Turn.spins { sleep(until: n); return }
        }
    }

    private func sleep(until n: Int) {
        sleeping.store(true, ordering: .sequentiallyConsistent)
        while true {
            let rung = ws2spi_word_load(bell)
            if value.load(ordering: .sequentiallyConsistent) == n { break }
            // Bounded: give() may have read `sleeping` before it was set.
            _ = ws2spi_futex_wait(bell, rung, ws2spi_monotonic_ns() + 1_000_000)
        }
        sleeping.store(false, ordering: .sequentiallyConsistent)
    }
}
