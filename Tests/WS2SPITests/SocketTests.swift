// Berkeley-style calls through the loaded library: TCP, UDP, options,
// ioctls, select, shutdown, close from another thread.
import XCTest
import Glibc
import Synchronization
@testable import WS2SPI

final class SocketTests: XCTestCase {
    func testTCPEchoOverLoopback() throws {
        let p = try loadProvider()
        let (l, address) = try listener(p)
        XCTAssertEqual(address.host, 0x7F00_0001)
        XCTAssertNotEqual(address.port, 0)
        XCTAssertTrue(try l.option(.acceptsConnections))

        // The echo server runs on its own thread with blocking calls.
        let server = Thread { () -> Int in
            guard let (s, _) = try? l.accept() else { return -1 }
            var echoed = 0
            while let chunk = try? s.recv(maxLength: 4096), !chunk.isEmpty {
                guard (try? s.send(chunk)) == chunk.count else { return -2 }
                echoed += chunk.count
            }
            try? s.shutdown(.send)
            return echoed
        }

        let c = try p.socket(.stream)
        try c.connect(to: address)
        XCTAssertEqual(try c.peerAddress(), address)
        XCTAssertEqual(try c.localAddress().host, 0x7F00_0001)
        let message = Array("hello through the SPI".utf8)
        XCTAssertEqual(try c.send(message), message.count)
        XCTAssertEqual(try recvAll(c, message.count), message)
        // A bigger block, in pieces.
        let block = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        XCTAssertEqual(try c.send(block), block.count)
        XCTAssertEqual(try recvAll(c, block.count), block)
        try c.shutdown(.send)
        XCTAssertEqual(try c.recv(), [], "the server's FIN reads as empty")
        XCTAssertEqual(server.join(), message.count + block.count)
    }

    func testConnectToAClosedPortIsRefused() throws {
        let p = try loadProvider()
        let (l, address) = try listener(p)
        try l.close()
        let c = try p.socket(.stream)
        XCTAssertThrowsError(try c.connect(to: address)) { XCTAssertEqual($0 as? WSAError, .connectionRefused) }
    }

    func testUDPSendToAndRecvFrom() throws {
        let p = try loadProvider()
        let a = try p.socket(.datagram)
        let b = try p.socket(.datagram, protocol: 17)
        try a.bind(.loopback())
        try b.bind(.loopback())
        let aAddress = try a.localAddress(), bAddress = try b.localAddress()
        XCTAssertEqual(try a.option(.socketType), 2)
        XCTAssertEqual(try a.send(Array("ping".utf8), to: bAddress), 4)
        let (bytes, from) = try b.recvFrom()
        XCTAssertEqual(bytes, Array("ping".utf8))
        XCTAssertEqual(from, aAddress)
        XCTAssertEqual(try b.send(Array("pong!".utf8), to: aAddress), 5)
        let reply = try a.recvFrom()
        XCTAssertEqual(reply.bytes, Array("pong!".utf8))
        XCTAssertEqual(reply.sender, bAddress)
        // A datagram longer than the buffer: truncated, WSAEMSGSIZE.
        try a.send(Array(repeating: 7, count: 100), to: bAddress)
        XCTAssertThrowsError(try b.recvFrom(maxLength: 10)) { XCTAssertEqual($0 as? WSAError, .messageSize) }
        // Connected datagram socket: send/recv with the default peer.
        try a.connect(to: bAddress)
        try a.send(Array("via connect".utf8))
        XCTAssertEqual(try b.recvFrom().bytes, Array("via connect".utf8))
    }

