// Swift closures as the SPI's C callbacks: accept conditions, blocking hooks,
// overlapped completion routines; each libffi closure freed when done.
import XCTest
import Glibc
import Synchronization
@testable import WS2SPI

final class ConditionTests: XCTestCase {
    func testConditionClosureSeesTheCallerAndAccepts() throws {
        let p = try loadProvider()
        let (l, address) = try listener(p)
        let c = try p.socket(.stream)
        try c.connect(to: address)
        let baseline = FFICallback.liveCount
        var requests: [ConnectionRequest] = []
        var inside = -1
        let (s, peer) = try l.accept { request in
            requests.append(request)
            inside = FFICallback.liveCount
            return .accept
        }
        XCTAssertEqual(inside, baseline + 1, "one libffi closure while accept runs")
        XCTAssertEqual(FFICallback.liveCount, baseline, "freed when accept returned")
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests.first?.caller, try c.localAddress())
        XCTAssertEqual(requests.first?.callee, address)
        XCTAssertEqual(requests.first?.callerData, [], "TCP carries no connect data")
        XCTAssertEqual(peer, try c.localAddress())
        try c.send(Array("accepted".utf8))
        XCTAssertEqual(try recvAll(s, 8), Array("accepted".utf8))
    }

    func testRejectResetsTheCallerAndDeferKeepsTheConnection() throws {
        let p = try loadProvider()
        let (l, address) = try listener(p)
        let baseline = FFICallback.liveCount

        let rejected = try p.socket(.stream)
        try rejected.connect(to: address)
        XCTAssertThrowsError(try l.accept { _ in .reject }) { XCTAssertEqual($0 as? WSAError, .connectionRefused) }
        XCTAssertThrowsError(try rejected.recv()) { XCTAssertEqual($0 as? WSAError, .connectionReset) }

        let deferred = try p.socket(.stream)
        try deferred.connect(to: address)
        var asked = 0
        XCTAssertThrowsError(try l.accept { _ in asked += 1; return .deferred }) {
            XCTAssertEqual($0 as? WSAError, .tryAgain)
        }
        // The deferred connection is offered again, to the next accept.
        let (s, peer) = try l.accept { request in
            asked += 1
            return request.caller == (try? deferred.localAddress()) ? .accept : .reject
        }
        XCTAssertEqual(asked, 2)
        XCTAssertEqual(peer, try deferred.localAddress())
        try deferred.send([9])
        XCTAssertEqual(try s.recv(), [9])
        XCTAssertEqual(FFICallback.liveCount, baseline, "every condition closure was freed")
    }
}

final class BlockingHookTests: XCTestCase {
    func testSetReplaceUnhookRoundTripAndLifetime() throws {
        let p = try loadProvider()
        let baseline = FFICallback.liveCount
        XCTAssertNil(try p.setBlockingHook { false }, "no hook before")
        XCTAssertEqual(FFICallback.liveCount, baseline + 1)

        let second = try BlockingHook { true }
        let first = try XCTUnwrap(try p.setBlockingHook(second), "the previous hook comes back")
        XCTAssertTrue(first.isClosure)
        XCTAssertEqual(FFICallback.liveCount, baseline + 2, "the caller holds the first one")
        // Reinstalling the previous hook gives back the second, the same object.
        let back = try p.setBlockingHook(first)
        XCTAssertTrue(back === second)
        try p.unhookBlockingHook()
        withExtendedLifetime((first, second, back)) {}
        XCTAssertEqual(FFICallback.liveCount, baseline + 2)
        XCTAssertEqual(p.isBlocking, false)
        XCTAssertThrowsError(try p.cancelBlockingCall()) { XCTAssertEqual($0 as? WSAError, .invalidArgument) }
    }

    func testHooksAreFreedWhenUnhookedAndDropped() throws {
        let p = try loadProvider()
        let baseline = FFICallback.liveCount
        try p.setBlockingHook { false }
        try p.setBlockingHook { false }      // replaces: the first is dropped and freed
        XCTAssertEqual(FFICallback.liveCount, baseline + 1)
        try p.unhookBlockingHook()
        XCTAssertEqual(FFICallback.liveCount, baseline)
    }

    func testTheHookRunsDuringABlockingCallAndCanCancelIt() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        defer { withExtendedLifetime(c) {} }   // the peer stays open
        let calls = Atomic<Int>(0)
        let sawBlocking = Atomic<Bool>(false)
        let innerError = Mutex<WSAError?>(nil)
        try p.setBlockingHook { [p] in
            if p.isBlocking { sawBlocking.store(true, ordering: .relaxed) }
            // Any other call from inside the hook fails with WSAEINPROGRESS (RULINGS §5).
            if calls.load(ordering: .relaxed) == 0 {
                do throws(WSAError) { _ = try s.availableBytes() } catch { innerError.withLock { $0 = error } }
            }
            if calls.add(1, ordering: .relaxed).newValue == 5 { try? p.cancelBlockingCall() }
            return false
        }
        defer { try? p.unhookBlockingHook() }
        let start = monotonicNanoseconds()
        XCTAssertThrowsError(try s.recv()) { XCTAssertEqual($0 as? WSAError, .interrupted) }
        XCTAssertGreaterThanOrEqual(calls.load(ordering: .relaxed), 5)
        XCTAssertTrue(sawBlocking.load(ordering: .relaxed), "WSPIsBlocking32 is TRUE inside the hook")
        XCTAssertEqual(innerError.withLock { $0 }, .inProgress)
        XCTAssertLessThan(monotonicNanoseconds() - start, 2_000_000_000, "the hook ran every few ms")
    }
}

