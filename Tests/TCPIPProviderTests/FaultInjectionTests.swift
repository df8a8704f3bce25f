import XCTest
import Glibc
import Synchronization
import CWS2SPI
@testable import ProviderKit
@testable import TCPIPProvider
@testable import WS2Host

/// Failing system calls on purpose (SyscallFaults): the WSA code each
/// failure turns into, and an event engine that survives its own failures.
/// Every wait is bounded, so a regression fails in seconds, not hangs.
final class FaultInjectionTests: XCTestCase {
    let p = TCPIPProvider.shared
    /// Sockets and events to close in tearDown.
    var sockets: [SOCKET] = []
    var events: [WSAEVENT] = []

    override func setUp() {
        SyscallFaults.clear()
        var data = WSADATA()
        XCTAssertEqual(p.startup(version: 2, data: &data), 0)
    }

    override func tearDown() {
        SyscallFaults.clear()
        closeAll()
        try? p.cleanup(callback: nil, callbackData: 0)
    }

    private func closeAll() {
        for s in sockets { try? p.closeSocket(s) }
        for e in events { _ = WS2Host.WSACloseEvent(e) }
        sockets = []
        events = []
    }

    // MARK: helpers

    private func socket(overlapped: Bool = false) throws(WSAError) -> SOCKET {
        let s = try p.socket(family: WS_AF_INET, type: WS_SOCK_STREAM, protocol: 0, providerID: 0,
                             flags: overlapped ? WSA_FLAG_OVERLAPPED : 0)
        sockets.append(s)
        return s
    }

