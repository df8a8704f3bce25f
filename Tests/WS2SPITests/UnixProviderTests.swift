// The AF_UNIX provider (build/lib/libws2unix.so.2, built by `make`) through
// the WS2SPI module: SocketAddress's AF_UNIX names (path, abstract,
// unnamed) both ways, a stream, datagrams with their sender, an overlapped
// receive-from, and one Event for sockets of the TCP and AF_UNIX providers.
import XCTest
import Glibc
import CWS2SPI
@testable import WS2SPI

final class UnixProviderTests: XCTestCase {
    /// build/lib/libws2unix.so.2 beside the TCP/IP provider.
    var unixPath: String { String(libraryPath[...libraryPath.lastIndex(of: "/")!]) + "libws2unix.so.2" }

    func loadUnix() throws -> Provider { try loadBuilt(unixPath, how: "make") }

    func testAddressesBothWays() throws {
        let path = SocketAddress.unix(path: "/tmp/x.sock")!
        XCTAssertEqual(path.unixPath, "/tmp/x.sock")
        XCTAssertEqual(path.length, 2 + 11 + 1)
        XCTAssertEqual(path.description, "unix:/tmp/x.sock")
        let abstract = SocketAddress.unix(abstract: "name")!
        XCTAssertEqual(abstract.unixAbstractName, "name")
        XCTAssertEqual(abstract.length, 2 + 1 + 4)
        XCTAssertEqual(abstract.description, "unix:@name")
        XCTAssertEqual(SocketAddress.unixUnnamed.length, 2)
        // What does not fit sun_path, or is no path, is no address.
        XCTAssertNil(SocketAddress.unix(path: String(repeating: "a", count: 108)))
        XCTAssertNotNil(SocketAddress.unix(path: String(repeating: "a", count: 107)))
        XCTAssertNil(SocketAddress.unix(path: ""))
        XCTAssertNil(SocketAddress.unix(abstract: String(repeating: "a", count: 108)))
        XCTAssertFalse(SocketAddress.loopback(port: 1).isUnix)
        for a in [path, abstract, SocketAddress.unixUnnamed, SocketAddress.loopback(port: 80)] {
            let back = a.withWinsock { SocketAddress(winsock: UnsafeRawPointer($0), length: $1) }
            XCTAssertEqual(back, a)
        }
    }

    func testStreamAndNames() throws {
        let unix = try loadUnix()
        defer { try? unix.cleanup() }
        let name = SocketAddress.unix(abstract: "ws2spi-swift-\(getpid())")!
        let listener = try unix.socket(.stream, family: WS_AF_UNIX)
        try listener.bind(name)
        try listener.listen()
        XCTAssertEqual(try listener.localAddress(), name)
        let client = try unix.socket(.stream, family: WS_AF_UNIX)
        try client.connect(to: name)
        let (server, peer) = try listener.accept()
        XCTAssertEqual(peer, .unixUnnamed)
        XCTAssertEqual(try client.peerAddress(), name)
        XCTAssertEqual(try client.send(Array("over AF_UNIX".utf8)), 12)
        XCTAssertEqual(try server.recv(maxLength: 64), Array("over AF_UNIX".utf8))
    }

    func testDatagramsWithTheirSender() throws {
        let unix = try loadUnix()
        defer { try? unix.cleanup() }
        let a = SocketAddress.unix(abstract: "ws2spi-swift-a-\(getpid())")!
        let b = SocketAddress.unix(abstract: "ws2spi-swift-b-\(getpid())")!
        let x = try unix.socket(.datagram, family: WS_AF_UNIX, overlapped: true)
        let y = try unix.socket(.datagram, family: WS_AF_UNIX)
        try x.bind(a)
        try y.bind(b)
        try y.send(Array("one".utf8), to: a)
        let (bytes, sender) = try x.recvFrom()
        XCTAssertEqual(bytes, Array("one".utf8))
        XCTAssertEqual(sender, b)
        // Overlapped, through an event.
        let event = try unix.makeEvent()
        let request = try x.recvFrom(maxLength: 64, event: event)
        try y.send(Array("two".utf8), to: a)
        let got = try request.result()
        XCTAssertEqual(got.bytes, Array("two".utf8))
        XCTAssertEqual(got.sender, b)
    }

    func testOneEventForTCPAndUnix() throws {
        let tcp = try loadProvider()
        let unix = try loadUnix()
        defer { try? unix.cleanup(); try? tcp.cleanup() }
        let event = try tcp.makeEvent()
        let (tc, ts) = try connectedPair(tcp)
        let name = SocketAddress.unix(abstract: "ws2spi-swift-ev-\(getpid())")!
        let l = try unix.socket(.stream, family: WS_AF_UNIX)
        try l.bind(name)
        try l.listen()
        let uc = try unix.socket(.stream, family: WS_AF_UNIX)
        try uc.connect(to: name)
        let (us, _) = try l.accept()
        XCTAssertNotEqual(us.handle, ts.handle)
        try ts.eventSelect(event, events: .read)
        try us.eventSelect(event, events: .read)
        XCTAssertEqual(try event.wait(timeout: 50), .timedOut)
        XCTAssertEqual(try uc.send(Array("u".utf8)), 1)
        XCTAssertEqual(try event.wait(timeout: 2000), .signaled(0))
        XCTAssertTrue(try us.enumNetworkEvents(resetting: event).events.contains(.read))
        XCTAssertEqual(try tc.send(Array("t".utf8)), 1)
        XCTAssertEqual(try event.wait(timeout: 2000), .signaled(0))
        XCTAssertTrue(try ts.enumNetworkEvents(resetting: event).events.contains(.read))
    }
}
