import XCTest
import Glibc
import ProviderKit
import CWS2SPI
@testable import TCPIPProvider

final class TranslationTests: XCTestCase {
    func testTablesBothWays() {
        for map in [Translation.family, Translation.socketType, Translation.ipProtocol, Translation.shutdownHow] {
            for (w, l) in map.pairs {
                XCTAssertEqual(map.linux(w), l)
                XCTAssertEqual(map.winsock(l), w)
            }
        }
        XCTAssertNil(Translation.family.linux(1), "AF_UNIX is not this provider's")
        XCTAssertEqual(Translation.shutdownHow.linux(SD_BOTH), Int32(SHUT_RDWR))
    }

    func testFlagWords() {
        XCTAssertEqual(Translation.flags(0, Translation.receiveFlags), 0)
        XCTAssertEqual(Translation.flags(WS_MSG_OOB | WS_MSG_PEEK, Translation.receiveFlags), Int32(MSG_OOB | MSG_PEEK))
        XCTAssertNil(Translation.flags(0x100, Translation.receiveFlags), "unknown bit")
        XCTAssertNil(Translation.flags(WS_MSG_DONTROUTE, Translation.receiveFlags), "not a receive flag")
        XCTAssertEqual(Translation.flags(WS_MSG_PARTIAL | WS_MSG_DONTROUTE, Translation.sendFlags), Int32(MSG_DONTROUTE))
    }

    /// Parses raw bytes without a throwing closure (typed throws through
    /// withUnsafeBytes crashes the 6.3 compiler).
    private func parse(_ raw: [UInt8], _ length: Int32, _ wrong: WSAError) -> Result<IPv4Endpoint, WSAError> {
        raw.withUnsafeBytes { b -> Result<IPv4Endpoint, WSAError> in
            do throws(WSAError) { return .success(try IPv4Endpoint.parse(b.baseAddress, length: length, wrongFamily: wrong)) } catch { return .failure(error) }
        }
    }

    func testEndpointRoundTrip() {
        var raw = [UInt8](repeating: 0xAA, count: 16)
        let e = IPv4Endpoint(port: UInt16(8080).bigEndian, address: UInt32(0x7F00_0001).bigEndian)
        raw.withUnsafeMutableBytes { e.store(to: $0.baseAddress!) }
        XCTAssertEqual(raw[0], 2); XCTAssertEqual(raw[1], 0)
        XCTAssertEqual(Array(raw[8...]), [UInt8](repeating: 0, count: 8))
        XCTAssertEqual(try parse(raw, 16, .fault).get(), e)
        XCTAssertEqual(IPv4Endpoint(linux: e.linux), e)
    }

    func testEndpointErrors() {
        var raw = [UInt8](repeating: 0, count: 16)
        raw[0] = 2
        XCTAssertEqual(parse(raw, 15, .fault), .failure(.fault))
        XCTAssertThrowsError(try IPv4Endpoint.parse(nil, length: 16, wrongFamily: .fault)) { XCTAssertEqual($0 as? WSAError, .fault) }
        raw[0] = 1
        XCTAssertEqual(parse(raw, 16, .addressFamilyNotSupported), .failure(.addressFamilyNotSupported))
    }
}
