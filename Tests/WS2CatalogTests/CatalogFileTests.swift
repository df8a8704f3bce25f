// The catalog file: install / remove / read through real files, the lock,
// temporary files, and WSAEnumProtocols' buffer layout (CatalogC).
import XCTest
import Glibc
import Synchronization
import CWS2SPI
@testable import WS2Catalog

final class CatalogFileTests: XCTestCase {
    var dir = ""
    var path: String { dir + "/winsock2.ini" }

    override func setUp() {
        var template = Array("/tmp/ws2catalog-tests-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    override func tearDown() {
        _ = system("rm -rf '\(dir)'")
    }

    func contents() -> String { String(decoding: (try? readFile(path)) ?? [], as: UTF8.self) }

    func write(_ text: String) {
        let f = fopen(path, "w")!
        fputs(text, f)
        fclose(f)
    }

    func testInstallReadRemove() throws {
        let file = CatalogFile(path: path)
        XCTAssertEqual(try file.read().providers, [])            // no file yet
        let tcp = try file.install(name: "tcpip", path: "/lib/a.so", protocols: TCPIPProtocols.all)
        let udp = try file.install(name: "udp", path: "/lib/b.so", protocols: [TCPIPProtocols.udp], description: "Other UDP",
                                   extraEntries: [.init(key: "ListenBacklogLimit", value: "64")])
        XCTAssertEqual(tcp.id, 1)
        XCTAssertEqual(udp.id, 2)
        let catalog = try file.read()
        XCTAssertEqual(catalog.providers.map(\.name), ["tcpip", "udp"])
        XCTAssertEqual(catalog.provider(named: "UDP")?.description, "Other UDP")
        XCTAssertEqual(catalog.provider(named: "udp")?.value(forKey: "listenbackloglimit"), "64")
        XCTAssertEqual(catalog.provider(id: 1)?.filename, "/lib/a.so")
        XCTAssertEqual(catalog.protocols, TCPIPProtocols.all + [TCPIPProtocols.udp])
        XCTAssertEqual(try file.remove(id: 1).name, "tcpip")
        XCTAssertEqual(try file.remove(name: "UDP").id, 2)
        XCTAssertEqual(contents(), "[Providers]\nNumProviders=0\n")
    }

    func testErrors() throws {
        let file = CatalogFile(path: path)
        _ = try file.install(name: "a", path: "/a.so", protocols: [TCPIPProtocols.tcp])
        let before = contents()
        func fails(_ expected: CatalogError, _ body: () throws -> Void) {
            do { try body(); XCTFail("no error, expected \(expected)") } catch { XCTAssertEqual(error as? CatalogError, expected) }
        }
        fails(.duplicateName("A")) { _ = try file.install(name: "A", path: "/b.so", protocols: [TCPIPProtocols.tcp]) }
        fails(.unknownProvider("with id 9")) { _ = try file.remove(id: 9) }
        fails(.unknownProvider("named 'b'")) { _ = try file.remove(name: "b") }
        for bad in ["", String(repeating: "x", count: 33), "a[b", "a=b", "a\"b", " a", "a\tb"] {
            do {
                _ = try file.install(name: bad, path: "/b.so", protocols: [TCPIPProtocols.tcp])
                XCTFail("'\(bad)' accepted")
            } catch {
                guard case .invalidArgument = error else { return XCTFail("\(error)") }
                XCTAssertEqual(error.wsaCode, 10022)
            }
        }
        XCTAssertNoThrow(try file.install(name: String(repeating: "x", count: 32), path: "/b.so", protocols: [TCPIPProtocols.tcp]))
        _ = try file.remove(name: String(repeating: "x", count: 32))
        fails(.invalidArgument("a provider needs at least one protocol")) { _ = try file.install(name: "b", path: "/b.so", protocols: []) }
        fails(.invalidArgument("the provider path contains a line break")) {
            _ = try file.install(name: "b", path: "/b\n.so", protocols: [TCPIPProtocols.tcp])
        }
        fails(.invalidArgument("NumSockets is written by the install itself")) {
            _ = try file.install(name: "b", path: "/b.so", protocols: [TCPIPProtocols.tcp], extraEntries: [.init(key: "NumSockets", value: "1")])
        }
        fails(.invalidArgument("'; x' is not a valid entry name")) {
            _ = try file.install(name: "b", path: "/b.so", protocols: [TCPIPProtocols.tcp], extraEntries: [.init(key: "; x", value: "1")])
        }
        XCTAssertEqual(contents(), before)
    }

    func testLockTimeoutAndStaleTemporaries() throws {
        let file = CatalogFile(path: path)
        _ = try file.install(name: "a", path: "/a.so", protocols: [TCPIPProtocols.tcp])
        // flock locks belong to the open file description: a second open in
        // this process conflicts like another process would.
        let fd = open(path + ".lock", O_RDWR)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        let start = monotonicNanoseconds()
        do {
            _ = try file.install(name: "b", path: "/b.so", protocols: [TCPIPProtocols.tcp], lockTimeout: .milliseconds(200))
            XCTFail("installed under someone else's lock")
        } catch {
            XCTAssertEqual(error, .locked(path: path))
            XCTAssertEqual(error.wsaCode, 11002)
        }
        XCTAssertGreaterThanOrEqual(monotonicNanoseconds() - start, 200_000_000)
        close(fd)
        // A temporary file of a writer that died is removed by the next update.
        let stale = path + ".tmp.999999"
        close(open(stale, O_CREAT | O_WRONLY, 0o644))
        _ = try file.install(name: "b", path: "/b.so", protocols: [TCPIPProtocols.tcp], lockTimeout: .seconds(1))
        XCTAssertNotEqual(access(stale, F_OK), 0)
        XCTAssertEqual(try file.read().providers.map(\.name), ["a", "b"])
    }

    /// A waiter whose lock file was unlinked (and replaced) while it waited
    /// locks the file the path names now: the lock on the old inode
    /// serialises nothing.
    func testLockOnAnUnlinkedLockFileIsNotTrusted() throws {
        let file = CatalogFile(path: path)
        _ = try file.install(name: "a", path: "/a.so", protocols: [TCPIPProtocols.tcp])
        let lockPath = path + ".lock"
        let old = open(lockPath, O_RDWR)
        XCTAssertEqual(flock(old, LOCK_EX), 0)
        final class Time: Sendable { let value = Atomic<Int64>(0) }
        let time = Time()
        let waiter = Thread {
            do {
                _ = try file.install(name: "b", path: "/b.so", protocols: [TCPIPProtocols.tcp], lockTimeout: .seconds(10))
            } catch {
                XCTFail("\(error)")
            }
            time.value.store(monotonicNanoseconds(), ordering: .sequentiallyConsistent)
        }
        waiter.start()
        usleep(100_000)                       // the waiter is blocked on the old inode
        XCTAssertEqual(unlink(lockPath), 0)   // a holder replaces the lock file ...
        let new = open(lockPath, O_RDWR | O_CREAT, 0o644)
        XCTAssertEqual(flock(new, LOCK_EX), 0)
        close(old)                            // ... and lets go of the old one
        let released = monotonicNanoseconds()
        usleep(300_000)
        XCTAssertEqual(time.value.load(ordering: .sequentiallyConsistent), 0, "installed under the new file's lock")
        close(new)
        while time.value.load(ordering: .sequentiallyConsistent) == 0 { usleep(1000) }
        XCTAssertGreaterThanOrEqual(time.value.load(ordering: .sequentiallyConsistent) - released, 300_000_000)
        XCTAssertEqual(try file.read().providers.map(\.name), ["a", "b"])
    }

    func testSymlinkedCatalogStaysALink() throws {
        let real = dir + "/real.ini", link = dir + "/link.ini"
        XCTAssertEqual(symlink("real.ini", link), 0)
        _ = try CatalogFile(path: link).install(name: "a", path: "/a.so", protocols: [TCPIPProtocols.tcp])
        var st = stat()
        XCTAssertEqual(lstat(link, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFLNK)
        XCTAssertEqual(try CatalogFile(path: real).read().providers.map(\.name), ["a"])
    }

    func testIOErrors() {
        let file = CatalogFile(path: dir + "/missing/dir/w.ini")
        do {
            _ = try file.install(name: "a", path: "/a.so", protocols: [TCPIPProtocols.tcp])
            XCTFail("installed into a missing directory")
        } catch {
            guard case .io(_, _, ENOENT) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(error.wsaCode, 10091)   // WSASYSNOTREADY
        }
        XCTAssertEqual(CatalogError.io(path: "/x", operation: "open", errno: EACCES).wsaCode, 10013)
        XCTAssertEqual(CatalogError.io(path: "/x", operation: "open", errno: EROFS).wsaCode, 10013)
    }

    /// Each case's code, named through WSACodes, is the header's number.
    func testCodesAreTheHeaders() {
        let cases: [(CatalogError, Int32)] = [
            (.fault("p"), WSAEFAULT), (.invalidArgument("x"), WSAEINVAL), (.duplicateName("a"), WSAEINVAL),
            (.unknownProvider("a"), WSAEINVAL), (.locked(path: "/x"), WSATRY_AGAIN), (.noBuffers(needed: 1), WSAENOBUFS),
            (.io(path: "/x", operation: "open", errno: EPERM), WSAEACCES),
            (.io(path: "/x", operation: "write", errno: ENOSPC), WSAENOBUFS),
            (.io(path: "/x", operation: "open", errno: EIO), WSASYSNOTREADY),
        ]
        for (error, code) in cases { XCTAssertEqual(error.wsaCode, code, "\(error)") }
    }

    func testResolvedPath() {
        let old = getenv("WINSOCK2_INI").map { String(cString: $0) }
        defer { if let old { setenv("WINSOCK2_INI", old, 1) } else { unsetenv("WINSOCK2_INI") } }
        unsetenv("WINSOCK2_INI")
        XCTAssertEqual(CatalogFile().path, "/etc/winsock2.ini")
        setenv("WINSOCK2_INI", "", 1)
        XCTAssertEqual(CatalogFile().path, "/etc/winsock2.ini")
        setenv("WINSOCK2_INI", "/x/y.ini", 1)
        XCTAssertEqual(CatalogFile().path, "/x/y.ini")
        XCTAssertEqual(CatalogFile(path: "/z.ini").path, "/z.ini")
    }

    func testProvidersForLibrary() throws {
        let lib = dir + "/lib.so", link = dir + "/lib-link.so"
        close(open(lib, O_CREAT | O_WRONLY, 0o644))
        XCTAssertEqual(symlink(lib, link), 0)
        let file = CatalogFile(path: path)
        _ = try file.install(name: "a", path: link, protocols: [TCPIPProtocols.tcp])
        _ = try file.install(name: "b", path: "/elsewhere.so", protocols: [TCPIPProtocols.tcp])
        _ = try file.install(name: "c", path: dir + "/./lib.so", protocols: [TCPIPProtocols.udp])
        XCTAssertEqual(try file.read().providers(forLibrary: lib).map(\.name), ["a", "c"])
    }

    func testEnumProtocolsLayout() throws {
        setenv("WINSOCK2_INI", path, 1)
        defer { unsetenv("WINSOCK2_INI") }
        _ = try CatalogFile().install(name: "t", path: "/t.so", protocols: TCPIPProtocols.all)
        var length: UInt32 = 0
        do {
            _ = try CatalogC.enumProtocols(filter: nil, buffer: nil, length: &length)
            XCTFail("no ENOBUFS")
        } catch {
            XCTAssertEqual(error.wsaCode, 10055)
        }
        let stride = MemoryLayout<PROTOCOL_INFO>.stride
        XCTAssertEqual(Int(length), 2 * stride + 7 + 7)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Int(length), alignment: 16)
        defer { raw.deallocate() }
        let infos = raw.bindMemory(to: PROTOCOL_INFO.self, capacity: 2)
        XCTAssertEqual(try CatalogC.enumProtocols(filter: nil, buffer: infos, length: &length), 2)
        XCTAssertEqual(try ProtocolEntry(infos[0]), TCPIPProtocols.tcp)
        XCTAssertEqual(try ProtocolEntry(infos[1]), TCPIPProtocols.udp)
        XCTAssertEqual(UnsafeRawPointer(infos[0].lpProtocol!), UnsafeRawPointer(raw + 2 * stride))
        XCTAssertEqual(UnsafeRawPointer(infos[1].lpProtocol!), UnsafeRawPointer(raw + 2 * stride + 7))
        var udpOnly: [Int32] = [17, 0]
        XCTAssertEqual(try CatalogC.enumProtocols(filter: &udpOnly, buffer: infos, length: &length), 1)
        XCTAssertEqual(infos[0].iProtocol, 17)
        do {
            _ = try CatalogC.enumProtocols(filter: nil, buffer: infos, length: nil)
            XCTFail("NULL length accepted")
        } catch {
            XCTAssertEqual(error.wsaCode, 10014)
        }
    }

    func testCInstallArguments() throws {
        setenv("WINSOCK2_INI", path, 1)
        defer { unsetenv("WINSOCK2_INI") }
        var id: UInt32 = 0
        func code(_ body: () throws -> Void) -> Int32 {
            do { try body(); return 0 } catch { return (error as? CatalogError)?.wsaCode ?? -1 }
        }
        try TCPIPProtocols.tcp.withProtocolInfo { info in
            var info = info
            XCTAssertEqual(code { try CatalogC.install(name: nil, path: "/a", protocols: &info, count: 1, id: &id) }, 10014)
            XCTAssertEqual(code { try CatalogC.install(name: "a", path: nil, protocols: &info, count: 1, id: &id) }, 10014)
            XCTAssertEqual(code { try CatalogC.install(name: "a", path: "/a", protocols: nil, count: 1, id: &id) }, 10014)
            XCTAssertEqual(code { try CatalogC.install(name: "a", path: "/a", protocols: &info, count: 1, id: nil) }, 10014)
            XCTAssertEqual(code { try CatalogC.install(name: "a", path: "/a", protocols: &info, count: 0, id: &id) }, 10022)
            XCTAssertEqual(code { try CatalogC.install(name: "a", path: "/a", protocols: &info, count: 1, id: &id) }, 0)
            XCTAssertEqual(id, 1)
            XCTAssertEqual(code { try CatalogC.deinstall(id: 2) }, 10022)
            XCTAssertEqual(code { try CatalogC.deinstall(id: 1) }, 0)
        }
    }
}
