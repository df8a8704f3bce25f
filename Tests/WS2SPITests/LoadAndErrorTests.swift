// Loading providers (by path, default, catalog name), start-up negotiation,
// and the WSAError table.
import XCTest
import Glibc
import CWS2SPI
import WS2Catalog
@testable import WS2SPI

final class LoadTests: XCTestCase {
    func testLoadNegotiatesVersion2AndReportsLimits() throws {
        let p = try loadProvider()
        XCTAssertEqual(p.version, SPIVersion(2, 0))
        XCTAssertEqual(p.highVersion, SPIVersion(2, 0))
        XCTAssertFalse(p.description.isEmpty)
        XCTAssertTrue(p.description.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, p.description)
        XCTAssertEqual(p.maxUdpDatagram, 512)            // RULINGS §3
        XCTAssertGreaterThan(p.maxSockets, 0)
        XCTAssertLessThanOrEqual(p.maxSockets, 65535)
        XCTAssertTrue(p.isStarted)
        XCTAssertEqual(p.path, libraryPath)
        try p.cleanup()
        XCTAssertFalse(p.isStarted)
        try p.cleanup()                                  // a second clean-up does nothing
    }

    func testLowerVersionIsNegotiatedDownAndTooLowRefused() throws {
        let p = try loadProvider(version: .v1_1)
        XCTAssertEqual(p.version, SPIVersion(1, 1))
        XCTAssertEqual(p.highVersion, SPIVersion(2, 0))
        XCTAssertEqual(try loadProvider(version: SPIVersion(3, 0)).version, SPIVersion(2, 0))
        XCTAssertThrowsError(try Provider.load(path: libraryPath, version: SPIVersion(1, 0))) { error in
            XCTAssertEqual(error as? ProviderLoadError, .startupFailed(path: libraryPath, error: .versionNotSupported))
        }
    }

    func testEveryNameOfTheEntryPointListHasItsField() throws {
        let p = try loadProvider()
        XCTAssertEqual(Mirror(reflecting: p.spi).children.count, ProviderEntryPoints.names.count)
        XCTAssertEqual(ProviderEntryPoints.names.count, 27)
    }

    func testEntryPointsComeFromTheLoadedLibrary() throws {
        // This test process also links the provider's Swift modules (other
        // test targets); the module must still call the library it loaded.
        let p = try loadProvider()
        let handle = try XCTUnwrap(dlopen(libraryPath, RTLD_NOW | RTLD_NOLOAD), "the library is loaded")
        XCTAssertEqual(unsafeBitCast(p.spi.lpWSPStartup!, to: UnsafeMutableRawPointer.self), dlsym(handle, "WSPStartup"))
        XCTAssertEqual(unsafeBitCast(p.spi.lpWSPRecv!, to: UnsafeMutableRawPointer.self), dlsym(handle, "WSPRecv"))
        // The host services are libws2_32.so.2's, the provider's dependency
        // (RULINGS §13): the provider library defines none of them.
        let host = try XCTUnwrap(dlopen("libws2_32.so.2", RTLD_NOW | RTLD_NOLOAD), "the Winsock DLL part is loaded")
        XCTAssertEqual(unsafeBitCast(p.host.sleepEx, to: UnsafeMutableRawPointer.self), dlsym(host, "SleepEx"))
        XCTAssertNil(dlsym(host, "WSPStartup"))
        dlclose(host)
        dlclose(handle)
    }

