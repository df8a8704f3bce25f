// The boundary every exported function goes through: no thrown error escapes
// into C, and lpErrno (which may be NULL) gets the code.
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

/// The lowest address a pointer may have (64 KiB).
@usableFromInline let lowestValidAddress: UInt = 0x1_0000

/// True for a non-NULL pointer below 64 KiB (RULINGS §4): never valid.
@inline(__always) @usableFromInline
func isBadPointer(_ p: UnsafeRawPointer?) -> Bool {
    UInt(bitPattern: p) &- 1 < lowestValidAddress - 1
}

/// `isBadPointer` for a C function pointer (a callback the library would call).
@inline(__always) @usableFromInline
func isBadFunction<F>(_ f: F?) -> Bool {
    isBadPointer(unsafeBitCast(f, to: UnsafeRawPointer?.self))
}

/// Throws WSAEFAULT when any of the pointers is low (NULL passes: what NULL
/// means is the callee's business).
@inline(__always) @usableFromInline
func checkPointers(_ a: UnsafeRawPointer?, _ b: UnsafeRawPointer? = nil, _ c: UnsafeRawPointer? = nil,
                   _ d: UnsafeRawPointer? = nil, _ e: UnsafeRawPointer? = nil, _ f: UnsafeRawPointer? = nil) throws(WSAError) {
    if isBadPointer(a) || isBadPointer(b) || isBadPointer(c) || isBadPointer(d) || isBadPointer(e) || isBadPointer(f) {
        throw .fault
    }
}

/// A buffer of `length` bytes: a low pointer with a length is WSAEFAULT; with
/// length 0 it is never read, so it is passed on as NULL (what a NULL buffer
/// of length 0 does, e.g. a Rust empty slice, whose pointer is 1).
@inline(__always) @usableFromInline
func checkBuffer<P>(_ p: P?, _ address: UnsafeRawPointer?, length: Int64) throws(WSAError) -> P? {
    guard isBadPointer(address) else { return p }
    if length > 0 { throw .fault }
    return nil
}

/// Stores an error code in *lpErrno, unless lpErrno is NULL or low.
@inline(__always) @usableFromInline
func store(_ code: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) {
    if let lpErrno, !isBadPointer(lpErrno) { lpErrno.pointee = code }
}

/// The provider this library was built with: the .so's own module defines
/// `ws2spi_provider_instance` and returns an unmanaged reference to it.
@usableFromInline let installedProvider: any ServiceProvider = {
    let raw = ws2spi_provider_instance()!
    return Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! any ServiceProvider
}()

/// SOCKET_ERROR: what an int-returning entry point returns on failure.
@usableFromInline let socketError: Int32 = -1
/// INVALID_SOCKET: what a SOCKET-returning entry point returns on failure.
@usableFromInline let invalidSocket: SOCKET = 0xFFFF_FFFF

/// RULINGS §5: while a thread is in a hooked blocking call, only its hook
/// can be running on it, so an entry point that finds the thread blocking
/// was called from the hook and fails with WSAEINPROGRESS (all but
/// WSPCancelBlockingCall32, which passes `gated: false`). One
/// thread-local load.
@inline(__always) @usableFromInline
var calledFromBlockingHook: Bool { ws2spi_tls_blocking_state() != Int32(WS2SPI_BLOCKING_IDLE) }

/// Runs an int-returning entry point: 0, or SOCKET_ERROR with *lpErrno set.
@inline(__always) @usableFromInline
func status(_ lpErrno: UnsafeMutablePointer<Int32>?, gated: Bool = true,
            _ body: (any ServiceProvider) throws(WSAError) -> Void) -> Int32 {
    if gated && calledFromBlockingHook {
        store(WSAError.inProgress.code, lpErrno)
        return socketError
    }
    do {
        try body(installedProvider)
        return 0
    } catch {
        store(boundaryCode(error), lpErrno)
        return socketError
    }
}

/// The code a failed entry point reports: the export layer checks pointers
/// before the provider runs, so a bad pointer while no start-up is in force
/// becomes WSANOTINITIALISED (RULINGS §3 comes first, as in Winsock). Only
/// the failure path pays for the check.
@inline(__always) @usableFromInline
func boundaryCode(_ error: WSAError) -> Int32 {
    error == .fault && !installedProvider.isStarted ? WSAError.notInitialised.code : error.code
}

/// Runs an entry point that returns a value, or `failure` with *lpErrno set.
@inline(__always) @usableFromInline
func value<T>(_ lpErrno: UnsafeMutablePointer<Int32>?, failure: T, _ body: (any ServiceProvider) throws(WSAError) -> T) -> T {
    if calledFromBlockingHook {
        store(WSAError.inProgress.code, lpErrno)
        return failure
    }
    do {
        return try body(installedProvider)
    } catch {
        store(boundaryCode(error), lpErrno)
        return failure
    }
}
