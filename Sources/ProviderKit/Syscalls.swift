// Every Linux call the providers make, wrapped once. Callers never read errno:
// a failing call throws an `Errno`, EINTR is retried where that is safe, and
// `Errno.wsa` turns the value into a Winsock code through the one table.
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

/// Thin wrappers, one per system call. `@inline(never)` keeps anything from
/// running between the call and the read of errno.
public enum Sys {
    @inline(never) public static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32) throws(Errno) -> Int32 {
        try once { Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto) }
    }
    @inline(never) public static func bind(_ fd: Int32, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t) throws(Errno) {
        _ = try once { Glibc.bind(fd, addr, len) }
    }
    @inline(never) public static func listen(_ fd: Int32, _ backlog: Int32) throws(Errno) {
        _ = try once { Glibc.listen(fd, backlog) }
    }
    /// accept4 with SOCK_CLOEXEC; the accepted descriptor is blocking until
    /// the provider gives it the listener's mode.
    @inline(never) public static func accept(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>?, _ len: UnsafeMutablePointer<socklen_t>?) throws(Errno) -> Int32 {
        try retryingEINTR { ws2spi_accept4(fd, addr, len, Int32(SOCK_CLOEXEC.rawValue)) }
    }
    /// connect is never repeated after EINTR (that would report EALREADY).
    @inline(never) public static func connect(_ fd: Int32, _ addr: UnsafePointer<sockaddr>, _ len: socklen_t) throws(Errno) {
        _ = try once { Glibc.connect(fd, addr, len) }
    }
    @inline(never) public static func send(_ fd: Int32, _ buf: UnsafeRawPointer?, _ len: Int, _ flags: Int32) throws(Errno) -> Int {
        try retryingEINTR { Glibc.send(fd, buf, len, flags | Int32(MSG_NOSIGNAL)) }
    }
    @inline(never) public static func sendto(_ fd: Int32, _ buf: UnsafeRawPointer?, _ len: Int, _ flags: Int32,
                                             _ addr: UnsafePointer<sockaddr>?, _ alen: socklen_t) throws(Errno) -> Int {
        try retryingEINTR { Glibc.sendto(fd, buf, len, flags | Int32(MSG_NOSIGNAL), addr, alen) }
    }
    @inline(never) public static func recv(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ len: Int, _ flags: Int32) throws(Errno) -> Int {
        try retryingEINTR { Glibc.recv(fd, buf, len, flags) }
    }
    @inline(never) public static func recvfrom(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ len: Int, _ flags: Int32,
                                               _ addr: UnsafeMutablePointer<sockaddr>?, _ alen: UnsafeMutablePointer<socklen_t>?) throws(Errno) -> Int {
        try retryingEINTR { Glibc.recvfrom(fd, buf, len, flags, addr, alen) }
    }
    @inline(never) public static func getsockname(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>, _ len: UnsafeMutablePointer<socklen_t>) throws(Errno) {
        _ = try once { Glibc.getsockname(fd, addr, len) }
    }
    @inline(never) public static func getpeername(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>, _ len: UnsafeMutablePointer<socklen_t>) throws(Errno) {
        _ = try once { Glibc.getpeername(fd, addr, len) }
    }
    @inline(never) public static func getsockopt(_ fd: Int32, _ level: Int32, _ name: Int32,
                                                 _ val: UnsafeMutableRawPointer, _ len: UnsafeMutablePointer<socklen_t>) throws(Errno) {
        _ = try once { Glibc.getsockopt(fd, level, name, val, len) }
    }
    @inline(never) public static func setsockopt(_ fd: Int32, _ level: Int32, _ name: Int32,
                                                 _ val: UnsafeRawPointer, _ len: socklen_t) throws(Errno) {
        _ = try once { Glibc.setsockopt(fd, level, name, val, len) }
    }
    @inline(never) public static func shutdown(_ fd: Int32, _ how: Int32) throws(Errno) {
        _ = try once { Glibc.shutdown(fd, how) }
    }
    /// close is never repeated: Linux releases the descriptor even on EINTR.
    @inline(never) public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
    @inline(never) public static func ioctl(_ fd: Int32, _ request: UInt, _ arg: UnsafeMutablePointer<Int32>) throws(Errno) {
        _ = try once { Glibc.ioctl(fd, request, arg) }
    }
    @inline(never) public static func setNonBlocking(_ fd: Int32, _ on: Bool) throws(Errno) {
        let flags = try once { fcntl(fd, F_GETFL) }
        let new = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if new != flags { _ = try once { fcntl(fd, F_SETFL, new) } }
    }
    /// poll with a timeout in milliseconds (-1: forever). EINTR returns 0
    /// ready descriptors; callers recompute their deadline and poll again.
    @inline(never) public static func poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, _ timeoutMs: Int32) throws(Errno) -> Int32 {
        let r = Glibc.poll(fds, nfds_t(count), timeoutMs)
        if r == -1 {
            let e = errno
            if e == EINTR { return 0 }
            throw Errno(e)
        }
        return r
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
