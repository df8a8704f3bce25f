// The provider's gate in front of every exported entry point: the installed
// provider, the blocking-hook rule (RULINGS §5) and start-up before pointer
// errors (RULINGS §3). Where the error then goes (*lpErrno, the result) and
// the pointer checks of RULINGS §4 are WS2Base's ErrorDestinations.swift.
import CWS2SPI

/// The provider this library was built with: the .so's own module defines
/// `ws2spi_provider_instance` and returns an unmanaged reference to it.
@usableFromInline let installedProvider: any ServiceProvider = {
    let raw = ws2spi_provider_instance()!
    return Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as! any ServiceProvider
}()

/// RULINGS §5: while a thread is in a hooked blocking call, only its hook
/// can be running on it, so an entry point that finds the thread blocking
/// was called from the hook and fails with WSAEINPROGRESS (all but
/// WSPCancelBlockingCall32, which passes `gated: false`). One plain load
/// until a hook is set somewhere, then one thread-local load.
@inline(__always) @usableFromInline
var calledFromBlockingHook: Bool { ws2spi_blocking_state() != Int32(WS2SPI_BLOCKING_IDLE) }

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