    func testUnloadableLibrariesGiveClearErrors() {
        XCTAssertThrowsError(try Provider.load(path: "/nonexistent/libnothing.so")) { error in
            guard case .cannotOpen(let path, let reason)? = error as? ProviderLoadError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, "/nonexistent/libnothing.so")
            XCTAssertFalse(reason.isEmpty)
        }
        // A real shared object that is no provider: libffi exports no WSP
        // entry point; the first of the package's list is named.
        XCTAssertThrowsError(try Provider.load(path: "libffi.so.8")) { error in
            XCTAssertEqual(error as? ProviderLoadError, .missingEntryPoint(path: "libffi.so.8", name: ProviderEntryPoints.names[0]))
            XCTAssertEqual("\(error)", "libffi.so.8 does not export WSPAccept")
        }
    }

    func testDefaultLibraryComesFromTheEnvironment() throws {
        _ = try loadProvider()   // fails loudly if not built
        setenv("WS2SPI_LIBRARY", libraryPath, 1)
        defer { unsetenv("WS2SPI_LIBRARY") }
        let p = try Provider.load()
        XCTAssertEqual(p.path, libraryPath)
        let s = try p.socket(.stream)
        try s.bind(.loopback())
        XCTAssertNotEqual(try s.localAddress().port, 0)
    }

    func testLoadByCatalogName() throws {
        _ = try loadProvider()
        let ini = "/tmp/ws2spi-swift-test-\(getpid()).ini"
        defer { unlink(ini); unlink(ini + ".lock") }
        let catalog = CatalogFile(path: ini)
        _ = try catalog.install(name: "tcpip-swift", path: libraryPath, protocols: TCPIPProtocols.all)
        let p = try Provider.load(catalogName: "TCPIP-Swift", catalog: ini)   // names compare without case
        XCTAssertEqual(p.path, libraryPath)
        XCTAssertEqual(p.version, .v2_0)
        let (l, address) = try listener(p)
        XCTAssertEqual(address.host, 0x7F00_0001)
        try l.close()

        XCTAssertThrowsError(try Provider.load(catalogName: "absent", catalog: ini)) { error in
            guard case .notInCatalog(let name, _)? = error as? ProviderLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "absent")
        }
        // $WINSOCK2_INI is the default catalog (RULINGS §12).
        setenv("WINSOCK2_INI", ini, 1)
        defer { unsetenv("WINSOCK2_INI") }
        XCTAssertEqual(try Provider.load(catalogName: "tcpip-swift").path, libraryPath)
    }

    func testClosedSocketAnswersNotSocket() throws {
        let p = try loadProvider()
        let s = try p.socket(.datagram)
        try s.bind(.loopback())
        try s.close()
        try s.close()                                    // closing twice does nothing
        XCTAssertThrowsError(try s.localAddress()) { XCTAssertEqual($0 as? WSAError, .notSocket) }
        // Handles never alias (RULINGS §4): new sockets do not revive it.
        let others = try (0..<8).map { _ in try p.socket(.stream) }
        XCTAssertFalse(others.contains { $0.handle == s.handle })
        XCTAssertThrowsError(try s.bind(.loopback())) { XCTAssertEqual($0 as? WSAError, .notSocket) }
    }
}

final class WSAErrorTests: XCTestCase {
    /// Every error code of ws2spi.h, by its C macro, with its C name.
    static let headerCodes: [(Int32, String)] = [
        (Int32(WSA_INVALID_HANDLE), "WSA_INVALID_HANDLE"), (Int32(WSA_NOT_ENOUGH_MEMORY), "WSA_NOT_ENOUGH_MEMORY"),
        (Int32(WSA_INVALID_PARAMETER), "WSA_INVALID_PARAMETER"), (Int32(WSA_WAIT_TIMEOUT), "WSA_WAIT_TIMEOUT"),
        (Int32(WSA_OPERATION_ABORTED), "WSA_OPERATION_ABORTED"),
        (Int32(WSA_IO_INCOMPLETE), "WSA_IO_INCOMPLETE"), (Int32(WSA_IO_PENDING), "WSA_IO_PENDING"),
        (WSAEINTR, "WSAEINTR"), (WSAEBADF, "WSAEBADF"), (WSAEACCES, "WSAEACCES"), (WSAEFAULT, "WSAEFAULT"),
        (WSAEINVAL, "WSAEINVAL"), (WSAEMFILE, "WSAEMFILE"), (WSAEWOULDBLOCK, "WSAEWOULDBLOCK"),
        (WSAEINPROGRESS, "WSAEINPROGRESS"), (WSAEALREADY, "WSAEALREADY"), (WSAENOTSOCK, "WSAENOTSOCK"),
        (WSAEDESTADDRREQ, "WSAEDESTADDRREQ"), (WSAEMSGSIZE, "WSAEMSGSIZE"), (WSAEPROTOTYPE, "WSAEPROTOTYPE"),
        (WSAENOPROTOOPT, "WSAENOPROTOOPT"), (WSAEPROTONOSUPPORT, "WSAEPROTONOSUPPORT"),
        (WSAESOCKTNOSUPPORT, "WSAESOCKTNOSUPPORT"), (WSAEOPNOTSUPP, "WSAEOPNOTSUPP"),
        (WSAEPFNOSUPPORT, "WSAEPFNOSUPPORT"), (WSAEAFNOSUPPORT, "WSAEAFNOSUPPORT"), (WSAEADDRINUSE, "WSAEADDRINUSE"),
        (WSAEADDRNOTAVAIL, "WSAEADDRNOTAVAIL"), (WSAENETDOWN, "WSAENETDOWN"), (WSAENETUNREACH, "WSAENETUNREACH"),
        (WSAENETRESET, "WSAENETRESET"), (WSAECONNABORTED, "WSAECONNABORTED"), (WSAECONNRESET, "WSAECONNRESET"),
        (WSAENOBUFS, "WSAENOBUFS"), (WSAEISCONN, "WSAEISCONN"), (WSAENOTCONN, "WSAENOTCONN"),
        (WSAESHUTDOWN, "WSAESHUTDOWN"), (WSAETOOMANYREFS, "WSAETOOMANYREFS"), (WSAETIMEDOUT, "WSAETIMEDOUT"),
        (WSAECONNREFUSED, "WSAECONNREFUSED"), (WSAELOOP, "WSAELOOP"), (WSAENAMETOOLONG, "WSAENAMETOOLONG"),
        (WSAEHOSTDOWN, "WSAEHOSTDOWN"), (WSAEHOSTUNREACH, "WSAEHOSTUNREACH"), (WSAENOTEMPTY, "WSAENOTEMPTY"),
        (WSAEPROCLIM, "WSAEPROCLIM"), (WSAEUSERS, "WSAEUSERS"), (WSAEDQUOT, "WSAEDQUOT"), (WSAESTALE, "WSAESTALE"),
        (WSAEREMOTE, "WSAEREMOTE"), (WSASYSNOTREADY, "WSASYSNOTREADY"), (WSAVERNOTSUPPORTED, "WSAVERNOTSUPPORTED"),
        (WSANOTINITIALISED, "WSANOTINITIALISED"), (WSAHOST_NOT_FOUND, "WSAHOST_NOT_FOUND"),
        (WSATRY_AGAIN, "WSATRY_AGAIN"), (WSANO_RECOVERY, "WSANO_RECOVERY"), (WSANO_DATA, "WSANO_DATA"),
    ]

