import XCTest
import CWS2SPI
@testable import ProviderKit
@testable import WS2Host
@testable import WS2Base

/// Calls made to the test callback: (socket, event, error, data).
nonisolated(unsafe) private var calls: [(SOCKET, Int32, Int32, DWORD)] = []

private let record: LPSELECTPROC = { s, event, error, data in
    calls.append((s, event, error, data))
}

/// The re-enabling table, through the callback model (no host services needed).
final class NetworkEventsTests: XCTestCase {
    override func setUp() { calls = [] }

    func testReportedOnceUntilRearmed() {
        let r = EventRegistration(handle: 77)
        r.select(.callback(record, 5), events: [.read, .close])
        var c = Conditions()
        c.holding = [.read]
        r.deliver(c)
        r.deliver(c)
        XCTAssertEqual(calls.count, 1, "FD_READ is reported once until its re-enabling call")
        XCTAssertEqual(calls[0].0, 77)
        XCTAssertEqual(calls[0].1, NetworkEvents.read.rawValue)
        XCTAssertEqual(calls[0].3, 5)
        r.rearm(.read)
        r.deliver(c)
        XCTAssertEqual(calls.count, 2, "level-triggered again after the re-enabling call")
    }

    func testOnlySelectedEventsAndErrors() {
        let r = EventRegistration(handle: 9)
        r.select(.callback(record, 0), events: [.connect, .close])
        var c = Conditions()
        c.holding = [.read, .write, .connect]
        c.connectError = WSAError.connectionRefused.code
        r.deliver(c)
        XCTAssertEqual(calls.count, 1)
        XCTAssertEqual(calls[0].1, NetworkEvents.connect.rawValue)
        XCTAssertEqual(calls[0].2, 10061)
        c.holding = [.close]
        c.closeError = WSAError.connectionReset.code
        r.deliver(c)
        r.rearm(.all.subtracting([.connect, .close]))
        r.deliver(c)
        XCTAssertEqual(calls.map(\.1), [NetworkEvents.connect.rawValue, NetworkEvents.close.rawValue],
                       "FD_CLOSE has no re-enabling function: once")
        XCTAssertEqual(calls[1].2, 10054)
    }

    func testCancelAndReselect() {
        let r = EventRegistration(handle: 1)
        r.select(.callback(record, 0), events: [.read])
        r.select(nil, events: [])
        var c = Conditions()
        c.holding = [.read]
        r.deliver(c)
        XCTAssertTrue(calls.isEmpty, "lNetworkEvents 0 cancels")
        XCTAssertFalse(r.hasSelection)
        r.select(.callback(record, 1), events: [.read])
        r.deliver(c)
        XCTAssertEqual(calls.count, 1, "a new selection reports what holds")
    }

    func testInheritance() {
        XCTAssertFalse(NotificationTarget.callback(record, 0).inheritable)
    }

    func testReactorDeliversKicks() {
        final class Client: ReactorClient, @unchecked Sendable {
            let done = expectationBox()
            func reactorEvent(_ events: UInt32) { done.fulfil() }
        }
        let client = Client()
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, &fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        guard let token = Reactor.shared.register(fd: fds[0], client: client) else { return XCTFail("register") }
        Reactor.shared.kick(token)
        XCTAssertTrue(client.done.wait(seconds: 2))
        Reactor.shared.deregister(fd: fds[0], token: token)
    }
}

/// A one-shot flag a test thread waits for (no Foundation).
final class expectationBox: @unchecked Sendable {
    private var fired = false
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func fulfil() { pthread_mutex_lock(&lock); fired = true; pthread_mutex_unlock(&lock) }
    func wait(seconds: Int) -> Bool {
        for _ in 0..<(seconds * 100) {
            pthread_mutex_lock(&lock); let f = fired; pthread_mutex_unlock(&lock)
            if f { return true }
            usleep(10_000)
        }
        return false
    }
}
