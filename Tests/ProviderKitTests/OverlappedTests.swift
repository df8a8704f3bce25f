import XCTest
import Dispatch
import CWS2SPI
@testable import ProviderKit

/// How an overlapped operation reports its end (ProviderKit/Host/Overlapped.swift):
/// the WSAOVERLAPPED fields, the event or the routine's APC, and
/// WSAGetOverlappedResult's states.
final class OverlappedTests: XCTestCase {
    private func result(_ o: inout WSAOVERLAPPED, wait: Bool = false) -> (WSAError?, DWORD, DWORD) {
        var bytes: DWORD = 0xdead
        var flags: DWORD = 0xdead
        do {
            try OverlappedStatus.result(&o, transferred: &bytes, wait: wait, flags: &flags)
            return (nil, bytes, flags)
        } catch {
            return (error, bytes, flags)
        }
    }

    func testPendingThenCompleteSetsTheFieldsAndTheEvent() throws {
        let event = try EventObjects.create()
        defer { _ = EventObjects.close(event) }
        var o = WSAOVERLAPPED()
        o.hEvent = event
        let c = OverlappedCompletion(overlapped: &o, routine: nil)
        XCTAssertEqual(o.Internal, DWORD(WSA_IO_PENDING))
        XCTAssertEqual(result(&o).0, .ioIncomplete)
        XCTAssertFalse(EventObjects.isSignalled(event))
        c.complete(error: 0, bytes: 42, flags: 0x8000)
        XCTAssertEqual(o.Internal, 0)
        XCTAssertEqual(o.InternalHigh, 42)
        XCTAssertTrue(EventObjects.isSignalled(event))
        let (error, bytes, flags) = result(&o)
        XCTAssertNil(error)
        XCTAssertEqual(bytes, 42)
        XCTAssertEqual(flags, 0x8000)
    }

    func testAFailedOperationReportsItsError() {
        var o = WSAOVERLAPPED()
        OverlappedCompletion(overlapped: &o, routine: nil).complete(error: WSAError.operationAborted.code, bytes: 0, flags: 0)
        XCTAssertEqual(result(&o).0, .operationAborted)
        XCTAssertEqual(o.Internal, 995)
    }

    func testNullArgumentsAreFaults() {
        var o = WSAOVERLAPPED()
        var n: DWORD = 0
        var f: DWORD = 0
        XCTAssertThrowsError(try OverlappedStatus.result(nil, transferred: &n, wait: false, flags: &f))
        XCTAssertThrowsError(try OverlappedStatus.result(&o, transferred: nil, wait: false, flags: &f))
        XCTAssertThrowsError(try OverlappedStatus.result(&o, transferred: &n, wait: false, flags: nil))
    }

    func testWaitReturnsWhenAnotherThreadCompletes() {
        let o = UnsafeMutablePointer<WSAOVERLAPPED>.allocate(capacity: 1)
        defer { o.deallocate() }
        o.initialize(to: WSAOVERLAPPED())
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
        var o = WSAOVERLAPPED()
        o.hEvent = UnsafeMutableRawPointer(bitPattern: 0x1234)   // caller context: not touched
        let routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE = { error, bytes, overlapped in
            overlapped!.pointee.Offset = 0xC0DE   // proof the routine ran with our structure
            overlapped!.pointee.OffsetHigh = error &+ bytes
        }
        let c = OverlappedCompletion(overlapped: &o, routine: routine)
        c.complete(error: 0, bytes: 5, flags: 0)
        XCTAssertEqual(o.OffsetHigh, 0, "not run before an alertable wait")
        XCTAssertEqual(Wait.sleep(milliseconds: 0, alertable: false), 0)
        XCTAssertEqual(o.OffsetHigh, 0, "not run in a non-alertable wait")
        XCTAssertEqual(Wait.sleep(milliseconds: 1000, alertable: true), WAIT_IO_COMPLETION)
        XCTAssertEqual(o.Offset, 0xC0DE)
        XCTAssertEqual(o.OffsetHigh, 5)
        XCTAssertEqual(o.hEvent, UnsafeMutableRawPointer(bitPattern: 0x1234))
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