    func testTypedOptions() throws {
        let p = try loadProvider()
        let s = try p.socket(.stream)
        XCTAssertFalse(try s.option(.reuseAddress))
        try s.setOption(.reuseAddress, true)
        XCTAssertTrue(try s.option(.reuseAddress))
        try s.setOption(.noDelay, true)
        XCTAssertTrue(try s.option(.noDelay))
        try s.setOption(.noDelay, false)
        XCTAssertFalse(try s.option(.noDelay))
        try s.setOption(.receiveBuffer, 64 * 1024)
        XCTAssertGreaterThanOrEqual(try s.option(.receiveBuffer), 64 * 1024)
        try s.setOption(.linger, Linger(enabled: true, seconds: 7))
        XCTAssertEqual(try s.option(.linger), Linger(enabled: true, seconds: 7))
        try s.setOption(.linger, Linger(enabled: false, seconds: 0))
        XCTAssertFalse(try s.option(.linger).enabled)
        XCTAssertEqual(try s.option(.socketType), 1)
        // An option the provider refuses: SO_RCVTIMEO is "BSD option not supported".
        XCTAssertThrowsError(try s.option(SocketOption<Int32>.integer(level: 0xFFFF, name: 0x1006))) {
            XCTAssertEqual($0 as? WSAError, .noProtocolOption)
        }
    }

    func testNonBlockingAndAvailableBytes() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        try s.setNonBlocking(true)
        XCTAssertThrowsError(try s.recv()) { XCTAssertEqual($0 as? WSAError, .wouldBlock) }
        XCTAssertEqual(try s.availableBytes(), 0)
        try c.send(Array(repeating: 1, count: 10))
        XCTAssertTrue(eventually { (try? s.availableBytes()) == 10 })
        XCTAssertTrue(try s.isAtOutOfBandMark())
        XCTAssertEqual(try s.recv(maxLength: 4, flags: .peek).count, 4)
        XCTAssertEqual(try s.recv().count, 10)
        try s.setNonBlocking(false)
    }

    func testSelect() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        var ready = try p.select(read: [s], write: [c], timeout: 0)
        XCTAssertEqual(ready.read, [])
        XCTAssertEqual(ready.write, [c])
        try c.send([42])
        ready = try p.select(read: [s, c], timeout: 2000)
        XCTAssertEqual(ready.read, [s])
        XCTAssertThrowsError(try p.select(read: Array(repeating: s, count: 65), timeout: 0)) {
            XCTAssertEqual($0 as? WSAError, .invalidArgument)
        }
    }

    func testClosingFromAnotherThreadInterruptsABlockingRecv() throws {
        let p = try loadProvider()
        let (c, s) = try connectedPair(p)
        defer { withExtendedLifetime(c) {} }   // the peer stays open
        let started = Atomic<Bool>(false)
        let reader = Thread { () -> WSAError? in
            started.store(true, ordering: .releasing)
            do { _ = try s.recv(); return nil } catch { return error as? WSAError }
        }
        XCTAssertTrue(eventually { started.load(ordering: .acquiring) })
        usleep(100_000)   // into the blocking recv
        try s.close()
        XCTAssertEqual(reader.join(), WSAError.interrupted)
    }

    func testSocketAddressParsingAndDescription() {
        XCTAssertEqual(SocketAddress("192.168.1.20", port: 80), SocketAddress(host: 0xC0A8_0114, port: 80))
        XCTAssertEqual(SocketAddress("127.0.0.1", port: 7)?.description, "127.0.0.1:7")
        XCTAssertNil(SocketAddress("256.0.0.1", port: 1))
        XCTAssertNil(SocketAddress("1.2.3", port: 1))
        XCTAssertNil(SocketAddress("1.2.3.x", port: 1))
        XCTAssertNil(SocketAddress("1..2.3", port: 1))
        XCTAssertEqual(SocketAddress.any().description, "0.0.0.0:0")
    }
}

/// A thread that runs a closure and hands back its value (pthreads, no Foundation).
final class Thread<T>: @unchecked Sendable {
    private final class Box: @unchecked Sendable { var value: T? }
    private let box = Box()
    private let raw: RawThread

    init(_ body: @escaping () -> T) {
        let box = self.box
        raw = RawThread { box.value = body() }
    }

    func join() -> T {
        raw.join()
        return box.value!
    }
}

final class RawThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
        let me = Unmanaged.passRetained(self).toOpaque()
        precondition(pthread_create(&thread, nil, { arg in
            let me = Unmanaged<RawThread>.fromOpaque(arg!).takeRetainedValue()
            me.body()
            return nil
        }, me) == 0)
    }

    func join() { pthread_join(thread, nil) }
}
