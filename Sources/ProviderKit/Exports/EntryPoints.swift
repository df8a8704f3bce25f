// One @_cdecl thunk per SPI entry point, with the exact C signature of
// ws2spi.h (RULINGS §1 names). No logic here: the provider does the work.
// Each thunk first fails with WSAEFAULT on a pointer below 64 KiB in any
// position (RULINGS §4; WS2Base's ErrorDestinations.swift). dwCallbackData is a
// value, and handles (SOCKET, WSAEVENT, HWND) are checked as handles.
import CWS2SPI

// MARK: start-up and clean-up

@_cdecl("WSPStartup")
public func WSPStartup(_ wVersionRequested: WORD, _ lpWSAData: LPWSADATA?) -> Int32 {
    // From inside a blocking hook (RULINGS §5); the code is the result here.
    if calledFromBlockingHook { return WSAError.inProgress.code }
    if isBadPointer(lpWSAData) { return WSAError.fault.code }
    return installedProvider.startup(version: wVersionRequested, data: lpWSAData)
}

@_cdecl("WSPCleanup")
public func WSPCleanup(_ lpfnCallback: LPCLEANUPPROC?, _ dwCallbackData: DWORD, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        if isBadFunction(lpfnCallback) { throw .fault }
        try p.cleanup(callback: lpfnCallback, callbackData: dwCallbackData)
    }
}

// MARK: sockets

@_cdecl("WSPSocket")
public func WSPSocket(_ af: Int32, _ type: Int32, _ protocol: Int32, _ dwProviderId: DWORD, _ nFlags: Int32,
                      _ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
    value(lpErrno, failure: invalidSocket) { p throws(WSAError) in
        try p.socket(family: af, type: type, protocol: `protocol`, providerID: dwProviderId, flags: nFlags)
    }
}

@_cdecl("WSPBind")
public func WSPBind(_ s: SOCKET, _ name: UnsafePointer<WS_sockaddr>?, _ namelen: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        try checkPointers(name)
        try p.bind(s, name: name, length: namelen)
    }
}

@_cdecl("WSPListen")
public func WSPListen(_ s: SOCKET, _ backlog: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in try p.listen(s, backlog: backlog) }
}

@_cdecl("WSPAccept")
public func WSPAccept(_ s: SOCKET, _ addr: UnsafeMutablePointer<WS_sockaddr>?, _ addrlen: UnsafeMutablePointer<Int32>?,
                      _ lpfnCondition: LPCONDITIONPROC?, _ dwCallbackData: DWORD, _ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
    value(lpErrno, failure: invalidSocket) { p throws(WSAError) in
        try checkPointers(addr, addrlen)
        if isBadFunction(lpfnCondition) { throw .fault }
        return try p.accept(s, address: addr, length: addrlen, condition: lpfnCondition, callbackData: dwCallbackData)
    }
}

@_cdecl("WSPConnect")
public func WSPConnect(_ s: SOCKET, _ name: UnsafePointer<WS_sockaddr>?, _ namelen: Int32,
                       _ lpCallerData: LPWSABUF?, _ lpCalleeData: LPWSABUF?, _ g: GROUP,
                       _ lpSFlowspec: LPQOS?, _ lpGFlowspec: LPQOS?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        try checkPointers(name, lpCallerData, lpCalleeData, lpSFlowspec, lpGFlowspec)
        // The connect data's buffers, when they have a length (WSABUF.buf).
        if let lpCallerData, lpCallerData.pointee.len > 0, isBadPointer(lpCallerData.pointee.buf) { throw .fault }
        if let lpCalleeData, lpCalleeData.pointee.len > 0, isBadPointer(lpCalleeData.pointee.buf) { throw .fault }
        try p.connect(s, name: name, length: namelen, callerData: lpCallerData, calleeData: lpCalleeData,
                      group: g, socketFlowspec: lpSFlowspec, groupFlowspec: lpGFlowspec)
    }
}

@_cdecl("WSPCloseSocket")
public func WSPCloseSocket(_ s: SOCKET, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in try p.closeSocket(s) }
}

@_cdecl("WSPShutdown")
public func WSPShutdown(_ s: SOCKET, _ how: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in try p.shutdown(s, how: how) }
}

@_cdecl("WSPGetPeerName")
public func WSPGetPeerName(_ s: SOCKET, _ name: UnsafeMutablePointer<WS_sockaddr>?, _ namelen: UnsafeMutablePointer<Int32>?,
                           _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        try checkPointers(name, namelen)
        try p.getPeerName(s, name: name, length: namelen)
    }
}

