// One @_cdecl thunk per SPI entry point, with the exact C signature of
// ws2spi.h (RULINGS §1 names). No logic here: the provider does the work.
// Each thunk first fails with WSAEFAULT on a pointer below 64 KiB in any
// position (RULINGS §4; WS2Base's ErrorDestinations.swift). dwCallbackData is a
// value, and handles (SOCKET, WSAEVENT, HWND) are checked as handles.
//
// Tracing (WS2SPI_TRACE, SO_DEBUG; Trace/): each thunk's work is its local
// `call`, given the lpErrno to use. Before anything else a thunk makes one
// load (`Trace.isOn`, C static storage); while nothing is traced it is zero
// and the thunk runs `call(lpErrno)`. Otherwise the call goes through
// `Traced`, which decides whether this call is traced and writes its line.
import CWS2SPI

// MARK: start-up and clean-up

@_cdecl("WSPStartup")
public func WSPStartup(_ wVersionRequested: WORD, _ lpWSAData: LPWSADATA?) -> Int32 {
    @inline(__always) func call() -> Int32 {
        // From inside a blocking hook (RULINGS §5); the code is the result here.
        if calledFromBlockingHook { return WSAError.inProgress.code }
        if isBadPointer(lpWSAData) { return WSAError.fault.code }
        // The kit's start-up duty, for every provider: the globals the
        // engine thread shares, made before it can exist (fork safety).
        ProviderKitGlobals.initialize()
        return installedProvider.startup(version: wVersionRequested, data: lpWSAData)
    }
    // WS2SPI_TRACE is read at every start-up, first: this one is traced too.
    Trace.configureFromEnvironment()
    if _slowPath(Trace.isOn) { return Traced.startup(wVersionRequested, lpWSAData, call) }
    return call()
}

@_cdecl("WSPCleanup")
public func WSPCleanup(_ lpfnCallback: LPCLEANUPPROC?, _ dwCallbackData: DWORD, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            if isBadFunction(lpfnCallback) { throw .fault }
            try p.cleanup(callback: lpfnCallback, callbackData: dwCallbackData)
            // The kit's clean-up duty: the last WSPCleanup stops the event
            // engine, for a provider that left it running (one that stops it
            // under its own lock, as KernelSocketProvider does, sees no
            // effect). No lock is held here: an engine-thread callback may
            // call the SPI while the engine is being stopped.
            if !p.isStarted { Reactor.shared.stop() }
        }
    }
    if _slowPath(Trace.isOn) { return Traced.cleanup(lpfnCallback, dwCallbackData, lpErrno, call) }
    return call(lpErrno)
}

// MARK: sockets