    func testEveryHeaderCodeHasItsNameAndADescription() {
        XCTAssertEqual(WSAError.all.count, Self.headerCodes.count)
        for (code, name) in Self.headerCodes {
            let e = WSAError(code: code)
            XCTAssertTrue(e.isKnown, name)
            XCTAssertEqual(e.name, name)
            XCTAssertGreaterThan(e.message.count, 10, name)
            XCTAssertTrue(e.message.hasSuffix("."), name)
            XCTAssertEqual(e.description, "\(name) (\(code)): \(e.message)")
        }
        XCTAssertEqual(Set(WSAError.all.map(\.code)), Set(Self.headerCodes.map(\.0)))
        XCTAssertEqual(Set(WSAError.all.map(\.message)).count, WSAError.all.count, "descriptions are distinct")
        XCTAssertEqual(WSAError(code: Int32(WSANO_ADDRESS)).name, "WSANO_DATA")   // an alias
    }

    func testStaticMembersMatchTheHeader() {
        XCTAssertEqual(WSAError.connectionRefused.code, WSAECONNREFUSED)
        XCTAssertEqual(WSAError.connectionRefused.name, "WSAECONNREFUSED")
        XCTAssertEqual(WSAError.ioPending.code, Int32(WSA_IO_PENDING))
        XCTAssertEqual(WSAError.operationAborted.name, "WSA_OPERATION_ABORTED")
        XCTAssertEqual(WSAError.notInitialised.code, WSANOTINITIALISED)
        XCTAssertEqual(WSAError.tryAgain.code, WSATRY_AGAIN)
        XCTAssertEqual(WSAError.wouldBlock.code, WSAEWOULDBLOCK)
        XCTAssertEqual(WSAError.interrupted.code, WSAEINTR)
    }

    func testUnknownCodesAndErrorConformance() {
        let e = WSAError(code: 12345)
        XCTAssertFalse(e.isKnown)
        XCTAssertEqual(e.name, "WSA error 12345")
        XCTAssertTrue(e.description.contains("12345"))
        let boxed: any Error = WSAError.timedOut
        XCTAssertEqual(boxed as? WSAError, .timedOut)
        XCTAssertEqual("\(boxed)", "WSAETIMEDOUT (10060): The connection attempt timed out.")
    }
}
