// How trace lines spell arguments (Trace/TraceFormat.swift).
import XCTest
import CWS2SPI
@testable import ProviderKit

final class TraceFormatTests: XCTestCase {
    func testFlagsByName() {
        XCTAssertEqual(TraceFormat.messageFlags(0), "0")
        XCTAssertEqual(TraceFormat.messageFlags(0x2), "MSG_PEEK")
        XCTAssertEqual(TraceFormat.messageFlags(0x3), "MSG_OOB|MSG_PEEK")
        XCTAssertEqual(TraceFormat.messageFlags(0x8002), "MSG_PEEK|MSG_PARTIAL")
        XCTAssertEqual(TraceFormat.messageFlags(0x10002), "MSG_PEEK|0x10000")
        XCTAssertEqual(TraceFormat.events(0x21), "FD_READ|FD_CLOSE")
        XCTAssertEqual(TraceFormat.events(0xFF), "FD_READ|FD_WRITE|FD_OOB|FD_ACCEPT|FD_CONNECT|FD_CLOSE|FD_QOS|FD_GROUP_QOS")
    }

    func testCommandsOptionsAndErrors() {
        XCTAssertEqual(TraceFormat.ioctl(Int32(bitPattern: 0x8004_667E)), "FIONBIO")
        XCTAssertEqual(TraceFormat.ioctl(0x4004_667F), "FIONREAD")
        XCTAssertEqual(TraceFormat.ioctl(0x1234), "0x1234")
        XCTAssertEqual(TraceFormat.level(0xFFFF), "SOL_SOCKET")
        XCTAssertEqual(TraceFormat.option(level: 0xFFFF, 0x0001), "SO_DEBUG")
        XCTAssertEqual(TraceFormat.option(level: 0xFFFF, -129), "SO_DONTLINGER")
        XCTAssertEqual(TraceFormat.option(level: 6, 1), "TCP_NODELAY")
        XCTAssertEqual(TraceFormat.option(level: 0xFFFF, 0x7777), "0x7777")
        XCTAssertEqual(TraceFormat.error(10035), "WSAEWOULDBLOCK")
        XCTAssertEqual(TraceFormat.error(997), "WSA_IO_PENDING")
        XCTAssertEqual(TraceFormat.error(12345), "error 12345")
        XCTAssertEqual(TraceFormat.version(0x0002), "2.0")
        XCTAssertEqual(TraceFormat.version(0x0101), "1.1")
    }

    func testAddresses() {
        // AF_INET 10.1.2.3:8080 in the Winsock layout.
        var a: [UInt8] = [2, 0, 0x1F, 0x90, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0]
        a.withUnsafeBytes { b in
            XCTAssertEqual(TraceFormat.address(b.baseAddress, length: 16), "10.1.2.3:8080")
            XCTAssertEqual(TraceFormat.address(b.baseAddress, length: 4), "{len=4}")
        }
        a[0] = 1
        a.withUnsafeBytes { b in XCTAssertEqual(TraceFormat.address(b.baseAddress, length: 16), "{af=AF_UNIX, len=16}") }
        XCTAssertEqual(TraceFormat.address(nil, length: 16), "NULL")
        XCTAssertEqual(TraceFormat.address(UnsafeRawPointer(bitPattern: 0x10), length: 16), "0x10")
    }

    func testFDSetAndTimeout() {
        var set = WS_fd_set()
        ws2spi_fd_set(0x10001, &set)
        ws2spi_fd_set(0x2000A, &set)
        withUnsafePointer(to: &set) { XCTAssertEqual(TraceFormat.fdSet($0), "{0x10001,0x2000a}") }
        XCTAssertEqual(TraceFormat.fdSet(nil), "NULL")
        var t = WS_timeval(tv_sec: 1, tv_usec: 500)
        withUnsafePointer(to: &t) { XCTAssertEqual(TraceFormat.timeout($0), "1.000500") }
    }

    func testSocketDebugTable() {
        XCTAssertFalse(Trace.socketDebug(0x7001_0042))
        let before = Trace.debugSocketCount
        Trace.setSocketDebug(0x7001_0042, true)
        XCTAssertTrue(Trace.socketDebug(0x7001_0042))
        XCTAssertFalse(Trace.socketDebug(0x7002_0042))     // another generation of the slot
        XCTAssertTrue(Trace.isOn)
        XCTAssertTrue(Trace.wants(0x7001_0042))
        XCTAssertFalse(Trace.wants(0x7001_0043))
        Trace.socketClosed(0x7002_0042)                     // not the traced handle: kept
        XCTAssertTrue(Trace.socketDebug(0x7001_0042))
        Trace.socketClosed(0x7001_0042)
        XCTAssertFalse(Trace.socketDebug(0x7001_0042))
        XCTAssertEqual(Trace.debugSocketCount, before)
    }
}
