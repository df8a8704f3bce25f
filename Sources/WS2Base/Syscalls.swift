// Every Linux call the providers make, wrapped once. Callers never read errno:
// a failing call throws an `Errno`, EINTR is retried where that is safe, and
// `Errno.wsa` turns the value into a Winsock code through the one table.
// Each wrapper first asks the fault-injection switch (SyscallFaults.swift):
// one relaxed load while nothing is armed.
import Glibc
import CWS2SPI

/// A Linux `errno` value carried out of a failed system call.
public struct Errno: Error, Equatable, Sendable {
    public let rawValue: Int32
    @inlinable public init(_ rawValue: Int32) { self.rawValue = rawValue }
    /// The Winsock code for this errno (WSAError's errno table).
    @inlinable public var wsa: WSAError { WSAError(errno: rawValue) }
    @inlinable public var isWouldBlock: Bool { rawValue == EAGAIN || rawValue == EWOULDBLOCK }
}

/// Runs `body` until it does not fail with EINTR; a -1 result throws errno.
@inline(__always)
@usableFromInline func retryingEINTR<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = errno
        if e != EINTR { throw Errno(e) }
    }
}

/// Runs `body` once; a -1 result throws errno (for calls that must not be repeated).
@inline(__always)
@usableFromInline func once<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
    let r = body()
    if r == -1 { throw Errno(errno) }
    return r
}

/// Makes the call, unless a fault is injected for `kind`: then -1 with errno
/// set, so that the retry helpers treat it like the kernel's own failure
/// (an injected EINTR is retried).
@inline(__always)
@usableFromInline func checked<T: FixedWidthInteger & SignedInteger>(_ kind: SyscallKind, _ body: () -> T) -> T {
    let injected = ws2spi_fault_check(kind.rawValue)
    if _slowPath(injected != 0) {
        errno = injected
        return -1
    }
    return body()
}

