// Lifetimes the provider cannot see: closures of threads that exit, event
// requests dropped while pending, selections replaced from several threads,
// calls the provider refuses; and overlapped I/O reported by event objects.
import XCTest
import Glibc
import Synchronization
@testable import WS2SPI

final class ThreadExitTests: XCTestCase {
    func testACompletionWhoseThreadExitedIsFreedWhenTheOperationEnds() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        let baseline = FFICallback.liveCount
        let orphans = OrphanedOperations.waiting
        let ran = Atomic<Bool>(false)
        // The thread posts a receive and exits without an alertable wait.
        RawThread {
            try? s.recv(maxLength: 16) { _ in ran.store(true, ordering: .relaxed) }
        }.join()
        XCTAssertEqual(FFICallback.liveCount, baseline + 1, "pending: the provider may still fill the buffer")
        XCTAssertEqual(OrphanedOperations.waiting, orphans + 1)
        // Data completes it (its APC is dropped: the thread is gone); the
        // next post frees it.
        try c.send(Array("late".utf8)) { _ in }
        XCTAssertTrue(eventually {
            OrphanedOperations.sweep()
            return OrphanedOperations.waiting == orphans
        }, "freed once the operation ended")
        p.sleep(0, alertable: true)   // runs this thread's send completion
        XCTAssertEqual(FFICallback.liveCount, baseline)
        XCTAssertFalse(ran.load(ordering: .relaxed), "a completion runs only on its own thread")
    }

    func testAnOperationThatEndedBeforeItsThreadExitedIsFreedAtTheExit() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        let baseline = FFICallback.liveCount
        let orphans = OrphanedOperations.waiting
        let ended = Atomic<Bool>(false)
        RawThread {
            try? s.recv(maxLength: 16) { _ in }
            try? c.send([1, 2, 3], flags: []) { _ in }
            // Both end; the thread never waits alertably, so neither completion runs.
            ended.store(eventually { ThreadState.current.pendingAllFinished }, ordering: .relaxed)
            XCTAssertEqual(ThreadState.current.pendingCount, 2)
        }.join()
        XCTAssertTrue(ended.load(ordering: .relaxed))
        XCTAssertEqual(FFICallback.liveCount, baseline, "freed by the thread-exit hook")
        XCTAssertEqual(OrphanedOperations.waiting, orphans)
    }

    func testClosingTheSocketFreesTheOrphansOfAnExitedThread() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        defer { withExtendedLifetime(c) {} }
        let baseline = FFICallback.liveCount
        RawThread {
            for _ in 0..<10 { try? s.recv(maxLength: 16) { _ in } }
        }.join()
        XCTAssertEqual(FFICallback.liveCount, baseline + 10)
        try s.close()   // aborts them all; the close sweeps the orphans
        XCTAssertTrue(eventually {
            OrphanedOperations.sweep()
            return FFICallback.liveCount == baseline
        })
    }

    func testAHookLeftInstalledIsFreedWhenItsThreadExits() throws {
        let p = try loadProvider()
        let baseline = FFICallback.liveCount
        let inside = Atomic<Int>(-1)
        RawThread {
            do {
                try p.setBlockingHook { false }
                let kept = try p.setBlockingHook(BlockingHook { true })   // the first comes back
                inside.store(FFICallback.liveCount - baseline, ordering: .relaxed)
                _ = kept   // dropped with the thread
            } catch { XCTFail("\(error)") }
        }.join()
        XCTAssertEqual(inside.load(ordering: .relaxed), 2, "the installed hook and the returned one")
        XCTAssertEqual(FFICallback.liveCount, baseline, "the installed hook is freed at thread exit")
        // This thread's own hook state is untouched by the other thread's exit.
        try p.setBlockingHook { false }
        XCTAssertEqual(FFICallback.liveCount, baseline + 1)
        try p.unhookBlockingHook()
        XCTAssertEqual(FFICallback.liveCount, baseline)
    }
}

final class OverlappedRequestTests: XCTestCase {
    func testReceiveAndSendReportedThroughEventObjects() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        let received = try p.makeEvent(), sent = try p.makeEvent()
        let request = try s.recv(maxLength: 64, event: received)
        XCTAssertFalse(request.isCompleted)
        XCTAssertThrowsError(try request.result(wait: false)) { XCTAssertEqual($0 as? WSAError, .ioIncomplete) }
        XCTAssertEqual(try received.wait(timeout: 0), .timedOut)