@_cdecl("WSPSocket")
public func WSPSocket(_ af: Int32, _ type: Int32, _ protocol: Int32, _ dwProviderId: DWORD, _ nFlags: Int32,
                      _ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
        value(lpErrno, failure: invalidSocket) { p throws(WSAError) in
            try p.socket(family: af, type: type, protocol: `protocol`, providerID: dwProviderId, flags: nFlags)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.socket(af, type, `protocol`, dwProviderId, nFlags, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPBind")
public func WSPBind(_ s: SOCKET, _ name: UnsafePointer<WS_sockaddr>?, _ namelen: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            try checkPointers(name)
            try p.bind(s, name: name, length: namelen)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.bind(s, name, namelen, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPListen")
public func WSPListen(_ s: SOCKET, _ backlog: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in try p.listen(s, backlog: backlog) }
    }
    if _slowPath(Trace.isOn) { return Traced.listen(s, backlog, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPAccept")
public func WSPAccept(_ s: SOCKET, _ addr: UnsafeMutablePointer<WS_sockaddr>?, _ addrlen: UnsafeMutablePointer<Int32>?,
                      _ lpfnCondition: LPCONDITIONPROC?, _ dwCallbackData: DWORD, _ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
        value(lpErrno, failure: invalidSocket) { p throws(WSAError) in
            try checkPointers(addr, addrlen)
            if isBadFunction(lpfnCondition) { throw .fault }
            return try p.accept(s, address: addr, length: addrlen, condition: lpfnCondition, callbackData: dwCallbackData)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.accept(s, addr, addrlen, lpfnCondition, dwCallbackData, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPConnect")
public func WSPConnect(_ s: SOCKET, _ name: UnsafePointer<WS_sockaddr>?, _ namelen: Int32,
                       _ lpCallerData: LPWSABUF?, _ lpCalleeData: LPWSABUF?, _ g: GROUP,
                       _ lpSFlowspec: LPQOS?, _ lpGFlowspec: LPQOS?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            try checkPointers(name, lpCallerData, lpCalleeData, lpSFlowspec, lpGFlowspec)
            // The connect data's buffers, when they have a length (WSABUF.buf).
            if let lpCallerData, lpCallerData.pointee.len > 0, isBadPointer(lpCallerData.pointee.buf) { throw .fault }
            if let lpCalleeData, lpCalleeData.pointee.len > 0, isBadPointer(lpCalleeData.pointee.buf) { throw .fault }
            try p.connect(s, name: name, length: namelen, callerData: lpCallerData, calleeData: lpCalleeData,
                          group: g, socketFlowspec: lpSFlowspec, groupFlowspec: lpGFlowspec)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.connect(s, name, namelen, lpCallerData, lpCalleeData, g, lpSFlowspec, lpGFlowspec, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPCloseSocket")
public func WSPCloseSocket(_ s: SOCKET, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in try p.closeSocket(s) }
    }
    if _slowPath(Trace.isOn) { return Traced.closeSocket(s, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPShutdown")
public func WSPShutdown(_ s: SOCKET, _ how: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in try p.shutdown(s, how: how) }
    }
    if _slowPath(Trace.isOn) { return Traced.shutdown(s, how, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPGetPeerName")
public func WSPGetPeerName(_ s: SOCKET, _ name: UnsafeMutablePointer<WS_sockaddr>?, _ namelen: UnsafeMutablePointer<Int32>?,
                           _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            try checkPointers(name, namelen)
            try p.getPeerName(s, name: name, length: namelen)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.name("WSPGetPeerName", s, name, namelen, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPGetSockName")
public func WSPGetSockName(_ s: SOCKET, _ name: UnsafeMutablePointer<WS_sockaddr>?, _ namelen: UnsafeMutablePointer<Int32>?,
                           _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            try checkPointers(name, namelen)
            try p.getSockName(s, name: name, length: namelen)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.name("WSPGetSockName", s, name, namelen, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPGetSockOpt")
public func WSPGetSockOpt(_ s: SOCKET, _ level: Int32, _ optname: Int32, _ optval: UnsafeMutablePointer<CChar>?,
                          _ optlen: UnsafeMutablePointer<Int32>?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            try checkPointers(optval, optlen)
            try p.getSockOpt(s, level: level, name: optname, value: optval, length: optlen)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.getSockOpt(s, level, optname, optval, optlen, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPSetSockOpt")
public func WSPSetSockOpt(_ s: SOCKET, _ level: Int32, _ optname: Int32, _ optval: UnsafePointer<CChar>?,
                          _ optlen: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            let optval = try checkBuffer(optval, optval, length: Int64(optlen))
            try p.setSockOpt(s, level: level, name: optname, value: optval, length: optlen)
        }
    }
    // Setting SO_DEBUG goes the traced way too, so that the call which turns
    // a socket's trace on is the first line of it (a compare, no load).
    if _slowPath(Trace.isOn) || _slowPath(optname == 0x0001 && level == 0xFFFF) {
        return Traced.setSockOpt(s, level, optname, optval, optlen, lpErrno, call)
    }
    return call(lpErrno)
}

@_cdecl("WSPIoctlSocket")
public func WSPIoctlSocket(_ s: SOCKET, _ cmd: Int32, _ argp: UnsafeMutablePointer<WS_u_long>?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            try checkPointers(argp)
            try p.ioctlSocket(s, command: cmd, argument: argp)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.ioctlSocket(s, cmd, argp, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPSelect")
public func WSPSelect(_ nfds: Int32, _ readfds: UnsafeMutablePointer<WS_fd_set>?, _ writefds: UnsafeMutablePointer<WS_fd_set>?,
                      _ exceptfds: UnsafeMutablePointer<WS_fd_set>?, _ timeout: UnsafePointer<WS_timeval>?,
                      _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        value(lpErrno, failure: socketError) { p throws(WSAError) in
            try checkPointers(readfds, writefds, exceptfds, timeout)
            return try p.select(read: readfds, write: writefds, except: exceptfds, timeout: timeout)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.select(nfds, readfds, writefds, exceptfds, timeout, lpErrno, call) }
    return call(lpErrno)
}

// MARK: data transfer

@_cdecl("WSPRecv")
public func WSPRecv(_ s: SOCKET, _ lpBuffer: UnsafeMutableRawPointer?, _ nNumberOfBytesToRecv: DWORD,
                    _ lpNumberOfBytesRecvd: LPDWORD?, _ lpFlags: LPINT?, _ lpOverlapped: LPWSAOVERLAPPED?,
                    _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            let lpBuffer = try checkBuffer(lpBuffer, lpBuffer, length: Int64(nNumberOfBytesToRecv))
            try checkPointers(lpNumberOfBytesRecvd, lpFlags, lpOverlapped)
            if isBadFunction(lpCompletionRoutine) { throw .fault }
            try p.receive(s, buffer: lpBuffer, length: nNumberOfBytesToRecv, received: lpNumberOfBytesRecvd, flags: lpFlags,
                          from: nil, fromLength: nil, overlapped: lpOverlapped, completion: lpCompletionRoutine)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.receive("WSPRecv", s, nNumberOfBytesToRecv, lpNumberOfBytesRecvd, lpFlags, nil, nil,
                                                   lpOverlapped, lpCompletionRoutine, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPRecvFrom")
public func WSPRecvFrom(_ s: SOCKET, _ lpBuffer: UnsafeMutableRawPointer?, _ nNumberOfBytesToRecv: DWORD,
                        _ lpNumberOfBytesRecvd: LPDWORD?, _ lpFlags: LPINT?, _ lpFrom: UnsafeMutableRawPointer?,
                        _ lpFromlen: LPINT?, _ lpOverlapped: LPWSAOVERLAPPED?,
                        _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            let lpBuffer = try checkBuffer(lpBuffer, lpBuffer, length: Int64(nNumberOfBytesToRecv))
            try checkPointers(lpNumberOfBytesRecvd, lpFlags, lpFrom, lpFromlen, lpOverlapped)
            if isBadFunction(lpCompletionRoutine) { throw .fault }
            try p.receive(s, buffer: lpBuffer, length: nNumberOfBytesToRecv, received: lpNumberOfBytesRecvd, flags: lpFlags,
                          from: lpFrom, fromLength: lpFromlen, overlapped: lpOverlapped, completion: lpCompletionRoutine)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.receive("WSPRecvFrom", s, nNumberOfBytesToRecv, lpNumberOfBytesRecvd, lpFlags, lpFrom, lpFromlen,
                                                   lpOverlapped, lpCompletionRoutine, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPSend")
public func WSPSend(_ s: SOCKET, _ lpBuffer: UnsafeMutableRawPointer?, _ nNumberOfBytesToSend: DWORD,
                    _ lpNumberOfBytesSent: LPDWORD?, _ nFlags: Int32, _ lpOverlapped: LPWSAOVERLAPPED?,
                    _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            let lpBuffer = try checkBuffer(lpBuffer, lpBuffer, length: Int64(nNumberOfBytesToSend))
            try checkPointers(lpNumberOfBytesSent, lpOverlapped)
            if isBadFunction(lpCompletionRoutine) { throw .fault }
            try p.send(s, buffer: lpBuffer, length: nNumberOfBytesToSend, sent: lpNumberOfBytesSent, flags: nFlags,
                       to: nil, toLength: nil, overlapped: lpOverlapped, completion: lpCompletionRoutine)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.send("WSPSend", s, nNumberOfBytesToSend, lpNumberOfBytesSent, nFlags, nil, nil,
                                                lpOverlapped, lpCompletionRoutine, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPSendTo")
public func WSPSendTo(_ s: SOCKET, _ lpBuffer: UnsafeMutableRawPointer?, _ nNumberOfBytesToSend: DWORD,
                      _ lpNumberOfBytesSent: LPDWORD?, _ nFlags: Int32, _ lpTo: UnsafeMutableRawPointer?, _ nTolen: Int32,
                      _ lpOverlapped: LPWSAOVERLAPPED?, _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?,
                      _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            let lpBuffer = try checkBuffer(lpBuffer, lpBuffer, length: Int64(nNumberOfBytesToSend))
            try checkPointers(lpNumberOfBytesSent, lpTo, lpOverlapped)
            if isBadFunction(lpCompletionRoutine) { throw .fault }
            try p.send(s, buffer: lpBuffer, length: nNumberOfBytesToSend, sent: lpNumberOfBytesSent, flags: nFlags,
                       to: lpTo, toLength: nTolen, overlapped: lpOverlapped, completion: lpCompletionRoutine)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.send("WSPSendTo", s, nNumberOfBytesToSend, lpNumberOfBytesSent, nFlags, lpTo, nTolen,
                                                lpOverlapped, lpCompletionRoutine, lpErrno, call) }
    return call(lpErrno)
}

// MARK: notification models

@_cdecl("WSPAsyncSelect32")
public func WSPAsyncSelect32(_ s: SOCKET, _ hWnd: HWND?, _ wMsg: UInt32, _ lEvent: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in try p.asyncSelect(s, window: hWnd, message: wMsg, events: lEvent) }
    }
    if _slowPath(Trace.isOn) { return Traced.asyncSelect(s, hWnd, wMsg, lEvent, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPCallbackSelect16")
public func WSPCallbackSelect16(_ s: SOCKET, _ lpfnCallback: LPSELECTPROC?, _ dwCallbackData: DWORD, _ lEvent: Int32,
                                _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            if isBadFunction(lpfnCallback) { throw .fault }
            try p.callbackSelect(s, callback: lpfnCallback, callbackData: dwCallbackData, events: lEvent)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.callbackSelect(s, lpfnCallback, dwCallbackData, lEvent, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPEventSelect")
public func WSPEventSelect(_ s: SOCKET, _ hEventObject: WSAEVENT?, _ lNetworkEvents: Int32, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in try p.eventSelect(s, event: hEventObject, events: lNetworkEvents) }
    }
    if _slowPath(Trace.isOn) { return Traced.eventSelect(s, hEventObject, lNetworkEvents, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPEnumNetworkEvents")
public func WSPEnumNetworkEvents(_ s: SOCKET, _ hEventObject: WSAEVENT?, _ lpNetworkEvents: LPWSANETWORKEVENT?,
                                 _ lpiCount: LPINT?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in
            try checkPointers(lpNetworkEvents, lpiCount)
            try p.enumNetworkEvents(s, event: hEventObject, records: lpNetworkEvents, count: lpiCount)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.enumNetworkEvents(s, hEventObject, lpNetworkEvents, lpiCount, lpErrno, call) }
    return call(lpErrno)
}

// MARK: blocking hooks

@_cdecl("WSPSetBlockingHook32")
public func WSPSetBlockingHook32(_ lpBlockFunc: LPBLOCKINGPROC?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> LPBLOCKINGPROC? {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> LPBLOCKINGPROC? {
        value(lpErrno, failure: nil) { p throws(WSAError) in
            if isBadFunction(lpBlockFunc) { throw .fault }
            return try p.setBlockingHook(lpBlockFunc)
        }
    }
    if _slowPath(Trace.isOn) { return Traced.setBlockingHook(lpBlockFunc, lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPUnhookBlockingHook32")
public func WSPUnhookBlockingHook32(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        status(lpErrno) { p throws(WSAError) in try p.unhookBlockingHook() }
    }
    if _slowPath(Trace.isOn) { return Traced.plain("WSPUnhookBlockingHook32", lpErrno, call) }
    return call(lpErrno)
}

@_cdecl("WSPIsBlocking32")
public func WSPIsBlocking32() -> BOOL {
    @inline(__always) func call() -> BOOL { installedProvider.isBlocking() ? 1 : 0 }
    if _slowPath(Trace.isOn) { return Traced.isBlocking(call) }
    return call()
}

@_cdecl("WSPCancelBlockingCall32")
public func WSPCancelBlockingCall32(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    @inline(__always) func call(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
        // The one call a blocking hook may make (RULINGS §5).
        status(lpErrno, gated: false) { p throws(WSAError) in try p.cancelBlockingCall() }
    }
    if _slowPath(Trace.isOn) { return Traced.plain("WSPCancelBlockingCall32", lpErrno, call) }
    return call(lpErrno)
}
