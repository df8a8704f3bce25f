import XCTest
import Dispatch
import Synchronization
import CWS2SPI
@testable import ProviderKit
@testable import WS2Host
@testable import WS2Base

/// The host services' Swift API (RULINGS §6): MessageWindows, EventObjects,
/// APC, LastError, and the ring behind the queues.
final class HostTests: XCTestCase {
    // MARK: ring

    func testRingIsFIFOAcrossGrowthAndWrapAround() {
        var ring = Ring<Int>()
        var expected: [Int] = []
        var next = 0
        // Interleave appends and pops so the head wraps while the ring grows.
        for round in 0..<200 {
            for _ in 0..<(round % 7 + 1) { ring.append(next); expected.append(next); next += 1 }
            for _ in 0..<(round % 5) {
                guard !expected.isEmpty else { break }
                XCTAssertEqual(ring.popFirst(), expected.removeFirst())
            }
            XCTAssertEqual(ring.count, expected.count)
        }
        while let value = ring.popFirst() { XCTAssertEqual(value, expected.removeFirst()) }
        XCTAssertTrue(expected.isEmpty)
        XCTAssertNil(ring.popFirst())
        ring.append(1)
        ring.removeAll()
        XCTAssertTrue(ring.isEmpty)
        XCTAssertNil(ring.popFirst())
    }

    // MARK: message windows

    private func message(_ hwnd: HWND, timeout: DWORD = 0) -> WS2MSG? {
        var m = WS2MSG()
        do {
            try MessageWindows.getMessage(&m, hwnd, timeout: timeout)
            return m
        } catch {
            return nil
        }
    }

    func testPostedMessagesArriveInOrder() throws {
        let w = try MessageWindows.create()
        defer { MessageWindows.destroy(w) }
        for i in 0..<5000 {
            XCTAssertTrue(MessageWindows.post(w, message: 0x400 + UInt32(i % 3), wParam: UInt(i), lParam: -i))
        }
        for i in 0..<5000 {
            guard let m = message(w) else { return XCTFail("message \(i) missing") }
            XCTAssertEqual(m.hwnd, w)
            XCTAssertEqual(m.message, 0x400 + UInt32(i % 3))
            XCTAssertEqual(m.wParam, UInt(i))
            XCTAssertEqual(m.lParam, -i)
        }
        XCTAssertNil(message(w), "the queue is empty")
    }

    func testWindowsAreIndependent() throws {
        let a = try MessageWindows.create(), b = try MessageWindows.create()
        defer { MessageWindows.destroy(a); MessageWindows.destroy(b) }
        XCTAssertTrue(MessageWindows.post(a, message: 1, wParam: 10, lParam: 0))
        XCTAssertTrue(MessageWindows.post(b, message: 2, wParam: 20, lParam: 0))
        XCTAssertEqual(message(b)?.wParam, 20)
        XCTAssertEqual(message(a)?.wParam, 10)
        XCTAssertNil(message(a))
        XCTAssertNil(message(b))
    }

    func testPostToDestroyedOrInvalidWindowIsDropped() throws {
        let w = try MessageWindows.create()
        XCTAssertTrue(MessageWindows.isValid(w))
        XCTAssertTrue(MessageWindows.post(w, message: 1, wParam: 1, lParam: 1))
        XCTAssertTrue(MessageWindows.destroy(w))
        XCTAssertFalse(MessageWindows.isValid(w))
        XCTAssertFalse(MessageWindows.post(w, message: 1, wParam: 2, lParam: 2))
        XCTAssertFalse(MessageWindows.destroy(w))
        XCTAssertFalse(MessageWindows.post(nil, message: 1, wParam: 0, lParam: 0))
        XCTAssertFalse(MessageWindows.post(OpaquePointer(bitPattern: 0x1234), message: 1, wParam: 0, lParam: 0))
        var m = WS2MSG()
        XCTAssertThrowsError(try MessageWindows.getMessage(&m, w, timeout: 0)) {
            XCTAssertEqual(($0 as? WSAError)?.code, WSA_INVALID_HANDLE)
        }
        // A new window never gets the old handle.
        let w2 = try MessageWindows.create()
        XCTAssertNotEqual(w2, w)
        XCTAssertNil(message(w2), "nothing of the destroyed window's queue leaks into a new one")
        MessageWindows.destroy(w2)
    }