final class OverlappedTests: XCTestCase {
    func testOverlappedRecvCompletionRunsInAnAlertableSleepOnThisThread() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        let baseline = FFICallback.liveCount
        let me = pthread_self()
        var result: Result<[UInt8], WSAError>?
        var thread: pthread_t?
        try s.recv(maxLength: 64) { r in
            result = r
            thread = pthread_self()
        }
        XCTAssertEqual(FFICallback.liveCount, baseline + 1, "the completion closure is alive while pending")
        XCTAssertNil(result, "nothing runs before an alertable wait")
        try c.send(Array("overlapped hello".utf8)) { _ in }

        var waits = 0
        while result == nil, waits < 50 {
            _ = p.sleep(100, alertable: true)
            waits += 1
        }
        XCTAssertEqual(try XCTUnwrap(result).get(), Array("overlapped hello".utf8))
        XCTAssertTrue(pthread_equal(try XCTUnwrap(thread), me) != 0, "ran on the posting thread")
        // The send's completion ran in the same waits (or runs in a later one).
        for _ in 0..<50 where FFICallback.liveCount != baseline { _ = p.sleep(100, alertable: true) }
        XCTAssertEqual(FFICallback.liveCount, baseline, "both completion closures freed after they ran")
    }

    func testCompletionRoutineRunsInAnAlertableEventWait() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        let e = try p.makeEvent()
        var got: [UInt8]?
        try s.recv(maxLength: 16) { got = try? $0.get() }
        try c.send([1, 2, 3]) { _ in }
        var result = WaitResult.timedOut
        for _ in 0..<50 where got == nil {
            result = try e.wait(timeout: 100, alertable: true)
        }
        XCTAssertEqual(result, .ioCompletion)
        XCTAssertEqual(got, [1, 2, 3])
    }

    func testClosingAbortsAPendingReceive() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        defer { withExtendedLifetime(c) {} }   // the peer stays open
        let baseline = FFICallback.liveCount
        var result: Result<[UInt8], WSAError>?
        try s.recv(maxLength: 16) { result = $0 }
        try s.close()
        for _ in 0..<50 where result == nil { _ = p.sleep(100, alertable: true) }
        XCTAssertThrowsError(try XCTUnwrap(result).get()) { XCTAssertEqual($0 as? WSAError, .operationAborted) }
        XCTAssertEqual(FFICallback.liveCount, baseline)
    }

    func testOverlappedCallsNeedAnOverlappedSocket() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        defer { withExtendedLifetime(c) {} }   // the peer stays open
        let baseline = FFICallback.liveCount
        XCTAssertThrowsError(try s.recv(maxLength: 8) { _ in XCTFail("never runs") }) {
            XCTAssertEqual($0 as? WSAError, .invalidArgument)
        }
        XCTAssertEqual(FFICallback.liveCount, baseline)
    }

    func testManyOperationsLeaveNoLiveClosure() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        let baseline = FFICallback.liveCount
        var received: [UInt8] = []
        var sent = 0
        for i in 0..<100 {
            try s.recv(maxLength: 1) { if case .success(let b) = $0 { received += b } }
            try c.send([UInt8(i)]) { if case .success(let n) = $0 { sent += n } }
        }
        for _ in 0..<100 where received.count < 100 || sent < 100 { _ = p.sleep(50, alertable: true) }
        XCTAssertEqual(sent, 100)
        XCTAssertEqual(received, (0..<100).map { UInt8($0) }, "buffers filled in the order posted")
        XCTAssertEqual(FFICallback.liveCount, baseline)
    }

    func testOverlappedUDPSendToAndRecvFrom() throws {
        let p = try loadProvider()
        let a = try p.socket(.datagram, overlapped: true)
        let b = try p.socket(.datagram, overlapped: true)
        try a.bind(.loopback())
        try b.bind(.loopback())
        var received: (bytes: [UInt8], sender: SocketAddress?)?
        var sent: Int?
        try b.recvFrom(maxLength: 32) { received = try? $0.get() }
        try a.send(Array("dgram".utf8), to: try b.localAddress()) { sent = try? $0.get() }
        for _ in 0..<50 where received == nil || sent == nil { _ = p.sleep(100, alertable: true) }
        XCTAssertEqual(sent, 5)
        XCTAssertEqual(received?.bytes, Array("dgram".utf8))
        XCTAssertEqual(received?.sender, try a.localAddress())
    }
}
