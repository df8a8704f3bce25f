// The host services' error codes and handle encoding. The per-thread last
// error itself (WSAGetLastError / WSASetLastError) is WS2Base's LastError.
import CWS2SPI
import WS2Base

/// Errors of the event, wait and window functions, as in final Winsock
/// (ws2spi.h: WSA_INVALID_HANDLE, WSA_NOT_ENOUGH_MEMORY, WSA_INVALID_PARAMETER).
enum HostError {
    /// WSA_INVALID_HANDLE (6): not a live event object or message window.
    static let invalidHandle = WSAError(code: WSA_INVALID_HANDLE)
    /// WSA_NOT_ENOUGH_MEMORY (8): no handle left for a new object.
    static let notEnoughMemory = WSAError(code: WSA_NOT_ENOUGH_MEMORY)
    /// WSA_INVALID_PARAMETER (87): e.g. an event count of 0 or above 64.
    static let invalidParameter = WSAError(code: WSA_INVALID_PARAMETER)
    /// WSA_WAIT_TIMEOUT (258): WS2GetMessage's time-out, as a last error.
    static let timedOut = WSAError(code: Int32(bitPattern: WSA_WAIT_TIMEOUT))
}

/// Host handles (WSAEVENT, HWND) are table handles in a pointer: the 32-bit
/// HandleTable handle in the low half, a tag for the kind of object in the
/// high half, so an event is never taken for a window or the other way
/// round. The pointer is never dereferenced.
enum HostHandle {
    static let eventTag: UInt = 0x0000_E7E7
    static let windowTag: UInt = 0x0000_3D3D

    @inline(__always) static func pointer(_ handle: UInt32, tag: UInt) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: tag << 32 | UInt(handle))
    }

    /// The table handle in `pointer`, or nil when it does not carry `tag`.
    @inline(__always) static func handle(_ pointer: UnsafeRawPointer?, tag: UInt) -> UInt32? {
        let bits = UInt(bitPattern: pointer)
        guard bits >> 32 == tag else { return nil }
        return UInt32(truncatingIfNeeded: bits)
    }
}