    func testEventHandleIsNotAWindow() throws {
        let e = try EventObjects.create()
        defer { _ = EventObjects.close(e) }
        XCTAssertFalse(MessageWindows.isValid(OpaquePointer(e)))
        XCTAssertFalse(MessageWindows.post(OpaquePointer(e), message: 1, wParam: 0, lParam: 0))
        let w = try MessageWindows.create()
        defer { MessageWindows.destroy(w) }
        XCTAssertFalse(EventObjects.isValid(UnsafeMutableRawPointer(w)))
    }

    func testPostWakesABlockedGetMessage() throws {
        let w = try MessageWindows.create()
        defer { MessageWindows.destroy(w) }
        let box = WindowBox(w)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) {
            for i in 0..<100 { _ = MessageWindows.post(box.hwnd, message: 7, wParam: UInt(i), lParam: 0) }
        }
        let start = ws2spi_monotonic_ns()
        for i in 0..<100 {
            guard let m = message(w, timeout: 5000) else { return XCTFail("message \(i) did not come") }
            XCTAssertEqual(m.wParam, UInt(i))
        }
        XCTAssertLessThan(ws2spi_monotonic_ns() - start, 3_000_000_000)
    }

    func testConcurrentPostersKeepEachPostersOrder() throws {
        let w = try MessageWindows.create()
        defer { MessageWindows.destroy(w) }
        let box = WindowBox(w)
        let posters = 4, each = 2000
        DispatchQueue.global().async {
            DispatchQueue.concurrentPerform(iterations: posters) { p in
                for i in 0..<each {
                    _ = MessageWindows.post(box.hwnd, message: UInt32(p), wParam: UInt(i), lParam: 0)
                }
            }
        }
        var last = [Int](repeating: -1, count: posters)
        for _ in 0..<(posters * each) {
            guard let m = message(w, timeout: 5000) else { return XCTFail("a message did not come") }
            let p = Int(m.message)
            XCTAssertEqual(Int(m.wParam), last[p] + 1, "poster \(p) out of order")
            last[p] = Int(m.wParam)
        }
        XCTAssertNil(message(w))
    }

    func testDestroyWakesWaiter() throws {
        let w = try MessageWindows.create()
        let box = WindowBox(w)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) {
            MessageWindows.destroy(box.hwnd)
        }
        var m = WS2MSG()
        XCTAssertThrowsError(try MessageWindows.getMessage(&m, w, timeout: WSA_INFINITE)) {
            XCTAssertEqual(($0 as? WSAError)?.code, WSA_INVALID_HANDLE)
        }
    }

    // MARK: event objects

    func testEventObjectsSetResetValid() throws {
        let e = try EventObjects.create()
        XCTAssertTrue(EventObjects.isValid(e))
        XCTAssertFalse(EventObjects.isSignalled(e))
        XCTAssertTrue(EventObjects.set(e))
        XCTAssertTrue(EventObjects.isSignalled(e))
        XCTAssertTrue(EventObjects.set(e))
        XCTAssertTrue(EventObjects.isSignalled(e))
        XCTAssertTrue(EventObjects.reset(e))
        XCTAssertFalse(EventObjects.isSignalled(e))
        XCTAssertTrue(EventObjects.close(e))
        XCTAssertFalse(EventObjects.isValid(e))
        XCTAssertFalse(EventObjects.set(e))
        XCTAssertFalse(EventObjects.reset(e))
        XCTAssertFalse(EventObjects.close(e))
        XCTAssertFalse(EventObjects.isValid(nil))
        XCTAssertFalse(EventObjects.set(UnsafeMutableRawPointer(bitPattern: 0x1234)))
        XCTAssertFalse(EventObjects.set(UnsafeMutableRawPointer(bitPattern: UInt.max)))
    }

    func testEventSetFromAnotherThreadReleasesWait() throws {
        let e = try EventObjects.create()
        defer { _ = EventObjects.close(e) }
        let other = try EventObjects.create()
        defer { _ = EventObjects.close(other) }
        let box = EventBox(e)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) { EventObjects.set(box.event) }
        let handles: [WSAEVENT?] = [other, e]
        let r = try handles.withUnsafeBufferPointer { buffer throws(WSAError) in
            try EventObjects.wait(count: 2, events: buffer.baseAddress, all: false, timeout: 5000, alertable: false)
        }
        XCTAssertEqual(r, WSA_WAIT_EVENT_0 + 1)
    }

    func testWaitErrors() throws {
        let e = try EventObjects.create()
        var handles: [WSAEVENT?] = [e, UnsafeMutableRawPointer(bitPattern: 0x99)]
        func code(_ count: DWORD, _ h: UnsafePointer<WSAEVENT?>?) -> Int32? {
            do {
                _ = try EventObjects.wait(count: count, events: h, all: false, timeout: 0, alertable: false)
                return nil
            } catch { return error.code }
        }
        handles.withUnsafeBufferPointer { b in
            XCTAssertEqual(code(2, b.baseAddress), WSA_INVALID_HANDLE)
            XCTAssertEqual(code(0, b.baseAddress), WSA_INVALID_PARAMETER)
            XCTAssertEqual(code(65, b.baseAddress), WSA_INVALID_PARAMETER)
            XCTAssertNil(code(1, b.baseAddress))
        }
        XCTAssertEqual(code(1, nil), WSAError.fault.code)
        _ = EventObjects.close(e)
        handles.withUnsafeBufferPointer { b in XCTAssertEqual(code(1, b.baseAddress), WSA_INVALID_HANDLE) }
        handles[0] = nil
    }

    // MARK: APCs

    func testAPCQueuedToSelfRunsInAlertableSleep() {
        let ran = Mutex<[Int]>([])
        let me = APC.currentThreadID()
        XCTAssertEqual(APC.currentThreadID(), me)
        for i in 0..<10 {
            XCTAssertTrue(APC.queue(thread: me) { ran.withLock { $0.append(i) } })
        }
        XCTAssertEqual(ran.withLock { $0 }, [], "queuing runs nothing")
        XCTAssertEqual(Wait.sleep(milliseconds: 0, alertable: false), 0)
        XCTAssertEqual(ran.withLock { $0 }, [], "a non-alertable wait runs nothing")
        XCTAssertEqual(Wait.sleep(milliseconds: 5000, alertable: true), WAIT_IO_COMPLETION)
        XCTAssertEqual(ran.withLock { $0 }, Array(0..<10))
        XCTAssertEqual(Wait.sleep(milliseconds: 0, alertable: true), 0)
    }

    func testAPCFromAnotherThreadWakesAlertableSleep() {
        let me = APC.currentThreadID()
        let ranOn = Mutex<DWORD>(0)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) {
            _ = APC.queue(thread: me) { ranOn.withLock { $0 = APC.currentThreadID() } }
        }
        XCTAssertEqual(Wait.sleep(milliseconds: WSA_INFINITE, alertable: true), WAIT_IO_COMPLETION)
        XCTAssertEqual(ranOn.withLock { $0 }, me)
    }

    func testAPCToNoThreadIsRefused() {
        XCTAssertFalse(APC.queue(thread: 0) {})
        XCTAssertFalse(APC.queue(thread: 0xFFFF_FFFF) {})
        XCTAssertFalse(APC.queue(thread: 0x7FFF_FFFF) {})
        XCTAssertThrowsError(try APC.queue(thread: APC.currentThreadID(), function: nil, context: 0)) {
            XCTAssertEqual($0 as? WSAError, .fault)
        }
    }

    // MARK: last error

    func testLastErrorIsPerThread() {
        LastError.set(1234)
        let other = Mutex<Int32>(-1)
        let done = DispatchSemaphore(value: 0)
        runOnNewThread {
            LastError.set(99)
            other.withLock { $0 = LastError.get() }
            done.signal()
        }
        done.wait()
        XCTAssertEqual(other.withLock { $0 }, 99)
        XCTAssertEqual(LastError.get(), 1234)
    }
}

/// Runs `body` on a new pthread (not a dispatch worker, whose thread-locals
/// could be shared with other tests).
private func runOnNewThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let raw = Unmanaged.passRetained(Box(body)).toOpaque()
    var th = pthread_t()
    let rc = pthread_create(&th, nil, { p in
        let box = Unmanaged<Box>.fromOpaque(p!).takeRetainedValue()
        box.body()
        return nil
    }, raw)
    if rc == 0 { pthread_detach(th) } else { Unmanaged<Box>.fromOpaque(raw).release() }
}

/// Carries an HWND / WSAEVENT into a @Sendable closure.
private struct WindowBox: @unchecked Sendable {
    let hwnd: HWND
    init(_ hwnd: HWND) { self.hwnd = hwnd }
}

private struct EventBox: @unchecked Sendable {
    let event: WSAEVENT
    init(_ event: WSAEVENT) { self.event = event }
}
