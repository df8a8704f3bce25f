import XCTest
import Glibc
@testable import ProviderKit
@testable import WS2Host
@testable import WS2Base

final class WSAErrorTests: XCTestCase {
    func testTableHasUniqueCodesAndNames() {
        let codes = WSAError.table.map(\.code)
        XCTAssertEqual(Set(codes).count, codes.count)
        XCTAssertEqual(Set(WSAError.table.map(\.name)).count, codes.count)
        for row in WSAError.table { XCTAssertFalse(row.message.isEmpty) }
    }

    /// Draft A.1: the Berkeley codes are 10000 + the BSD errno number.
    func testDraftNumbers() {
        let expected: [(String, Int32)] = [
            ("WSAEINTR", 10004), ("WSAEBADF", 10009), ("WSAEACCES", 10013), ("WSAEFAULT", 10014),
            ("WSAEINVAL", 10022), ("WSAEMFILE", 10024), ("WSAEWOULDBLOCK", 10035), ("WSAEINPROGRESS", 10036),
            ("WSAEALREADY", 10037), ("WSAENOTSOCK", 10038), ("WSAEDESTADDRREQ", 10039), ("WSAEMSGSIZE", 10040),
            ("WSAEPROTOTYPE", 10041), ("WSAENOPROTOOPT", 10042), ("WSAEPROTONOSUPPORT", 10043),
            ("WSAESOCKTNOSUPPORT", 10044), ("WSAEOPNOTSUPP", 10045), ("WSAEPFNOSUPPORT", 10046),
            ("WSAEAFNOSUPPORT", 10047), ("WSAEADDRINUSE", 10048), ("WSAEADDRNOTAVAIL", 10049),
            ("WSAENETDOWN", 10050), ("WSAENETUNREACH", 10051), ("WSAENETRESET", 10052),
            ("WSAECONNABORTED", 10053), ("WSAECONNRESET", 10054), ("WSAENOBUFS", 10055),
            ("WSAEISCONN", 10056), ("WSAENOTCONN", 10057), ("WSAESHUTDOWN", 10058),
            ("WSAETOOMANYREFS", 10059), ("WSAETIMEDOUT", 10060), ("WSAECONNREFUSED", 10061),
            ("WSAELOOP", 10062), ("WSAENAMETOOLONG", 10063), ("WSAEHOSTDOWN", 10064),
            ("WSAEHOSTUNREACH", 10065), ("WSASYSNOTREADY", 10091), ("WSAVERNOTSUPPORTED", 10092),
            ("WSANOTINITIALISED", 10093), ("WSAHOST_NOT_FOUND", 11001), ("WSATRY_AGAIN", 11002),
            ("WSANO_RECOVERY", 11003), ("WSANO_DATA", 11004),
            ("WSA_IO_PENDING", 997), ("WSA_IO_INCOMPLETE", 996), ("WSA_OPERATION_ABORTED", 995),
        ]
        for (name, code) in expected { XCTAssertEqual(WSAError(code: code).name, name) }
    }

    func testErrnoTranslation() {
        let rows: [(Int32, WSAError)] = [
            (EAGAIN, .wouldBlock), (EINPROGRESS, .wouldBlock), (ECONNRESET, .connectionReset),
            (ECONNREFUSED, .connectionRefused), (EADDRINUSE, .addressInUse), (EADDRNOTAVAIL, .addressNotAvailable),
            (EMFILE, .tooManyFiles), (ENFILE, .tooManyFiles), (ENOTCONN, .notConnected), (EISCONN, .isConnected),
            (EMSGSIZE, .messageSize), (EACCES, .accessDenied), (EPIPE, .connectionReset), (ETIMEDOUT, .timedOut),
            (ENETUNREACH, .networkUnreachable), (EINVAL, .invalidArgument), (ENOBUFS, .noBuffers),
        ]
        for (e, w) in rows { XCTAssertEqual(WSAError(errno: e), w, "errno \(e)") }
        XCTAssertEqual(WSAError(errno: 9999), .networkDown, "unknown errno: the provider's underlying failure")
        XCTAssertEqual(WSAError(errno: -1), .networkDown)
        // Every errno in the table maps into the table of WSA codes.
        for (_, w) in WSAError.errnoTable { XCTAssertTrue(WSAError.table.contains { $0.code == w.code }) }
    }

    func testDescription() {
        XCTAssertEqual(WSAError.notSocket.name, "WSAENOTSOCK")
        XCTAssertTrue(WSAError.notSocket.description.contains("10038"))
        XCTAssertEqual(WSAError(code: 4242).name, "WSA error 4242")
    }
}
