// Where an exported function's error goes: the one set of boundary helpers
// of both libraries. No thrown error escapes into C. An SPI entry point or
// upcall stores its code in *lpErrno (which may be NULL); a host service
// (events, waits, windows) sets the calling thread's last error; WSPStartup
// returns it. The provider's gate in front of these (RULINGS §3, §5) is in
// ProviderKit's Thunk.swift.
import CWS2SPI

// MARK: pointers below 64 KiB (RULINGS §4)
//
// "A pointer below 64 KiB (Windows never maps that range; Linux's
// mmap_min_addr keeps it unmapped) is treated like NULL: WSAEFAULT." Every
// thunk checks each pointer it takes, before the work: a low one fails the
// call with WSAEFAULT through the function's own error convention (lpErrno,
// the last error, WSPStartup's result), also where NULL means "not wanted";
// a low lpErrno is never written, like NULL. The same holds for pointers the
// library reads through the caller's structures (WSABUF.buf of connect data,
// PROTOCOL_INFO.lpProtocol) and for function pointers (callbacks, condition
// functions, completion routines, APCs), which would crash when called.
// Handles (SOCKET, WSAEVENT, HWND) and opaque context values are not
// pointers and are not checked. One compare per pointer: nil and 1...0xFFFF
// are the only values below 0x10000, so `address - 1 < 0xFFFF` is true
// exactly for a low non-NULL pointer.

/// True for a non-NULL pointer below 64 KiB (RULINGS §4): never valid. The
/// bound is a literal so the inlined check is one compare in every module.
@inline(__always) @inlinable
public func isBadPointer(_ p: UnsafeRawPointer?) -> Bool {
    UInt(bitPattern: p) &- 1 < 0xFFFF
}

/// `isBadPointer` for a C function pointer (a callback the library would call).
@inline(__always) @inlinable
public func isBadFunction<F>(_ f: F?) -> Bool {
    isBadPointer(unsafeBitCast(f, to: UnsafeRawPointer?.self))
}

/// Throws WSAEFAULT when any of the pointers is low (NULL passes: what NULL
/// means is the callee's business).
@inline(__always) @inlinable
public func checkPointers(_ a: UnsafeRawPointer?, _ b: UnsafeRawPointer? = nil, _ c: UnsafeRawPointer? = nil,
                          _ d: UnsafeRawPointer? = nil, _ e: UnsafeRawPointer? = nil,
                          _ f: UnsafeRawPointer? = nil) throws(WSAError) {
    if isBadPointer(a) || isBadPointer(b) || isBadPointer(c) || isBadPointer(d) || isBadPointer(e) || isBadPointer(f) {
        throw .fault
    }
}

/// A buffer of `length` bytes: a low pointer with a length is WSAEFAULT; with
/// length 0 it is never read, so it is passed on as NULL (what a NULL buffer
/// of length 0 does, e.g. a Rust empty slice, whose pointer is 1).
@inline(__always) @inlinable
public func checkBuffer<P>(_ p: P?, _ address: UnsafeRawPointer?, length: Int64) throws(WSAError) -> P? {
    guard isBadPointer(address) else { return p }
    if length > 0 { throw .fault }
    return nil
}

// MARK: to *lpErrno (SPI entry points, upcalls, the host API)

/// SOCKET_ERROR: what an int-returning entry point returns on failure.
public let socketError: Int32 = SOCKET_ERROR
/// INVALID_SOCKET: what a SOCKET-returning entry point returns on failure.
public let invalidSocket: SOCKET = INVALID_SOCKET

/// Stores an error code in *lpErrno, unless lpErrno is NULL or low.
@inline(__always) @inlinable
public func store(_ code: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) {
    if let lpErrno, !isBadPointer(lpErrno) { lpErrno.pointee = code }
}

/// 0, or SOCKET_ERROR with the thrown code in *lpErrno.
@inline(__always) @inlinable
public func errnoStatus(_ lpErrno: UnsafeMutablePointer<Int32>?, _ body: () throws(WSAError) -> Void) -> Int32 {
    do { try body(); return 0 } catch { store(error.code, lpErrno); return socketError }
}

/// The body's value, or `failure` with the thrown code in *lpErrno.
@inline(__always) @inlinable
public func errnoValue<T>(_ lpErrno: UnsafeMutablePointer<Int32>?, failure: T,
                          _ body: () throws(WSAError) -> T) -> T {
    do { return try body() } catch { store(error.code, lpErrno); return failure }
}

// MARK: to the calling thread's last error (host services, RULINGS §6)

/// The calling thread's last error, as WSAGetLastError reports it (a C
/// thread-local of the library that exports WSAGetLastError).
public enum LastError {
    @inline(__always) public static func get() -> Int32 { ws2spi_tls_last_error() }
    @inline(__always) public static func set(_ code: Int32) { ws2spi_tls_set_last_error(code) }
}

/// TRUE, or FALSE with the last error set to the thrown code.
@inline(__always) @inlinable
public func lastErrorBool(_ body: () throws(WSAError) -> Void) -> BOOL {
    do { try body(); return 1 } catch { LastError.set(error.code); return 0 }
}

/// TRUE when `ok`, else FALSE with the last error set to `error`.
@inline(__always) @inlinable
public func lastErrorBool(_ ok: Bool, else error: WSAError) -> BOOL {
    if ok { return 1 }
    LastError.set(error.code)
    return 0
}

/// The body's value, or `failure` with the last error set to the thrown code.
@inline(__always) @inlinable
public func lastErrorValue<T>(failure: T, _ body: () throws(WSAError) -> T) -> T {
    do { return try body() } catch { LastError.set(error.code); return failure }
}
