// Two different provider libraries through the WS2SPI module in one program
// (RULINGS §13): the TCP/IP provider and the tests' memory-datagram provider
// (build/test-provider/libws2memtest.so.2, `make test-provider`), with one
// Event waited on for sockets of both, and one libws2_32.so.2 behind both.
import XCTest
import Glibc
import CWS2SPI
@testable import WS2SPI

final class TwoProvidersTests: XCTestCase {
    static let memFamily: Int32 = 0x7E57

    /// build/test-provider/libws2memtest.so.2 beside build/lib/ (no Foundation).
    var memPath: String {
        var root = libraryPath
        for _ in 0..<3 { root = String(root[..<root.lastIndex(of: "/")!]) }   // build/lib/libws2spi.so.2 -> root
        return root + "/build/test-provider/libws2memtest.so.2"
    }

    func loadMem() throws -> Provider { try loadBuilt(memPath, how: "make test-provider") }

    func testOneEventForSocketsOfBoth() throws {
        let tcp = try loadProvider()
        let mem = try loadMem()
        defer { try? mem.cleanup(); try? tcp.cleanup() }
        XCTAssertNotEqual(tcp.library.path, mem.library.path)

        let event = try tcp.makeEvent()          // the host's: valid with both
        let (client, server) = try connectedPair(tcp)
        try server.eventSelect(event, events: .read)
        let m = try mem.socket(.datagram, family: Self.memFamily)
        XCTAssertNotEqual(m.handle, server.handle)
        XCTAssertNotEqual(m.handle, client.handle)
        XCTAssertEqual(try event.wait(timeout: 50), .timedOut)

        // The memory provider sets it: FD_WRITE holds at once.
        try m.eventSelect(event, events: .write)
        XCTAssertEqual(try event.wait(timeout: 2000), .signaled(0))
        XCTAssertTrue(try m.enumNetworkEvents(resetting: event).events.contains(.write))
        XCTAssertEqual(try event.wait(timeout: 0), .timedOut)

        // The TCP provider sets the same event.
        XCTAssertEqual(try client.send(Array("hi".utf8)), 2)
        XCTAssertEqual(try event.wait(timeout: 2000), .signaled(0))
        XCTAssertTrue(try server.enumNetworkEvents(resetting: event).events.contains(.read))
    }

    func testSocketOfOneIsNoSocketToTheOther() throws {
        let tcp = try loadProvider()
        let mem = try loadMem()
        defer { try? mem.cleanup(); try? tcp.cleanup() }
        let t = try tcp.socket(.datagram)
        let m = try mem.socket(.datagram, family: Self.memFamily)
        var err: Int32 = 0
        XCTAssertEqual(mem.spi.lpWSPCloseSocket!(t.handle, &err), SOCKET_ERROR)
        XCTAssertEqual(err, WSAError.notSocket.code)
        XCTAssertEqual(tcp.spi.lpWSPCloseSocket!(m.handle, &err), SOCKET_ERROR)
        XCTAssertEqual(err, WSAError.notSocket.code)
    }
}
