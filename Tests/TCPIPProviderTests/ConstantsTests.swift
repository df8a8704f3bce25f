import XCTest
import CWS2SPI
@testable import TCPIPProvider

/// The provider's Winsock numbers (Winsock.swift) equal ws2spi.h's, and the
/// header keeps the Windows x64 layout the draft's header has (RULINGS §2).
final class ConstantsTests: XCTestCase {
    func testNumbersMatchHeader() {
        let pairs: [(Int64, Int64, String)] = [
            (Int64(WS.AF_INET), Int64(WS_AF_INET), "AF_INET"), (Int64(WS.AF_UNSPEC), Int64(WS_AF_UNSPEC), "AF_UNSPEC"),
            (Int64(WS.SOCK_STREAM), Int64(WS_SOCK_STREAM), "SOCK_STREAM"), (Int64(WS.SOCK_DGRAM), Int64(WS_SOCK_DGRAM), "SOCK_DGRAM"),
            (Int64(WS.IPPROTO_TCP), Int64(WS_IPPROTO_TCP), "IPPROTO_TCP"), (Int64(WS.IPPROTO_UDP), Int64(WS_IPPROTO_UDP), "IPPROTO_UDP"),
            (Int64(WS.SOL_SOCKET), Int64(WS_SOL_SOCKET), "SOL_SOCKET"),
            (Int64(WS.SO_DEBUG), Int64(WS_SO_DEBUG), "SO_DEBUG"), (Int64(WS.SO_ACCEPTCONN), Int64(WS_SO_ACCEPTCONN), "SO_ACCEPTCONN"),
            (Int64(WS.SO_REUSEADDR), Int64(WS_SO_REUSEADDR), "SO_REUSEADDR"), (Int64(WS.SO_KEEPALIVE), Int64(WS_SO_KEEPALIVE), "SO_KEEPALIVE"),
            (Int64(WS.SO_DONTROUTE), Int64(WS_SO_DONTROUTE), "SO_DONTROUTE"), (Int64(WS.SO_BROADCAST), Int64(WS_SO_BROADCAST), "SO_BROADCAST"),
            (Int64(WS.SO_LINGER), Int64(WS_SO_LINGER), "SO_LINGER"), (Int64(WS.SO_OOBINLINE), Int64(WS_SO_OOBINLINE), "SO_OOBINLINE"),
            (Int64(WS.SO_DONTLINGER), Int64(WS_SO_DONTLINGER), "SO_DONTLINGER"),
            (Int64(WS.SO_SNDBUF), Int64(WS_SO_SNDBUF), "SO_SNDBUF"), (Int64(WS.SO_RCVBUF), Int64(WS_SO_RCVBUF), "SO_RCVBUF"),
            (Int64(WS.SO_ERROR), Int64(WS_SO_ERROR), "SO_ERROR"), (Int64(WS.SO_TYPE), Int64(WS_SO_TYPE), "SO_TYPE"),
            (Int64(WS.SO_FLOWSPEC), Int64(WS_SO_FLOWSPEC), "SO_FLOWSPEC"), (Int64(WS.SO_GROUP_ID), Int64(WS_SO_GROUP_ID), "SO_GROUP_ID"),
            (Int64(WS.SO_GROUP_PRIORITY), Int64(WS_SO_GROUP_PRIORITY), "SO_GROUP_PRIORITY"),
            (Int64(WS.SO_MAX_DG_SIZE), Int64(WS_SO_MAX_DG_SIZE), "SO_MAX_DG_SIZE"),
            (Int64(WS.SO_PROTOCOL_INFO), Int64(WS_SO_PROTOCOL_INFO), "SO_PROTOCOL_INFO"),
            (Int64(WS.PVD_CONFIG), Int64(PVD_CONFIG), "PVD_CONFIG"), (Int64(WS.TCP_NODELAY), Int64(WS_TCP_NODELAY), "TCP_NODELAY"),
            (Int64(WS.MSG_OOB), Int64(WS_MSG_OOB), "MSG_OOB"), (Int64(WS.MSG_PEEK), Int64(WS_MSG_PEEK), "MSG_PEEK"),
            (Int64(WS.MSG_DONTROUTE), Int64(WS_MSG_DONTROUTE), "MSG_DONTROUTE"), (Int64(WS.MSG_PARTIAL), Int64(WS_MSG_PARTIAL), "MSG_PARTIAL"),
            (Int64(UInt32(bitPattern: WS.FIONREAD)), Int64(WS_FIONREAD), "FIONREAD"),
            (Int64(UInt32(bitPattern: WS.FIONBIO)), Int64(WS_FIONBIO), "FIONBIO"),
            (Int64(UInt32(bitPattern: WS.FIOASYNC)), Int64(WS_FIOASYNC), "FIOASYNC"),
            (Int64(UInt32(bitPattern: WS.SIOCATMARK)), Int64(WS_SIOCATMARK), "SIOCATMARK"),
            (Int64(WS.SD_RECEIVE), Int64(SD_RECEIVE), "SD_RECEIVE"), (Int64(WS.SD_SEND), Int64(SD_SEND), "SD_SEND"),
            (Int64(WS.SD_BOTH), Int64(SD_BOTH), "SD_BOTH"), (Int64(WS.CF_DEFER), Int64(CF_DEFER), "CF_DEFER"),
            (Int64(WS.SG_CONSTRAINED_GROUP), Int64(SG_CONSTRAINED_GROUP), "SG_CONSTRAINED_GROUP"),
            (Int64(WS.SOMAXCONN), Int64(WS_SOMAXCONN), "SOMAXCONN"),
            (Int64(WS.WSA_FLAG_OVERLAPPED), Int64(WSA_FLAG_OVERLAPPED), "WSA_FLAG_OVERLAPPED"),
        ]
        for (mine, header, name) in pairs { XCTAssertEqual(mine, header, name) }
    }

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
