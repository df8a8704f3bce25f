// The boundary every exported function goes through: no thrown error escapes
// into C, and lpErrno (which may be NULL) gets the code.
import CWS2SPI

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
        lpErrno?.pointee = WSAError.inProgress.code
        return socketError
    }
    do {
        try body(installedProvider)
        return 0
    } catch {
        lpErrno?.pointee = error.code
        return socketError
    }
}

/// Runs an entry point that returns a value, or `failure` with *lpErrno set.
@inline(__always) @usableFromInline
func value<T>(_ lpErrno: UnsafeMutablePointer<Int32>?, failure: T, _ body: (any ServiceProvider) throws(WSAError) -> T) -> T {
    if calledFromBlockingHook {
        lpErrno?.pointee = WSAError.inProgress.code
        return failure
    }
    do {
        return try body(installedProvider)
    } catch {
        lpErrno?.pointee = error.code
        return failure
    }
}