    private func loopback(port: UInt16) -> WS_sockaddr_in {
        var sa = WS_sockaddr_in()
        sa.sin_family = Int16(WS_AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr.S_un.S_addr = UInt32(0x7F00_0001).bigEndian
        return sa
    }

    /// A listener on 127.0.0.1 (an ephemeral port) and its port.
    private func listener(overlapped: Bool = false) throws(WSAError) -> (SOCKET, UInt16) {
        let l = try socket(overlapped: overlapped)
        var sa = loopback(port: 0)
        try withUnsafePointer(to: &sa) { (q) throws(WSAError) in
            try q.withMemoryRebound(to: WS_sockaddr.self, capacity: 1) { (r) throws(WSAError) in
                try p.bind(l, name: r, length: Int32(MemoryLayout<WS_sockaddr_in>.size))
            }
        }
        try p.listen(l, backlog: 8)
        var len = Int32(MemoryLayout<WS_sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &sa) { (q) throws(WSAError) in
            try q.withMemoryRebound(to: WS_sockaddr.self, capacity: 1) { (r) throws(WSAError) in
                try p.getSockName(l, name: r, length: &len)
            }
        }
        return (l, UInt16(bigEndian: sa.sin_port))
    }

    private func connect(_ s: SOCKET, port: UInt16) throws(WSAError) {
        var sa = loopback(port: port)
        try withUnsafePointer(to: &sa) { (q) throws(WSAError) in
            try q.withMemoryRebound(to: WS_sockaddr.self, capacity: 1) { (r) throws(WSAError) in
                try p.connect(s, name: r, length: Int32(MemoryLayout<WS_sockaddr_in>.size), callerData: nil,
                              calleeData: nil, group: 0, socketFlowspec: nil, groupFlowspec: nil)
            }
        }
    }

    private func accept(_ l: SOCKET) throws(WSAError) -> SOCKET {
        let s = try p.accept(l, address: nil, length: nil, condition: nil, callbackData: 0)
        sockets.append(s)
        return s
    }

    /// A connected loopback TCP pair (blocking connect, then accept); the
    /// server side is overlapped when asked (the client stays blocking).
    private func pair(overlapped: Bool = false) throws(WSAError) -> (client: SOCKET, server: SOCKET) {
        let (l, port) = try listener(overlapped: overlapped)
        let c = try socket()
        try connect(c, port: port)
        return (c, try accept(l))
    }

    private func send(_ s: SOCKET, _ text: String) throws(WSAError) -> Int {
        var bytes = Array(text.utf8)
        var sent: DWORD = 0
        try p.send(s, buffer: &bytes, length: DWORD(bytes.count), sent: &sent, flags: 0, to: nil, toLength: nil,
                   overlapped: nil, completion: nil)
        return Int(sent)
    }

    private func event() -> WSAEVENT {
        let e = WS2Host.WSACreateEvent()!
        events.append(e)
        return e
    }

    /// True when `e` is set within `ms` milliseconds.
    private func waitFor(_ e: WSAEVENT, ms: DWORD = 3000) -> Bool {
        var list: [WSAEVENT?] = [e]
        return WS2Host.WSAWaitForMultipleEvents(1, &list, 0, ms, 0) == WSA_WAIT_EVENT_0
    }

    /// Polls `condition` every millisecond for up to `ms` milliseconds.
    private func eventually(ms: Int = 3000, _ condition: () -> Bool) -> Bool {
        let end = monotonicMilliseconds() + Int64(ms)
        while monotonicMilliseconds() < end {
            if condition() { return true }
            Sys.sleep(milliseconds: 1)
        }
        return condition()
    }

    /// Open descriptors of this process.
    private func openDescriptors() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(dir) }
        var n = 0
        while readdir(dir) != nil { n += 1 }
        return n - 3   // ".", ".." and the directory's own descriptor
    }

    private func XCTAssertWSA<T>(_ expected: WSAError, _ body: () throws(WSAError) -> T,
                                 file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("succeeded, expected \(expected.name)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, "got \(error.name), expected \(expected.name)", file: file, line: line)
        }
    }

    /// Makes the engine, blocked in epoll_wait, call epoll_wait again (the
    /// one it is in does not see a fault injected now).
    private func wakeEngine() { Reactor.shared.kick(0) }

    // MARK: the switch itself

    func testKindsMirrorTheCEnumAndNames() {
        XCTAssertEqual(SyscallKind.allCases.count, Int(WS2SPI_FAULT_KINDS))
        let names = ["socket", "bind", "listen", "accept", "connect", "send", "sendto", "recv", "recvfrom",
                     "getsockname", "getpeername", "getsockopt", "setsockopt", "shutdown", "ioctl", "fcntl",
                     "poll", "dup", "epoll_create", "epoll_ctl", "epoll_wait", "eventfd", "wake", "futex", "thread"]
        XCTAssertEqual(SyscallKind.allCases.map(\.name), names)
        XCTAssertEqual(SyscallKind.epollWait.rawValue, Int32(WS2SPI_FAULT_EPOLL_WAIT))
        XCTAssertEqual(SyscallKind.thread.rawValue, Int32(WS2SPI_FAULT_THREAD))
    }

    func testSpecSyntax() {
        XCTAssertEqual(SyscallFaults.arm("socket:EMFILE:1:2, send:105:0:-1 ,poll:ENOMEM"), 0)
        XCTAssertEqual(SyscallFaults.remaining(.socket), 3)
        XCTAssertEqual(SyscallFaults.remaining(.send), -1)
        XCTAssertEqual(SyscallFaults.remaining(.poll), 1)
        // Bad items are ignored, good ones kept; arming replaces what was armed.
        XCTAssertEqual(SyscallFaults.arm("bogus:EMFILE,socket:ENOTANERRNO,socket,recv:EIO:x,random:1,connect:EIO:0:2"), 5)
        XCTAssertEqual(SyscallFaults.remaining(.socket), 0)
        XCTAssertEqual(SyscallFaults.remaining(.send), 0)
        XCTAssertEqual(SyscallFaults.remaining(.connect), 2)
        // EINTR is always finite: the wrappers retry it.
        SyscallFaults.inject(.recv, errno: EINTR, count: -1)
        XCTAssertEqual(SyscallFaults.remaining(.recv), 1)
        SyscallFaults.clear()
        XCTAssertFalse(SyscallFaults.isArmed)
        XCTAssertEqual(ws2spi_fault_errno("ENFILE"), ENFILE)
        XCTAssertEqual(ws2spi_fault_errno("12"), 12)
    }

    func testEnvironmentIsArmedAtStartup() throws {
        setenv("WS2SPI_FAULTS", "socket:ENFILE", 1)
        defer { unsetenv("WS2SPI_FAULTS") }
        var data = WSADATA()
        XCTAssertEqual(p.startup(version: 2, data: &data), 0)
        defer { try? p.cleanup(callback: nil, callbackData: 0) }
        unsetenv("WS2SPI_FAULTS")
        XCTAssertWSA(.tooManyFiles) { () throws(WSAError) in try socket() }
        // Unset: a start-up leaves injected faults alone.
        SyscallFaults.inject(.socket, errno: EMFILE)
        XCTAssertEqual(p.startup(version: 2, data: &data), 0)
        defer { try? p.cleanup(callback: nil, callbackData: 0) }
        XCTAssertEqual(SyscallFaults.remaining(.socket), 1)
    }

    func testRandomModeFailsWithPlausibleErrors() throws {
        SyscallFaults.arm("random:7:1000")
        for _ in 0..<20 {
            do { _ = try socket(); XCTFail("every call fails at 1000 per mille") } catch {
                XCTAssertTrue(error == .tooManyFiles || error == .noBuffers, error.name)
            }
        }
        SyscallFaults.arm("random:7:0")
        XCTAssertFalse(SyscallFaults.isArmed)
        _ = try socket()
    }

    // MARK: errno -> WSA through the provider

    func testSocketFailures() throws {
        let before = openDescriptors()
        SyscallFaults.inject(.socket, errno: EMFILE)
        XCTAssertWSA(.tooManyFiles) { () throws(WSAError) in try socket() }
        SyscallFaults.inject(.socket, errno: ENFILE)
        XCTAssertWSA(.tooManyFiles) { () throws(WSAError) in try socket() }   // the errno table: ENFILE -> WSAEMFILE
        SyscallFaults.inject(.socket, errno: ENOBUFS)
        XCTAssertWSA(.noBuffers) { () throws(WSAError) in try socket() }
        XCTAssertEqual(openDescriptors(), before)
        _ = try socket()
        XCTAssertEqual(openDescriptors(), before + 1)
    }

    func testAcceptFailureKeepsTheConnection() throws {
        let (l, port) = try listener()
        let c = try socket()
        try connect(c, port: port)
        SyscallFaults.inject(.accept, errno: EMFILE)
        XCTAssertWSA(.tooManyFiles) { () throws(WSAError) in try accept(l) }
        // An EINTR is retried like the kernel's own.
        SyscallFaults.inject(.accept, errno: EINTR, count: 3)
        let s = try accept(l)
        XCTAssertEqual(SyscallFaults.remaining(.accept), 0)
        XCTAssertEqual(try send(c, "hello"), 5)
        var buffer = [UInt8](repeating: 0, count: 16)
        var received: DWORD = 0, flags: Int32 = 0
        try p.receive(s, buffer: &buffer, length: 16, received: &received, flags: &flags, from: nil, fromLength: nil,
                      overlapped: nil, completion: nil)
        XCTAssertEqual(received, 5)
    }

    func testSendFailures() throws {
        let (c, s) = try pair()
        SyscallFaults.inject(.send, errno: ENOBUFS)
        XCTAssertWSA(.noBuffers) { () throws(WSAError) in try send(c, "x") }
        SyscallFaults.inject(.send, errno: ECONNRESET)
        XCTAssertWSA(.connectionReset) { () throws(WSAError) in try send(c, "x") }
        SyscallFaults.inject(.send, errno: EINTR, count: 2)
        XCTAssertEqual(try send(c, "abc"), 3)
        var buffer = [UInt8](repeating: 0, count: 16)
        var received: DWORD = 0, flags: Int32 = 0
        try p.receive(s, buffer: &buffer, length: 16, received: &received, flags: &flags, from: nil, fromLength: nil,
                      overlapped: nil, completion: nil)
        XCTAssertEqual(Array(buffer.prefix(Int(received))), Array("abc".utf8))
    }

    func testSelectPollFailure() throws {
        let (c, _) = try pair()
        var set = WS_fd_set()
        for timeout in [WS_timeval(tv_sec: 0, tv_usec: 0), WS_timeval(tv_sec: 0, tv_usec: 50_000)] {
            var t = timeout
            ws2spi_fd_zero(&set)
            ws2spi_fd_set(c, &set)
            SyscallFaults.inject(.poll, errno: ENOMEM)
            XCTAssertWSA(.noBuffers) { () throws(WSAError) in try p.select(read: nil, write: &set, except: nil, timeout: &t) }
        }
        ws2spi_fd_zero(&set)
        ws2spi_fd_set(c, &set)
        var t = WS_timeval(tv_sec: 1, tv_usec: 0)
        XCTAssertEqual(try p.select(read: nil, write: &set, except: nil, timeout: &t), 1)
    }

    // MARK: the engine survives its failures

    /// An overlapped receive pending while epoll_wait fails: once data
    /// comes, it completes.
    private func pendingReceiveSurvives(_ err: Int32, count: Int, sendDuringFailures: Bool = false) throws {
        let (c, s) = try pair(overlapped: true)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        let ov = UnsafeMutablePointer<WSAOVERLAPPED>.allocate(capacity: 1)
        defer { buffer.deallocate(); ov.deallocate() }
        ov.initialize(to: WSAOVERLAPPED())
        ov.pointee.hEvent = event()
        var received: DWORD = 0, flags: Int32 = 0
        XCTAssertWSA(.ioPending) { () throws(WSAError) in
            try p.receive(s, buffer: buffer, length: 64, received: &received, flags: &flags, from: nil, fromLength: nil,
                          overlapped: ov, completion: nil)
        }
        XCTAssertTrue(Reactor.shared.isRunning)
        SyscallFaults.inject(.epollWait, errno: err, count: count)
        wakeEngine()
        if sendDuringFailures {
            // The edge comes while the engine backs off (and rebuilds its set).
            XCTAssertTrue(eventually { SyscallFaults.remaining(.epollWait) < count - 1 })
            XCTAssertEqual(try send(c, "hello"), 5)
        }
        XCTAssertTrue(eventually { SyscallFaults.remaining(.epollWait) == 0 }, "the engine stopped calling epoll_wait")
        if !sendDuringFailures { XCTAssertEqual(try send(c, "hello"), 5) }
        XCTAssertTrue(waitFor(ov.pointee.hEvent!), "the pending receive never completed")
        var transferred: DWORD = 0, resultFlags: DWORD = 0
        if ws2spi_word_load(UnsafeMutableRawPointer(ov).assumingMemoryBound(to: UInt32.self)) != DWORD(WSA_IO_PENDING) {
            XCTAssertEqual(WS2Host.WSAGetOverlappedResult(s, ov, &transferred, 0, &resultFlags), 1)
            XCTAssertEqual(transferred, 5)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: buffer, count: 5)), Array("hello".utf8))
        }
        // Closing aborts nothing: the operation is complete.
        try p.closeSocket(s)
        sockets.removeAll { $0 == s }
    }

    func testPendingReceiveSurvivesEpollWaitEBADF() throws {
        try pendingReceiveSurvives(EBADF, count: 3)
    }

    func testPendingReceiveSurvivesEpollWaitENOMEM() throws {
        try pendingReceiveSurvives(ENOMEM, count: 6)
    }

    func testDataArrivingWhileEpollWaitFailsIsNotLost() throws {
        try pendingReceiveSurvives(ENOMEM, count: 8, sendDuringFailures: true)
    }

    /// After the engine recovered, WSPEventSelect still sets events: for a
    /// socket selected before the failure and for one selected after.
    func testEventSelectAfterRecovery() throws {
        let (c1, s1) = try pair()
        let e1 = event()
        try p.eventSelect(s1, event: e1, events: NetworkEvents.read.rawValue)
        SyscallFaults.inject(.epollWait, errno: EBADF, count: 2)
        wakeEngine()
        XCTAssertTrue(eventually { SyscallFaults.remaining(.epollWait) == 0 }, "the engine stopped calling epoll_wait")
        SyscallFaults.inject(.epollWait, errno: ENOMEM, count: 5)
        wakeEngine()
        XCTAssertTrue(eventually { SyscallFaults.remaining(.epollWait) == 0 }, "the engine stopped calling epoll_wait")
        XCTAssertFalse(EventObjects.isSignalled(e1))
        XCTAssertEqual(try send(c1, "a"), 1)
        XCTAssertTrue(waitFor(e1), "FD_READ of a socket selected before the failures")

        let (c2, s2) = try pair()
        let e2 = event()
        try p.eventSelect(s2, event: e2, events: NetworkEvents.read.rawValue)
        XCTAssertEqual(try send(c2, "b"), 1)
        XCTAssertTrue(waitFor(e2), "FD_READ of a socket selected after the failures")
    }

    /// A kick (a re-enabling call) after the engine rebuilt its epoll set
    /// still reaches the socket: the wake-up eventfd is in the new set.
    func testKicksAfterRebuild() throws {
        let (c, s) = try pair()
        let e = event()
        try p.eventSelect(s, event: e, events: NetworkEvents.read.rawValue)
        SyscallFaults.inject(.epollWait, errno: EBADF)
        wakeEngine()
        XCTAssertTrue(eventually { SyscallFaults.remaining(.epollWait) == 0 })
        XCTAssertEqual(try send(c, "ab"), 2)
        XCTAssertTrue(waitFor(e))
        _ = WS2Host.WSAResetEvent(e)
        // A 1-byte read leaves a byte: FD_READ comes again through a kick.
        var byte: UInt8 = 0
        var received: DWORD = 0, flags: Int32 = 0
        try p.receive(s, buffer: &byte, length: 1, received: &received, flags: &flags, from: nil, fromLength: nil,
                      overlapped: nil, completion: nil)
        XCTAssertTrue(waitFor(e), "FD_READ re-enabled by a receive")
    }

    /// stop() from a callback on the engine's own thread (a WSPCleanup in a
    /// WSPCallbackSelect16 callback): the thread ends and tears itself down,
    /// and the next registration starts a new one.
    func testStopFromTheEngineThread() throws {
        let fd = try Sys.eventfd()
        defer { Sys.close(fd) }
        let stopper = CountingClient(stopsEngine: true)
        let t1 = try XCTUnwrap(Reactor.shared.register(fd: fd, client: stopper))
        Reactor.shared.kick(t1)
        XCTAssertTrue(eventually { stopper.kicks.load(ordering: .relaxed) == 1 })
        XCTAssertTrue(eventually { !Reactor.shared.isRunning }, "the engine thread ended but is still marked running")
        let counter = CountingClient(stopsEngine: false)
        let t2 = try XCTUnwrap(Reactor.shared.register(fd: fd, client: counter), "no registration after the stop")
        Reactor.shared.kick(t2)
        XCTAssertTrue(eventually { counter.kicks.load(ordering: .relaxed) == 1 }, "a kick after the restart")
        Reactor.shared.deregister(fd: fd, token: t2)
    }

    /// The engine's set-up failing at its first registration: WSAENOBUFS,
    /// nothing left open, and the next registration starts from scratch.
    func testFirstRegistrationFailures() throws {
        let cases: [(SyscallKind, Int32)] = [(.epollCreate, EMFILE), (.eventfd, ENFILE), (.thread, EAGAIN), (.epollCtl, ENOMEM)]
        for (kind, err) in cases {
            XCTAssertFalse(Reactor.shared.isRunning, "\(kind.name): the engine runs already")
            let (_, s) = try pair()
            let e = event()
            let before = openDescriptors()
            SyscallFaults.inject(kind, errno: err)
            XCTAssertWSA(.noBuffers) { () throws(WSAError) in try p.eventSelect(s, event: e, events: NetworkEvents.read.rawValue) }
            XCTAssertEqual(SyscallFaults.remaining(kind), 0, kind.name)
            XCTAssertFalse(Reactor.shared.isRunning, kind.name)
            XCTAssertEqual(openDescriptors(), before, "\(kind.name): descriptors left behind")
            SyscallFaults.clear()

            // A fresh socket registers (the engine starts) and hears of data.
            let (c2, s2) = try pair()
            let e2 = event()
            try p.eventSelect(s2, event: e2, events: NetworkEvents.read.rawValue)
            XCTAssertTrue(Reactor.shared.isRunning, kind.name)
            XCTAssertEqual(try send(c2, "x"), 1)
            XCTAssertTrue(waitFor(e2), "\(kind.name): FD_READ after the engine started")

            // Stop the engine for the next case.
            closeAll()
            try p.cleanup(callback: nil, callbackData: 0)
            var data = WSADATA()
            XCTAssertEqual(p.startup(version: 2, data: &data), 0)
        }
    }

    /// A registration that fails on a running engine (epoll_ctl), then a
    /// second WSPEventSelect on the same socket: it must register for real,
    /// and closing the socket must release its descriptor. Needs the
    /// provider to forget a watch whose registration failed (Events.swift
    /// `watch()`).
    func testSecondEventSelectAfterFailedRegistration() throws {
        let (_, s0) = try pair()
        try p.eventSelect(s0, event: event(), events: NetworkEvents.read.rawValue)   // the engine runs
        let (c, s) = try pair()
        let e = event()
        let before = openDescriptors()
        SyscallFaults.inject(.epollCtl, errno: ENOMEM)
        XCTAssertWSA(.noBuffers) { () throws(WSAError) in try p.eventSelect(s, event: e, events: NetworkEvents.read.rawValue) }
        SyscallFaults.clear()
        try p.eventSelect(s, event: e, events: NetworkEvents.read.rawValue)
        XCTAssertEqual(try send(c, "x"), 1)
        XCTAssertTrue(waitFor(e, ms: 1000), "FD_READ after the second WSPEventSelect")
        try p.closeSocket(s)
        try p.closeSocket(c)
        sockets.removeAll { $0 == s || $0 == c }
        XCTAssertTrue(eventually(ms: 1000) { openDescriptors() == before - 2 }, "WSPCloseSocket kept a descriptor open")
    }
}

/// Counts the kicks it gets; optionally stops the engine from the first.
private final class CountingClient: ReactorClient, @unchecked Sendable {
    let stopsEngine: Bool
    let kicks = Atomic<Int>(0)
    init(stopsEngine: Bool) { self.stopsEngine = stopsEngine }
    func reactorEvent(_ events: UInt32) {
        guard events == 0 else { return }
        kicks.add(1, ordering: .relaxed)
        if stopsEngine { Reactor.shared.stop() }
    }
}
