import XCTest
import Glibc
@testable import ProviderKit
import CWS2SPI
@testable import TCPIPProvider

final class TranslationTests: XCTestCase {
    func testTablesBothWays() {
        for map in [Translation.shutdownHow, Translation.receiveFlags] {
            for (w, l) in map.pairs {
                XCTAssertEqual(map.linux(w), l)
                XCTAssertEqual(map.winsock(l), w)
            }
        }
        XCTAssertEqual(Translation.shutdownHow.linux(SD_BOTH), Int32(SHUT_RDWR))
        XCTAssertEqual(TCPIPProvider.family.winsockFamily, WS_AF_INET)
        XCTAssertEqual(TCPIPProvider.family.linuxFamily, AF_INET)
    }

    func testFlagWords() {
        XCTAssertEqual(Translation.flags(0, Translation.receiveFlags), 0)
        XCTAssertEqual(Translation.flags(WS_MSG_OOB | WS_MSG_PEEK, Translation.receiveFlags), Int32(MSG_OOB | MSG_PEEK))
        XCTAssertNil(Translation.flags(0x100, Translation.receiveFlags), "unknown bit")
        XCTAssertNil(Translation.flags(WS_MSG_DONTROUTE, Translation.receiveFlags), "not a receive flag")
        XCTAssertEqual(Translation.flags(WS_MSG_PARTIAL | WS_MSG_DONTROUTE, Translation.sendFlags), Int32(MSG_DONTROUTE))
    }

    /// A family with variable-length addresses (2...110 bytes, as AF_UNIX),
    /// under a family number Linux and Winsock share.
    static let localFamily = KernelFamily(
        description: "test", configName: "test-local", winsockFamily: WS_AF_UNIX, linuxFamily: AF_UNIX,
        stream: nil, datagram: nil, minimumAddressLength: 2, maximumAddressLength: 110, fixedAddressLength: false)

    /// Parses raw bytes without a throwing closure (typed throws through
    /// withUnsafeBytes crashes the 6.3 compiler).
    private func parse(_ family: KernelFamily, _ raw: [UInt8], _ length: Int32, _ wrong: WSAError) -> Result<SocketAddress, WSAError> {
        raw.withUnsafeBytes { b -> Result<SocketAddress, WSAError> in
            do throws(WSAError) { return .success(try family.parse(b.baseAddress, length: length, wrongFamily: wrong)) } catch { return .failure(error) }
        }
    }

    private func bytes(_ a: SocketAddress) -> [UInt8] {
        withUnsafeBytes(of: a.storage) { Array($0.prefix(Int(a.length))) }
    }

    func testIPv4RoundTrip() throws {
        let family = TCPIPProvider.family
        var raw = [UInt8](repeating: 0, count: 16)
        raw[0] = UInt8(WS_AF_INET); raw[2] = 0x1F; raw[3] = 0x90; raw[4] = 127; raw[7] = 1
        let a = try parse(family, raw, 16, .fault).get()
        XCTAssertEqual(a.length, 16)
        XCTAssertEqual(bytes(a), raw, "sockaddr_in is the same bytes on both sides")
        XCTAssertEqual(TCPIPProvider.portAndAddress(a).port, UInt16(8080).bigEndian)
        var out = [UInt8](repeating: 0xAA, count: 20)
        let n = out.withUnsafeMutableBytes { family.store(a, to: $0.baseAddress!, capacity: 20) }
        XCTAssertEqual(n, 16)
        XCTAssertEqual(Array(out[..<16]), raw)
        XCTAssertEqual(Array(out[16...]), [0xAA, 0xAA, 0xAA, 0xAA], "nothing written past the address")
        // A longer length is read only as far as sockaddr_in goes.
        XCTAssertEqual(try parse(family, raw + [1, 2, 3, 4], 20, .fault).get().length, 16)
        XCTAssertEqual(family.destinationError(a), nil)
        XCTAssertEqual(family.destinationError(family.unspecifiedAddress), .addressNotAvailable)
    }

    func testIPv4Errors() {
        let family = TCPIPProvider.family
        var raw = [UInt8](repeating: 0, count: 16)
        raw[0] = 2
        XCTAssertEqual(parse(family, raw, 15, .fault), .failure(.fault))
        XCTAssertThrowsError(try family.parse(nil, length: 16, wrongFamily: .fault)) { XCTAssertEqual($0 as? WSAError, .fault) }
        raw[0] = 1
        XCTAssertEqual(parse(family, raw, 16, .addressFamilyNotSupported), .failure(.addressFamilyNotSupported))
    }

    func testVariableLengthAddresses() throws {
        let family = Self.localFamily
        // A path: the length given is kept (the kernel reads to the NUL).
        let path: [UInt8] = [1, 0] + Array("/tmp/x".utf8) + [0]
        let a = try parse(family, path, Int32(path.count), .fault).get()
        XCTAssertEqual(bytes(a), path)
        // Abstract: a leading NUL, the name is the rest of the length.
        let abstract: [UInt8] = [1, 0, 0] + Array("name".utf8)
        let b = try parse(family, abstract, Int32(abstract.count), .fault).get()
        XCTAssertEqual(b.length, 7)
        XCTAssertEqual(family.winsockLength(b), 7)
        // The family field alone (an unnamed socket) is an address.
        XCTAssertEqual(try parse(family, [1, 0], 2, .fault).get().length, 2)
        XCTAssertEqual(parse(family, [1], 1, .fault), .failure(.fault))
        XCTAssertEqual(parse(family, [2, 0, 0, 0], 4, .addressFamilyNotSupported), .failure(.addressFamilyNotSupported))
        // Past sizeof(SOCKADDR_UN) nothing is read.
        XCTAssertEqual(try parse(family, [1, 0] + [UInt8](repeating: 65, count: 200), 202, .fault).get().length, 110)
        // Stored back at its own length; a short buffer is WSAEFAULT.
        var out = [UInt8](repeating: 0, count: 110)
        var length: Int32 = 110
        try out.withUnsafeMutableBytes { try family.store(b, to: $0.baseAddress!, length: &length) }
        XCTAssertEqual(length, 7)
        XCTAssertEqual(Array(out[..<7]), abstract)
        length = 6
        XCTAssertThrowsError(try out.withUnsafeMutableBytes { try family.store(b, to: $0.baseAddress!, length: &length) }) {
            XCTAssertEqual($0 as? WSAError, .fault)
        }
        XCTAssertEqual(length, 6, "not written on failure")
    }
}
