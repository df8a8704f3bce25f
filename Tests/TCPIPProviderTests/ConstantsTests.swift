import XCTest
import CWS2SPI
@testable import TCPIPProvider

/// The header keeps the Windows x64 layout the draft's header has (RULINGS §2).
/// (The provider takes its Winsock numbers from the header itself, through
/// CWS2SPI: there is no copy of them to compare.)
final class ConstantsTests: XCTestCase {
    /// Sizes from the Windows x64 layout (the ABI reference).
    func testLayout() {
        XCTAssertEqual(MemoryLayout<SOCKET>.size, 4)
        XCTAssertEqual(MemoryLayout<WS_u_long>.size, 4)
        XCTAssertEqual(MemoryLayout<DWORD>.size, 4)
        XCTAssertEqual(MemoryLayout<WS_fd_set>.size, 260)
        XCTAssertEqual(MemoryLayout<WSADATA>.size, 408)
        XCTAssertEqual(MemoryLayout<WS_sockaddr_in>.size, 16)
        XCTAssertEqual(MemoryLayout<WS_timeval>.size, 8)
        XCTAssertEqual(MemoryLayout<WS_linger>.size, 4)
        XCTAssertEqual(MemoryLayout<WSABUF>.size, 16)
        XCTAssertEqual(MemoryLayout<QOS>.size, 128)
        XCTAssertEqual(MemoryLayout<WSANETWORKEVENT>.size, 8)
        XCTAssertEqual(MemoryLayout<WSAOVERLAPPED>.size, 24)
        XCTAssertEqual(MemoryLayout<PROTOCOL_INFO>.size, 40)
        XCTAssertEqual(MemoryLayout<WSADATA>.offset(of: \.iMaxSockets), 390)
        XCTAssertEqual(MemoryLayout<WSADATA>.offset(of: \.lpVendorInfo), 400)
        XCTAssertEqual(MemoryLayout<PROTOCOL_INFO>.offset(of: \.lpProtocol), 32)
    }

    func testMacroHelpers() {
        XCTAssertEqual(ws2spi_makeword(2, 0), 2)
        XCTAssertEqual(ws2spi_makeword(1, 1), 0x0101)
        XCTAssertEqual(ws2spi_makeselectreply(0x20, 10054), 0x20 | (10054 << 16))
        var set = WS_fd_set()
        ws2spi_fd_zero(&set)
        ws2spi_fd_set(7, &set); ws2spi_fd_set(9, &set); ws2spi_fd_set(7, &set)
        XCTAssertEqual(set.fd_count, 2)
        ws2spi_fd_clr(7, &set)
        XCTAssertEqual(set.fd_count, 1)
        XCTAssertEqual(set.fd_array.0, 9)
    }
}
