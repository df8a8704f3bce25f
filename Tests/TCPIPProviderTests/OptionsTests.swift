import XCTest
@testable import ProviderKit
import CWS2SPI
@testable import TCPIPProvider

/// The TCP/IP provider's option table.
private let Options = TCPIPProvider.shared.options

/// The option table of draft §2.8.4 and how values are encoded.
final class OptionsTests: XCTestCase {
    func testEveryDraftOptionHasARow() {
        let draft: [Int32] = [WS_SO_ACCEPTCONN, WS_SO_BROADCAST, WS_SO_DEBUG, WS_SO_DONTLINGER, WS_SO_DONTROUTE,
                              WS_SO_FLOWSPEC, WS_SO_GROUP_FLOWSPEC, WS_SO_GROUP_ID, WS_SO_GROUP_PRIORITY,
                              WS_SO_KEEPALIVE, WS_SO_LINGER, WS_SO_MAX_DG_SIZE, WS_SO_OOBINLINE,
                              WS_SO_PROTOCOL_INFO, WS_SO_RCVBUF, WS_SO_REUSEADDR, WS_SO_SNDBUF, WS_SO_TYPE]
        for name in draft { XCTAssertTrue(Options.table.contains { $0.level == WS_SOL_SOCKET && $0.name == name }, "0x\(String(name, radix: 16))") }
        XCTAssertTrue(Options.table.contains { $0.level == WS_SOL_PROVIDER && $0.name == WS_TCP_NODELAY })
        XCTAssertTrue(Options.table.contains { $0.level == WS_SOL_PROVIDER && $0.name == PVD_CONFIG })
        // Rows are unique.
        XCTAssertEqual(Set(Options.table.map { "\($0.level)/\($0.name)" }).count, Options.table.count)
    }

    /// A family without urgent data has no SO_OOBINLINE; a family's options
    /// and levels join SOL_SOCKET's.
    func testFamilyTables() {
        let plain = ProviderKit.Options(family: TranslationTests.localFamily)
        XCTAssertFalse(plain.table.contains { $0.name == WS_SO_OOBINLINE })
        XCTAssertFalse(plain.table.contains { $0.level == WS_SOL_PROVIDER && $0.name == WS_TCP_NODELAY })
        XCTAssertTrue(Options.table.contains { $0.name == WS_SO_OOBINLINE })
        XCTAssertEqual(plain.levels, [WS_SOL_SOCKET, WS_SOL_PROVIDER])
        XCTAssertThrowsError(try plain.find(level: WS_IPPROTO_IP, name: WS_IP_OPTIONS, kind: .stream, forSet: false)) { XCTAssertEqual($0 as? WSAError, .invalidArgument) }
        XCTAssertEqual(String(cString: plain.providerConfig.map { CChar(bitPattern: $0) }), "test-local")
    }

    func testUnsupportedAndUnknown() {
        for name in [WS_SO_ERROR, WS_SO_RCVLOWAT, WS_SO_SNDLOWAT, WS_SO_RCVTIMEO, WS_SO_SNDTIMEO, PVD_CALL_ID, TAPI_DEVICE_ID] {
            XCTAssertThrowsError(try Options.find(level: WS_SOL_SOCKET, name: name, kind: .stream, forSet: false)) { XCTAssertEqual($0 as? WSAError, .noProtocolOption) }
        }
        XCTAssertThrowsError(try Options.find(level: WS_IPPROTO_IP, name: WS_IP_OPTIONS, kind: .stream, forSet: false)) { XCTAssertEqual($0 as? WSAError, .noProtocolOption) }
        XCTAssertThrowsError(try Options.find(level: 12345, name: WS_SO_DEBUG, kind: .stream, forSet: false)) { XCTAssertEqual($0 as? WSAError, .invalidArgument) }
        XCTAssertThrowsError(try Options.find(level: WS_SOL_PROVIDER, name: WS_TCP_NODELAY, kind: .datagram, forSet: false)) { XCTAssertEqual($0 as? WSAError, .noProtocolOption) }
    }

    func testProtocolInfo() {
        let tcp = TCPIPProvider.shared.protocolInfo(for: .stream)
        XCTAssertEqual(tcp.dwServiceFlags, 0x1066)
        XCTAssertEqual(tcp.iSocketType, WS_SOCK_STREAM)
        XCTAssertEqual(tcp.iProtocol, WS_IPPROTO_TCP)
        XCTAssertEqual(String(cString: tcp.lpProtocol), "TCP/IP")
        let udp = TCPIPProvider.shared.protocolInfo(for: .datagram)
        XCTAssertEqual(udp.dwServiceFlags, 0x1609)
        XCTAssertEqual(udp.dwMessageSize, 65507)
    }

    /// Through the provider: encodings of BOOL, linger (u_short fields) and QOS.
    func testEncodingsThroughProvider() throws {
        let p = TCPIPProvider.shared
        var data = WSADATA()
        XCTAssertEqual(p.startup(version: 2, data: &data), 0)
        defer { try? p.cleanup(callback: nil, callbackData: 0) }
        let s = try p.socket(family: WS_AF_INET, type: WS_SOCK_STREAM, protocol: 0, providerID: 0, flags: 0)
        defer { try? p.closeSocket(s) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        let chars = buffer.assumingMemoryBound(to: CChar.self)
        var len: Int32 = 4

        try p.getSockOpt(s, level: WS_SOL_SOCKET, name: WS_SO_DONTLINGER, value: chars, length: &len)
        XCTAssertEqual(buffer.load(as: Int32.self), 1, "SO_DONTLINGER defaults to TRUE")

        buffer.storeBytes(of: 1, as: UInt16.self)
        buffer.storeBytes(of: 7, toByteOffset: 2, as: UInt16.self)
        try p.setSockOpt(s, level: WS_SOL_SOCKET, name: WS_SO_LINGER, value: chars, length: 4)
        buffer.storeBytes(of: 0, as: UInt32.self)
        len = 4
        try p.getSockOpt(s, level: WS_SOL_SOCKET, name: WS_SO_LINGER, value: chars, length: &len)
        XCTAssertEqual(buffer.load(as: UInt16.self), 1)
        XCTAssertEqual(buffer.load(fromByteOffset: 2, as: UInt16.self), 7)
        XCTAssertEqual(len, 4)

        len = Int32(MemoryLayout<QOS>.size)
        try p.getSockOpt(s, level: WS_SOL_SOCKET, name: WS_SO_FLOWSPEC, value: chars, length: &len)
        let qos = buffer.load(as: QOS.self)
        XCTAssertEqual(qos.ForwardFP.LevelOfGuarantee, BestEffortService)
        XCTAssertEqual(qos.BackwardFP.AverageBandwidth, 0)

        len = 2
        XCTAssertThrowsError(try p.getSockOpt(s, level: WS_SOL_SOCKET, name: WS_SO_TYPE, value: chars, length: &len)) {
            XCTAssertEqual($0 as? WSAError, .fault)
        }
    }
}
