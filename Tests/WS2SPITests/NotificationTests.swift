// The notification models through the Swift API: event select with event
// objects, async select with a message window, callback select with a
// closure (and its libffi closure's lifetime).
import XCTest
import Glibc
import Synchronization
@testable import WS2SPI

final class NotificationTests: XCTestCase {
    func testEventSelectAcceptReadClose() throws {
        let p = try loadProvider()
        let (l, address) = try listener(p)
        let acceptEvent = try p.makeEvent()
        try l.eventSelect(acceptEvent, events: [.accept])
        XCTAssertEqual(try acceptEvent.wait(timeout: 0), .timedOut)

        let c = try p.socket(.stream)
        try c.connect(to: address)
        XCTAssertEqual(try acceptEvent.wait(timeout: 3000), .signaled(0))
        let record = try l.enumNetworkEvents(resetting: acceptEvent)
        XCTAssertEqual(record.events, [.accept])
        XCTAssertNil(record.error(for: .accept))
        XCTAssertEqual(try acceptEvent.wait(timeout: 0), .timedOut, "enumNetworkEvents reset the event")
        let (s, peer) = try l.accept()
        XCTAssertEqual(peer, try c.localAddress())

        let dataEvent = try p.makeEvent()
        try s.eventSelect(dataEvent, events: [.read, .close])
        try c.send(Array("data".utf8))
        XCTAssertEqual(try Event.wait(for: [acceptEvent, dataEvent], timeout: 3000), .signaled(1))
        XCTAssertEqual(try s.enumNetworkEvents(resetting: dataEvent).events, [.read])
        XCTAssertEqual(try s.recv(), Array("data".utf8))
        try c.close()
        // FD_CLOSE comes (perhaps after a spurious FD_READ, which Winsock allows).
        var closing: NetworkEventRecord?
        for _ in 0..<5 where closing == nil {
            XCTAssertEqual(try dataEvent.wait(timeout: 3000), .signaled(0))
            let next = try s.enumNetworkEvents(resetting: dataEvent)
            if next.events.contains(.close) { closing = next }
        }
        let closeRecord = try XCTUnwrap(closing, "FD_CLOSE after the peer closed")
        XCTAssertNil(closeRecord.error(for: .close), "a graceful close has no error")
        XCTAssertEqual(try s.recv(), [], "all data was read before FD_CLOSE")
    }

    func testEventObjectsSetResetWaitAll() throws {
        let p = try loadProvider()
        let a = try p.makeEvent(), b = try p.makeEvent()
        try a.set()
        XCTAssertEqual(try Event.wait(for: [a, b], all: true, timeout: 0), .timedOut)
        XCTAssertEqual(try Event.wait(for: [b, a], timeout: 0), .signaled(1))
        try b.set()
        XCTAssertEqual(try Event.wait(for: [a, b], all: true, timeout: 0), .signaled(0))
        try a.reset()
        XCTAssertEqual(try a.wait(timeout: 10), .timedOut)
        XCTAssertThrowsError(try Event.wait(for: [])) { XCTAssertEqual($0 as? WSAError, .invalidParameter) }
    }

    func testAsyncSelectPostsMessagesToTheWindow() throws {
        let p = try loadProvider()
        let window = try p.makeMessageWindow()
        let (l, address) = try listener(p)
        let wmSocket: UInt32 = 0x8001
        try l.asyncSelect(window, message: wmSocket, events: [.accept])
        XCTAssertNil(try window.nextMessage(timeout: 0))
        let c = try p.socket(.stream)
        try c.connect(to: address)
        let m = try XCTUnwrap(try window.nextMessage(timeout: 3000))
        XCTAssertEqual(m.message, wmSocket)
        XCTAssertEqual(m.socket, l.handle)
        XCTAssertEqual(m.event, .accept)
        XCTAssertNil(m.error)
        // The accepted socket inherits the selection (RULINGS §7).
        let (s, _) = try l.accept()
        try s.asyncSelect(window, message: wmSocket + 1, events: [.read])
        try c.send([1, 2, 3])
        var read: MessageWindow.Message?
        for _ in 0..<5 {
            guard let next = try window.nextMessage(timeout: 3000) else { break }
            if next.socket == s.handle { read = next; break }
        }
        XCTAssertEqual(read?.event, .read)
        XCTAssertEqual(read?.message, wmSocket + 1)
    }

    func testCallbackSelectRunsTheClosureAndFreesItOnReplaceCancelAndClose() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        let baseline = FFICallback.liveCount

        let seen = Mutex<[(NetworkEvents, WSAError?)]>([])
        try s.callbackSelect(events: [.read, .close]) { event, error in
            seen.withLock { $0.append((event, error)) }
        }
        XCTAssertEqual(FFICallback.liveCount, baseline + 1)
        try c.send(Array("x".utf8))
        XCTAssertTrue(eventually { seen.withLock { $0.contains { $0.0 == .read } } }, "FD_READ callback")
        XCTAssertEqual(try s.recv(), Array("x".utf8))

        // Replacing the selection frees the first closure.
        let second = Atomic<Int>(0)
        try s.callbackSelect(events: [.read]) { _, _ in second.add(1, ordering: .relaxed) }
        XCTAssertEqual(FFICallback.liveCount, baseline + 1)
        try c.send(Array("y".utf8))
        XCTAssertTrue(eventually { second.load(ordering: .relaxed) > 0 }, "the new closure runs")

        // An event selection replaces it too.
        let e = try p.makeEvent()
        try s.eventSelect(e, events: [.read])
        XCTAssertEqual(FFICallback.liveCount, baseline)

        try s.callbackSelect(events: [.read]) { _, _ in }
        XCTAssertEqual(FFICallback.liveCount, baseline + 1)
        try s.cancelSelection()
        XCTAssertEqual(FFICallback.liveCount, baseline)

        try s.callbackSelect(events: [.read]) { _, _ in }
        XCTAssertEqual(FFICallback.liveCount, baseline + 1)
        try s.close()
        XCTAssertEqual(FFICallback.liveCount, baseline)
    }

    func testCallbackSelectReportsConnectWithItsError() throws {
        let p = try loadProvider()
        let (l, address) = try listener(p)
        try l.close()   // nobody listens there any more
        let c = try p.socket(.stream)
        let result = Mutex<(NetworkEvents, WSAError?)?>(nil)
        try c.callbackSelect(events: [.connect]) { event, error in result.withLock { $0 = (event, error) } }
        // A socket with a selection is non-blocking: connect returns WSAEWOULDBLOCK.
        XCTAssertThrowsError(try c.connect(to: address)) { XCTAssertEqual($0 as? WSAError, .wouldBlock) }
        XCTAssertTrue(eventually { result.withLock { $0 != nil } })
        let (event, error) = try XCTUnwrap(result.withLock { $0 })
        XCTAssertEqual(event, .connect)
        XCTAssertEqual(error, .connectionRefused)
    }

    func testACallbackMayReplaceItsOwnSelection() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        let baseline = FFICallback.liveCount
        let replaced = Atomic<Bool>(false)
        try s.callbackSelect(events: [.read]) { [unowned s] _, _ in
            // Inside its own call: the old closure is freed once it returns.
            try? s.callbackSelect(events: [.read]) { _, _ in }
            replaced.store(true, ordering: .sequentiallyConsistent)
        }
        try c.send([1])
        XCTAssertTrue(eventually { replaced.load(ordering: .sequentiallyConsistent) })
        XCTAssertTrue(eventually { FFICallback.liveCount == baseline + 1 })
        try s.close()
        XCTAssertEqual(FFICallback.liveCount, baseline)
    }
}
