// The socket-handle upcalls (draft §4.1-4.4), one @_cdecl thunk each with the
// exact C signature of ws2spi.h; Services/SocketHandles.swift does the work.
// Errors go to *lpErrno (which may be NULL). The lpContext of Create and
// Set is the caller's value, stored and never dereferenced: not checked as
// a pointer (RULINGS §4 checks: WS2Base's ErrorDestinations.swift). WPUXxxQueueUserAPC32 and
// WPUXxxGetCurrentThreadId32 are in Host.swift.
import CWS2SPI
import WS2Base

@_cdecl("WPUXxxCreateSocketHandle")
public func WPUXxxCreateSocketHandle(_ dwProviderId: DWORD, _ lpContext: LPVOID?,
                                     _ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
    errnoValue(lpErrno, failure: invalidSocket) { () throws(WSAError) in
        try SocketHandles.create(provider: dwProviderId, context: lpContext)
    }
}

@_cdecl("WPUXxxCloseSocketHandle")
public func WPUXxxCloseSocketHandle(_ s: SOCKET, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in try SocketHandles.close(s) }
}

@_cdecl("WPUXxxQuerySocketHandleContext")
public func WPUXxxQuerySocketHandleContext(_ s: SOCKET, _ lpContext: UnsafeMutablePointer<LPVOID?>?,
                                           _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in
        try checkPointers(lpContext)
        try SocketHandles.queryContext(s, into: lpContext)
    }
}

@_cdecl("WPUXxxSetSocketHandleContext")
public func WPUXxxSetSocketHandleContext(_ s: SOCKET, _ lpContext: LPVOID?,
                                         _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in try SocketHandles.setContext(s, lpContext) }
}