@_cdecl("WSPGetSockName")
public func WSPGetSockName(_ s: SOCKET, _ name: UnsafeMutablePointer<WS_sockaddr>?, _ namelen: UnsafeMutablePointer<Int32>?,
                           _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        try checkPointers(name, namelen)
        try p.getSockName(s, name: name, length: namelen)
    }
}

@_cdecl("WSPGetSockOpt")
public func WSPGetSockOpt(_ s: SOCKET, _ level: Int32, _ optname: Int32, _ optval: UnsafeMutablePointer<CChar>?,
                          _ optlen: UnsafeMutablePointer<Int32>?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        try checkPointers(optval, optlen)
        try p.getSockOpt(s, level: level, name: optname, value: optval, length: optlen)
    }
}

@_cdecl("WSPSetSockOpt")
public func WSPSetSockOpt(_ s: SOCKET, _ level: Int32, _ optname: Int32, _ optval: UnsafePointer<CChar>?,
                          _ optlen: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        let optval = try checkBuffer(optval, optval, length: Int64(optlen))
        try p.setSockOpt(s, level: level, name: optname, value: optval, length: optlen)
    }
}

@_cdecl("WSPIoctlSocket")
public func WSPIoctlSocket(_ s: SOCKET, _ cmd: Int32, _ argp: UnsafeMutablePointer<WS_u_long>?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        try checkPointers(argp)
        try p.ioctlSocket(s, command: cmd, argument: argp)
    }
}

@_cdecl("WSPSelect")
public func WSPSelect(_ nfds: Int32, _ readfds: UnsafeMutablePointer<WS_fd_set>?, _ writefds: UnsafeMutablePointer<WS_fd_set>?,
                      _ exceptfds: UnsafeMutablePointer<WS_fd_set>?, _ timeout: UnsafePointer<WS_timeval>?,
                      _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    value(lpErrno, failure: socketError) { p throws(WSAError) in
        try checkPointers(readfds, writefds, exceptfds, timeout)
        return try p.select(read: readfds, write: writefds, except: exceptfds, timeout: timeout)
    }
}

// MARK: data transfer

@_cdecl("WSPRecv")
public func WSPRecv(_ s: SOCKET, _ lpBuffer: UnsafeMutableRawPointer?, _ nNumberOfBytesToRecv: DWORD,
                    _ lpNumberOfBytesRecvd: LPDWORD?, _ lpFlags: LPINT?, _ lpOverlapped: LPWSAOVERLAPPED?,
                    _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        let lpBuffer = try checkBuffer(lpBuffer, lpBuffer, length: Int64(nNumberOfBytesToRecv))
        try checkPointers(lpNumberOfBytesRecvd, lpFlags, lpOverlapped)
        if isBadFunction(lpCompletionRoutine) { throw .fault }
        try p.receive(s, buffer: lpBuffer, length: nNumberOfBytesToRecv, received: lpNumberOfBytesRecvd, flags: lpFlags,
                      from: nil, fromLength: nil, overlapped: lpOverlapped, completion: lpCompletionRoutine)
    }
}

@_cdecl("WSPRecvFrom")
public func WSPRecvFrom(_ s: SOCKET, _ lpBuffer: UnsafeMutableRawPointer?, _ nNumberOfBytesToRecv: DWORD,
                        _ lpNumberOfBytesRecvd: LPDWORD?, _ lpFlags: LPINT?, _ lpFrom: UnsafeMutableRawPointer?,
                        _ lpFromlen: LPINT?, _ lpOverlapped: LPWSAOVERLAPPED?,
                        _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        let lpBuffer = try checkBuffer(lpBuffer, lpBuffer, length: Int64(nNumberOfBytesToRecv))
        try checkPointers(lpNumberOfBytesRecvd, lpFlags, lpFrom, lpFromlen, lpOverlapped)
        if isBadFunction(lpCompletionRoutine) { throw .fault }
        try p.receive(s, buffer: lpBuffer, length: nNumberOfBytesToRecv, received: lpNumberOfBytesRecvd, flags: lpFlags,
                      from: lpFrom, fromLength: lpFromlen, overlapped: lpOverlapped, completion: lpCompletionRoutine)
    }
}

