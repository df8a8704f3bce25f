// The socket-handle upcalls (draft §4.1-4.4), one @_cdecl thunk each with the
// exact C signature of ws2spi.h; Host/SocketHandles.swift does the work.
// Errors go to *lpErrno (which may be NULL). The lpContext of Create and
// Set is the caller's value, stored and never dereferenced: not checked as
// a pointer (RULINGS §4 checks are in Thunk.swift). WPUXxxQueueUserAPC32 and
// WPUXxxGetCurrentThreadId32 are in Host.swift.
import CWS2SPI

/// The body's value, or `failure` with *lpErrno (when not NULL) set: the
/// value-returning sibling of Host.swift's `upcallStatus`.
@inline(__always) func upcallValue<T>(_ lpErrno: UnsafeMutablePointer<Int32>?, failure: T,
                                      _ body: () throws(WSAError) -> T) -> T {
    do { return try body() } catch { store(error.code, lpErrno); return failure }
}

@_cdecl("WPUXxxCreateSocketHandle")
public func WPUXxxCreateSocketHandle(_ dwProviderId: DWORD, _ lpContext: LPVOID?,
                                     _ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
    upcallValue(lpErrno, failure: 0xFFFF_FFFF) { () throws(WSAError) in
        try SocketHandles.create(provider: dwProviderId, context: lpContext)
    }
}

@_cdecl("WPUXxxCloseSocketHandle")
public func WPUXxxCloseSocketHandle(_ s: SOCKET, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    upcallStatus(lpErrno) { () throws(WSAError) in try SocketHandles.close(s) }
}

@_cdecl("WPUXxxQuerySocketHandleContext")
public func WPUXxxQuerySocketHandleContext(_ s: SOCKET, _ lpContext: UnsafeMutablePointer<LPVOID?>?,
                                           _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    upcallStatus(lpErrno) { () throws(WSAError) in
        try checkPointers(lpContext)
        try SocketHandles.queryContext(s, into: lpContext)
    }
}

@_cdecl("WPUXxxSetSocketHandleContext")
public func WPUXxxSetSocketHandleContext(_ s: SOCKET, _ lpContext: LPVOID?,
                                         _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    upcallStatus(lpErrno) { () throws(WSAError) in try SocketHandles.setContext(s, lpContext) }
}