        let send = try c.send(Array("by event".utf8), event: sent)
        XCTAssertEqual(try sent.wait(timeout: 3000), .signaled(0))
        XCTAssertEqual(try send.result(), 8)
        XCTAssertEqual(try received.wait(timeout: 3000), .signaled(0))
        XCTAssertTrue(request.isCompleted)
        XCTAssertEqual(try request.result(wait: false), Array("by event".utf8))
        XCTAssertEqual(try request.result(), Array("by event".utf8), "the result can be read again")
    }

    func testResultWaitsForThePendingOperation() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        let request = try s.recv(maxLength: 64, event: try p.makeEvent())
        let sender = RawThread {
            usleep(50_000)
            _ = try? c.send([7, 7])
        }
        XCTAssertEqual(try request.result(wait: true), [7, 7])
        sender.join()
    }

    func testClosingTheSocketAbortsAPendingRequest() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        defer { withExtendedLifetime(c) {} }
        let event = try p.makeEvent()
        let request = try s.recv(maxLength: 64, event: event)
        try s.close()
        XCTAssertTrue(s.isClosed)
        XCTAssertEqual(try event.wait(timeout: 3000), .signaled(0))
        XCTAssertThrowsError(try request.result()) { XCTAssertEqual($0 as? WSAError, .operationAborted) }
    }

    func testADroppedPendingRequestIsFreedWhenTheOperationEnds() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p, overlapped: true)
        defer { withExtendedLifetime(c) {} }
        let orphans = OrphanedOperations.waiting
        do {
            let event = try p.makeEvent()
            _ = try s.recv(maxLength: 64, event: event)   // dropped at once
        }
        XCTAssertEqual(OrphanedOperations.waiting, orphans + 1, "kept: the provider may still fill it")
        try s.close()
        XCTAssertTrue(eventually {
            OrphanedOperations.sweep()
            return OrphanedOperations.waiting == orphans
        }, "freed once the close ended it")
    }

    func testDatagramsByEvent() throws {
        let p = try loadProvider()
        let a = try p.socket(.datagram, overlapped: true)
        let b = try p.socket(.datagram, overlapped: true)
        try a.bind(.loopback())
        try b.bind(.loopback())
        let request = try b.recvFrom(maxLength: 32, event: try p.makeEvent())
        let sent = try a.send(Array("dgram".utf8), to: try b.localAddress(), event: try p.makeEvent())
        XCTAssertEqual(try sent.result(), 5)
        let (bytes, sender) = try request.result()
        XCTAssertEqual(bytes, Array("dgram".utf8))
        XCTAssertEqual(sender, try a.localAddress())
    }

    func testBadRequestsThrowAndLeaveNothingBehind() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        defer { withExtendedLifetime(c) {} }
        let event = try p.makeEvent()
        let orphans = OrphanedOperations.waiting
        XCTAssertThrowsError(try s.recv(maxLength: 8, event: event)) { XCTAssertEqual($0 as? WSAError, .invalidArgument) }
        let (oc, os) = try connectedPair(p, overlapped: true)
        defer { withExtendedLifetime(oc) {} }
        XCTAssertThrowsError(try os.recv(maxLength: -1, event: event)) { XCTAssertEqual($0 as? WSAError, .invalidArgument) }
        XCTAssertThrowsError(try os.recv(maxLength: Int.max) { _ in }) { XCTAssertEqual($0 as? WSAError, .invalidArgument) }
        XCTAssertThrowsError(try s.recv(maxLength: Int.max)) { XCTAssertEqual($0 as? WSAError, .invalidArgument) }
        XCTAssertThrowsError(try s.recvFrom(maxLength: -5)) { XCTAssertEqual($0 as? WSAError, .invalidArgument) }
        XCTAssertEqual(OrphanedOperations.waiting, orphans)
    }
}

final class RefusedCallTests: XCTestCase {
    func testACloseRefusedInsideAHookLeavesTheSocketOpen() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        defer { withExtendedLifetime(c) {} }
        let victim = try p.socket(.stream)
        let closeError = Mutex<WSAError?>(nil)
        let cleanupError = Mutex<WSAError?>(nil)
        try p.setBlockingHook { [p] in
            do throws(WSAError) { try victim.close() } catch { closeError.withLock { $0 = error } }
            do throws(WSAError) { try p.cleanup() } catch { cleanupError.withLock { $0 = error } }
            try? p.cancelBlockingCall()
            return false
        }
        defer { try? p.unhookBlockingHook() }
        XCTAssertThrowsError(try s.recv()) { XCTAssertEqual($0 as? WSAError, .interrupted) }
        XCTAssertEqual(closeError.withLock { $0 }, .inProgress)
        XCTAssertEqual(cleanupError.withLock { $0 }, .inProgress)
        XCTAssertFalse(victim.isClosed, "a refused close leaves the socket open")
        XCTAssertTrue(p.isStarted, "a refused clean-up leaves the provider started")
        try victim.bind(.loopback())   // still a socket
        try victim.close()
        XCTAssertTrue(victim.isClosed)
    }
}

final class SelectionRaceTests: XCTestCase {
    /// Two threads replace a callback selection over and over while events
    /// fire: every replaced closure is freed only after the provider stopped
    /// calling it (a use after free would crash here), and exactly one stays.
    func testConcurrentReplacementsKeepExactlyTheLiveClosure() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        try c.send(Array(repeating: 1, count: 100))   // FD_READ holds: callbacks keep coming
        let baseline = FFICallback.liveCount
        let calls = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let workers = (0..<2).map { _ in
            RawThread {
                for i in 0..<3000 {
                    do throws(WSAError) {
                        if i % 2 == 0 {
                            try s.callbackSelect(events: [.read]) { [unowned s] _, _ in
                                calls.add(1, ordering: .relaxed)
                                _ = try? s.recv(maxLength: 1, flags: .peek)   // re-enables FD_READ: more callbacks
                            }
                        } else {
                            // A callback that replaces its own selection, racing the other thread.
                            try s.callbackSelect(events: [.read]) { [unowned s] _, _ in
                                calls.add(1, ordering: .relaxed)
                                try? s.callbackSelect(events: [.read]) { _, _ in calls.add(1, ordering: .relaxed) }
                            }
                        }
                    } catch { failures.add(1, ordering: .relaxed) }
                }
            }
        }
        workers.forEach { $0.join() }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
        XCTAssertGreaterThan(calls.load(ordering: .relaxed), 0, "callbacks ran during the replacements")
        // A last self-replacing callback may still be on its way.
        XCTAssertTrue(eventually { FFICallback.liveCount == baseline + 1 }, "only the current selection's closure is alive")
        try s.cancelSelection()
        XCTAssertEqual(FFICallback.liveCount, baseline)
    }
}