@_cdecl("WSPSend")
public func WSPSend(_ s: SOCKET, _ lpBuffer: UnsafeMutableRawPointer?, _ nNumberOfBytesToSend: DWORD,
                    _ lpNumberOfBytesSent: LPDWORD?, _ nFlags: Int32, _ lpOverlapped: LPWSAOVERLAPPED?,
                    _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        let lpBuffer = try checkBuffer(lpBuffer, lpBuffer, length: Int64(nNumberOfBytesToSend))
        try checkPointers(lpNumberOfBytesSent, lpOverlapped)
        if isBadFunction(lpCompletionRoutine) { throw .fault }
        try p.send(s, buffer: lpBuffer, length: nNumberOfBytesToSend, sent: lpNumberOfBytesSent, flags: nFlags,
                   to: nil, toLength: nil, overlapped: lpOverlapped, completion: lpCompletionRoutine)
    }
}

@_cdecl("WSPSendTo")
public func WSPSendTo(_ s: SOCKET, _ lpBuffer: UnsafeMutableRawPointer?, _ nNumberOfBytesToSend: DWORD,
                      _ lpNumberOfBytesSent: LPDWORD?, _ nFlags: Int32, _ lpTo: UnsafeMutableRawPointer?, _ nTolen: Int32,
                      _ lpOverlapped: LPWSAOVERLAPPED?, _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?,
                      _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        let lpBuffer = try checkBuffer(lpBuffer, lpBuffer, length: Int64(nNumberOfBytesToSend))
        try checkPointers(lpNumberOfBytesSent, lpTo, lpOverlapped)
        if isBadFunction(lpCompletionRoutine) { throw .fault }
        try p.send(s, buffer: lpBuffer, length: nNumberOfBytesToSend, sent: lpNumberOfBytesSent, flags: nFlags,
                   to: lpTo, toLength: nTolen, overlapped: lpOverlapped, completion: lpCompletionRoutine)
    }
}

// MARK: notification models

@_cdecl("WSPAsyncSelect32")
public func WSPAsyncSelect32(_ s: SOCKET, _ hWnd: HWND?, _ wMsg: UInt32, _ lEvent: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in try p.asyncSelect(s, window: hWnd, message: wMsg, events: lEvent) }
}

@_cdecl("WSPCallbackSelect16")
public func WSPCallbackSelect16(_ s: SOCKET, _ lpfnCallback: LPSELECTPROC?, _ dwCallbackData: DWORD, _ lEvent: Int32,
                                _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        if isBadFunction(lpfnCallback) { throw .fault }
        try p.callbackSelect(s, callback: lpfnCallback, callbackData: dwCallbackData, events: lEvent)
    }
}

@_cdecl("WSPEventSelect")
public func WSPEventSelect(_ s: SOCKET, _ hEventObject: WSAEVENT?, _ lNetworkEvents: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in try p.eventSelect(s, event: hEventObject, events: lNetworkEvents) }
}

@_cdecl("WSPEnumNetworkEvents")
public func WSPEnumNetworkEvents(_ s: SOCKET, _ hEventObject: WSAEVENT?, _ lpNetworkEvents: LPWSANETWORKEVENT?,
                                 _ lpiCount: LPINT?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in
        try checkPointers(lpNetworkEvents, lpiCount)
        try p.enumNetworkEvents(s, event: hEventObject, records: lpNetworkEvents, count: lpiCount)
    }
}

// MARK: blocking hooks

@_cdecl("WSPSetBlockingHook32")
public func WSPSetBlockingHook32(_ lpBlockFunc: LPBLOCKINGPROC?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> LPBLOCKINGPROC? {
    value(lpErrno, failure: nil) { p throws(WSAError) in
        if isBadFunction(lpBlockFunc) { throw .fault }
        return try p.setBlockingHook(lpBlockFunc)
    }
}

@_cdecl("WSPUnhookBlockingHook32")
public func WSPUnhookBlockingHook32(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    status(lpErrno) { p throws(WSAError) in try p.unhookBlockingHook() }
}

@_cdecl("WSPIsBlocking32")
public func WSPIsBlocking32() -> BOOL {
    installedProvider.isBlocking() ? 1 : 0
}

@_cdecl("WSPCancelBlockingCall32")
public func WSPCancelBlockingCall32(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    // The one call a blocking hook may make (RULINGS §5).
    status(lpErrno, gated: false) { p throws(WSAError) in try p.cancelBlockingCall() }
}
