// The upcalls a provider library makes that the draft does not name (RULINGS
// §13: the Winsock DLL and the providers are separate libraries, and the
// provider reaches the host's handles only through C functions). One
// @_cdecl thunk each, with the C signature of ws2spi.h; Services/ does the
// work. None needs WSPStartup.
import CWS2SPI
import WS2Base

@_cdecl("WPUXxxReserveSocketRange")
public func WPUXxxReserveSocketRange(_ lpfnCheck: LPWPUSOCKETCHECKPROC?, _ lpwFirst: UnsafeMutablePointer<WORD>?, _ lpwLast: UnsafeMutablePointer<WORD>?,
                                     _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in
        try checkPointers(lpwFirst, lpwLast)
        guard let lpfnCheck, !isBadFunction(lpfnCheck), let lpwFirst, let lpwLast else { throw .fault }
        // The provider calls this from WSPStartup before its engine thread
        // exists: the host's globals are made here, not first in a race.
        HostGlobals.initialize()
        let range = try SocketRanges.reserve(check: lpfnCheck)
        lpwFirst.pointee = range.lowerBound
        lpwLast.pointee = range.upperBound
    }
}

@_cdecl("WPUXxxIsEventHandle")
public func WPUXxxIsEventHandle(_ hEvent: WSAEVENT?) -> BOOL { EventObjects.isValid(hEvent) ? 1 : 0 }

@_cdecl("WPUXxxIsWindowHandle")
public func WPUXxxIsWindowHandle(_ hWnd: HWND?) -> BOOL { MessageWindows.isValid(hWnd) ? 1 : 0 }

@_cdecl("WPUXxxPostMessage")
public func WPUXxxPostMessage(_ hWnd: HWND?, _ msg: UInt32, _ wParam: WPARAM, _ lParam: LPARAM) -> BOOL {
    lastErrorBool(MessageWindows.post(hWnd, message: msg, wParam: wParam, lParam: lParam), else: HostError.invalidHandle)
}

@_cdecl("WPUXxxCompleteOverlappedRequest")
public func WPUXxxCompleteOverlappedRequest(_ lpOverlapped: LPWSAOVERLAPPED?, _ dwError: DWORD, _ cbTransferred: DWORD,
                                            _ dwFlags: DWORD, _ hEvent: WSAEVENT?,
                                            _ lpCompletionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?,
                                            _ dwThreadId: DWORD, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in
        try checkPointers(lpOverlapped)
        guard let lpOverlapped else { throw .fault }
        if isBadFunction(lpCompletionRoutine) { throw .fault }
        guard OverlappedReport.complete(lpOverlapped, error: dwError, bytes: cbTransferred, flags: dwFlags,
                                            event: hEvent, routine: lpCompletionRoutine, thread: dwThreadId)
        else { throw .invalidArgument }
    }
}