/// Thin wrappers, one per system call. `@inline(never)` keeps anything from
/// running between the call and the read of errno.
public enum Sys {
    @inline(never) public static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32) throws(Errno) -> Int32 {
        try once { checked(.socket) { Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto) } }
    }
    @inline(never) public static func bind(_ fd: Int32, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t) throws(Errno) {
        _ = try once { checked(.bind) { Glibc.bind(fd, addr, len) } }
    }
    @inline(never) public static func listen(_ fd: Int32, _ backlog: Int32) throws(Errno) {
        _ = try once { checked(.listen) { Glibc.listen(fd, backlog) } }
    }
    /// accept4 with SOCK_CLOEXEC; the accepted descriptor is blocking until
    /// the provider gives it the listener's mode.
    @inline(never) public static func accept(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>?, _ len: UnsafeMutablePointer<socklen_t>?) throws(Errno) -> Int32 {
        try retryingEINTR { checked(.accept) { ws2spi_accept4(fd, addr, len, Int32(SOCK_CLOEXEC.rawValue)) } }
    }
    /// connect is never repeated after EINTR (that would report EALREADY).
    @inline(never) public static func connect(_ fd: Int32, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t) throws(Errno) {
        _ = try once { checked(.connect) { Glibc.connect(fd, addr, len) } }
    }
    @inline(never) public static func send(_ fd: Int32, _ buf: UnsafeRawPointer?, _ len: Int, _ flags: Int32) throws(Errno) -> Int {
        try retryingEINTR { checked(.send) { Glibc.send(fd, buf, len, flags | Int32(MSG_NOSIGNAL)) } }
    }
    @inline(never) public static func sendto(_ fd: Int32, _ buf: UnsafeRawPointer?, _ len: Int, _ flags: Int32,
                                             _ addr: UnsafePointer<sockaddr>?, _ alen: socklen_t) throws(Errno) -> Int {
        try retryingEINTR { checked(.sendto) { Glibc.sendto(fd, buf, len, flags | Int32(MSG_NOSIGNAL), addr, alen) } }
    }
    @inline(never) public static func recv(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ len: Int, _ flags: Int32) throws(Errno) -> Int {
        try retryingEINTR { checked(.recv) { Glibc.recv(fd, buf, len, flags) } }
    }
    @inline(never) public static func recvfrom(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ len: Int, _ flags: Int32,
                                               _ addr: UnsafeMutablePointer<sockaddr>?, _ alen: UnsafeMutablePointer<socklen_t>?) throws(Errno) -> Int {
        try retryingEINTR { checked(.recvfrom) { Glibc.recvfrom(fd, buf, len, flags, addr, alen) } }
    }
    @inline(never) public static func getsockname(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>, _ len: UnsafeMutablePointer<socklen_t>) throws(Errno) {
        _ = try once { checked(.getsockname) { Glibc.getsockname(fd, addr, len) } }
    }
    @inline(never) public static func getpeername(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>, _ len: UnsafeMutablePointer<socklen_t>) throws(Errno) {
        _ = try once { checked(.getpeername) { Glibc.getpeername(fd, addr, len) } }
    }
    @inline(never) public static func getsockopt(_ fd: Int32, _ level: Int32, _ name: Int32,
                                                 _ val: UnsafeMutableRawPointer, _ len: UnsafeMutablePointer<socklen_t>) throws(Errno) {
        _ = try once { checked(.getsockopt) { Glibc.getsockopt(fd, level, name, val, len) } }
    }
    @inline(never) public static func setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32,
                                                 _ val: UnsafeRawPointer, _ len: socklen_t) throws(Errno) {
        _ = try once { checked(.setsockopt) { Glibc.setsockopt(fd, level, name, val, len) } }
    }
    @inline(never) public static func shutdown(_ fd: Int32, _ how: Int32) throws(Errno) {
        _ = try once { checked(.shutdown) { Glibc.shutdown(fd, how) } }
    }
    /// close is never repeated: Linux releases the descriptor even on EINTR.
    @inline(never) public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
    @inline(never) public static func ioctl(_ fd: Int32, _ request: UInt, _ arg: UnsafeMutablePointer<Int32>) throws(Errno) {
        _ = try once { checked(.ioctl) { Glibc.ioctl(fd, request, arg) } }
    }
    @inline(never) public static func setNonBlocking(_ fd: Int32, _ on: Bool) throws(Errno) {
        let flags = try once { checked(.fcntl) { fcntl(fd, F_GETFL) } }
        let new = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if new != flags { _ = try once { checked(.fcntl) { fcntl(fd, F_SETFL, new) } } }
    }
    /// A second descriptor for `fd`'s socket, close-on-exec like every
    /// descriptor the provider makes (dup(2) would drop the flag).
    @inline(never) public static func dup(_ fd: Int32) throws(Errno) -> Int32 {
        try once { checked(.dup) { fcntl(fd, F_DUPFD_CLOEXEC, 0) } }
    }
    /// poll with a timeout in milliseconds (-1: forever). EINTR returns 0
    /// ready descriptors; callers recompute their deadline and poll again.
    @inline(never) public static func poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, _ timeoutMs: Int32) throws(Errno) -> Int32 {
        let r = checked(.poll) { Glibc.poll(fds, nfds_t(count), timeoutMs) }
        if r == -1 {
            let e = errno
            if e == EINTR { return 0 }
            throw Errno(e)
        }
        return r
    }

    // MARK: the event engine (Reactor)

    /// An epoll instance, close-on-exec.
    @inline(never) public static func epollCreate() throws(Errno) -> Int32 {
        try once { checked(.epollCreate) { ws2spi_epoll_create() } }
    }
    /// Watches `fd` for `events`; `token` comes back with each event.
    @inline(never) public static func epollAdd(_ epfd: Int32, _ fd: Int32, _ events: UInt32, _ token: UInt64) throws(Errno) {
        _ = try once { checked(.epollCtl) { ws2spi_epoll_add(epfd, fd, events, token) } }
    }
    @inline(never) public static func epollDelete(_ epfd: Int32, _ fd: Int32) throws(Errno) {
        _ = try once { checked(.epollCtl) { ws2spi_epoll_del(epfd, fd) } }
    }
    /// Up to `max` (at most 256) events into `tokens` and `events`; EINTR
    /// returns 0 events (the caller waits again).
    @inline(never) public static func epollWait(_ epfd: Int32, _ tokens: UnsafeMutablePointer<UInt64>, _ events: UnsafeMutablePointer<UInt32>,
                                                _ max: Int32, _ timeoutMs: Int32) throws(Errno) -> Int {
        let r = checked(.epollWait) { ws2spi_epoll_wait(epfd, tokens, events, max, timeoutMs) }
        if r == -1 {
            let e = errno
            if e == EINTR { return 0 }
            throw Errno(e)
        }
        return Int(r)
    }
    /// A non-blocking, close-on-exec eventfd.
    @inline(never) public static func eventfd() throws(Errno) -> Int32 {
        try once { checked(.eventfd) { ws2spi_eventfd() } }
    }
    /// Adds 1 to an eventfd's counter (wakes its reader).
    @inline(never) public static func eventfdSignal(_ fd: Int32) throws(Errno) {
        _ = try retryingEINTR { checked(.wake) { ws2spi_eventfd_signal(fd) } }
    }
    /// Makes an eventfd readable, best effort: for a waker whose caller has
    /// nothing to do about a failure (IPSocket's close waker).
    @inline(never) public static func signalEventFD(_ fd: Int32) {
        try? eventfdSignal(fd)
    }
    /// Reads and clears an eventfd's counter; EAGAIN when it was 0.
    @inline(never) public static func eventfdDrain(_ fd: Int32) throws(Errno) {
        _ = try retryingEINTR { checked(.wake) { ws2spi_eventfd_drain(fd) } }
    }
    /// pthread_create with default attributes.
    @inline(never) public static func startThread(_ thread: inout pthread_t, _ arg: UnsafeMutableRawPointer,
                                                  _ body: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?) throws(Errno) {
        let injected = ws2spi_fault_check(SyscallKind.thread.rawValue)
        // pthread_create returns its error instead of setting errno.
        let rc = injected != 0 ? injected : pthread_create(&thread, nil, body, arg)
        if rc != 0 { throw Errno(rc) }
    }
    @inline(never) public static func joinThread(_ thread: pthread_t) {
        _ = pthread_join(thread, nil)
    }
    @inline(never) public static func detachThread(_ thread: pthread_t) {
        _ = pthread_detach(thread)
    }
    @inline(never) public static func yield() {
        _ = sched_yield()
    }
    /// Sleeps `ms` milliseconds (a signal may end it early).
    @inline(never) public static func sleep(milliseconds ms: Int) {
        var ts = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
        _ = nanosleep(&ts, nil)
    }

    // MARK: futexes (the host services' one blocking primitive)

    /// Sleeps while `*word == expected`, until woken or the absolute
    /// CLOCK_MONOTONIC `deadline` in ns (< 0: none). Returns 0, ETIMEDOUT or
    /// EINTR; spurious returns are possible: callers recheck their condition
    /// (an injected fault is one more spurious return).
    @inline(never) public static func futexWait(_ word: UnsafeMutablePointer<UInt32>, _ expected: UInt32, _ deadline: Int64) -> Int32 {
        let injected = ws2spi_fault_check(SyscallKind.futex.rawValue)
        if _slowPath(injected != 0) { return injected }
        return ws2spi_futex_wait(word, expected, deadline)
    }
    /// Wakes up to `count` threads sleeping on `word`.
    @inline(never) public static func futexWake(_ word: UnsafeMutablePointer<UInt32>, _ count: Int32) {
        ws2spi_futex_wake(word, count)
    }

    @inline(never) public static func getrlimitNoFile() -> UInt64 {
        var rl = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) != 0 { return 1024 }
        return UInt64(rl.rlim_cur)
    }
}

/// Monotonic time in milliseconds, for timeouts.
public func monotonicMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
