// One @_cdecl thunk per host service (RULINGS §6), with the exact C
// signature of ws2spi.h. No logic here: Services/ does the work. None of
// them needs WSPStartup. Errors go to the calling thread's last error
// (WSAGetLastError), except the upcalls' (lpErrno); the helpers are in
// WS2Base's ErrorDestinations.swift, where a pointer below 64 KiB is
// WSAEFAULT (RULINGS §4).
import CWS2SPI
import WS2Base

// MARK: last error

@_cdecl("WSAGetLastError")
public func WSAGetLastError() -> Int32 { LastError.get() }

@_cdecl("WSASetLastError")
public func WSASetLastError(_ iError: Int32) { LastError.set(iError) }

// MARK: event objects

@_cdecl("WSACreateEvent")
public func WSACreateEvent() -> WSAEVENT? {
    lastErrorValue(failure: nil) { () throws(WSAError) in try EventObjects.create() }
}

@_cdecl("WSASetEvent")
public func WSASetEvent(_ hEvent: WSAEVENT?) -> BOOL { lastErrorBool(EventObjects.set(hEvent), else: HostError.invalidHandle) }

@_cdecl("WSAResetEvent")
public func WSAResetEvent(_ hEvent: WSAEVENT?) -> BOOL { lastErrorBool(EventObjects.reset(hEvent), else: HostError.invalidHandle) }

@_cdecl("WSACloseEvent")
public func WSACloseEvent(_ hEvent: WSAEVENT?) -> BOOL { lastErrorBool(EventObjects.close(hEvent), else: HostError.invalidHandle) }

@_cdecl("WSAWaitForMultipleEvents")
public func WSAWaitForMultipleEvents(_ cEvents: DWORD, _ lphEvents: UnsafePointer<WSAEVENT?>?, _ fWaitAll: BOOL,
                                     _ dwTimeout: DWORD, _ fAlertable: BOOL) -> DWORD {
    lastErrorValue(failure: WSA_WAIT_FAILED) { () throws(WSAError) in
        try checkPointers(lphEvents)
        return try EventObjects.wait(count: cEvents, events: lphEvents, all: fWaitAll != 0, timeout: dwTimeout, alertable: fAlertable != 0)
    }
}

// MARK: APCs and alertable waits

@_cdecl("SleepEx")
public func SleepEx(_ dwMilliseconds: DWORD, _ bAlertable: BOOL) -> DWORD {
    Wait.sleep(milliseconds: dwMilliseconds, alertable: bAlertable != 0)
}

@_cdecl("WPUXxxGetCurrentThreadId32")
public func WPUXxxGetCurrentThreadId32() -> DWORD { APC.currentThreadID() }

@_cdecl("WPUXxxQueueUserAPC32")
public func WPUXxxQueueUserAPC32(_ dwThreadId: DWORD, _ lpfnUserApc: LPWSAUSERAPC?, _ dwContext: DWORD,
                                 _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in
        if isBadFunction(lpfnUserApc) { throw .fault }
        try APC.queue(thread: dwThreadId, function: lpfnUserApc, context: dwContext)
    }
}

// MARK: message windows

@_cdecl("WS2CreateMessageWindow")
public func WS2CreateMessageWindow() -> HWND? {
    lastErrorValue(failure: nil) { () throws(WSAError) in try MessageWindows.create() }
}

@_cdecl("WS2DestroyMessageWindow")
public func WS2DestroyMessageWindow(_ hWnd: HWND?) -> BOOL { lastErrorBool(MessageWindows.destroy(hWnd), else: HostError.invalidHandle) }

@_cdecl("WS2GetMessage")
public func WS2GetMessage(_ msg: UnsafeMutablePointer<WS2MSG>?, _ hWnd: HWND?, _ dwTimeout: DWORD) -> BOOL {
    lastErrorBool { () throws(WSAError) in
        try checkPointers(msg)
        try MessageWindows.getMessage(msg, hWnd, timeout: dwTimeout)
    }
}

// MARK: overlapped results

@_cdecl("WSAGetOverlappedResult")
public func WSAGetOverlappedResult(_ s: SOCKET, _ lpOverlapped: LPWSAOVERLAPPED?, _ lpcbTransfer: LPDWORD?,
                                   _ fWait: BOOL, _ lpdwFlags: LPDWORD?) -> BOOL {
    lastErrorBool { () throws(WSAError) in
        try checkPointers(lpOverlapped, lpcbTransfer, lpdwFlags)
        // Any provider's operation (RULINGS §13): the socket is checked by
        // its provider, the result read from the structure.
        try SocketRanges.check(s)
        try OverlappedStatus.result(lpOverlapped, transferred: lpcbTransfer, wait: fWait != 0, flags: lpdwFlags)
    }
}
