// What a provider does not implement: every SPI method has a default that
// fails as Winsock does for an operation the provider lacks. Before any
// start-up the answer is WSANOTINITIALISED (RULINGS §3), else WSAEOPNOTSUPP.
// A provider overrides what it supports; `startup`, `cleanup`, `isStarted`,
// `socket`, `closeSocket` and `checkSocket` have no default. The four
// blocking-hook methods have real ones (BlockingHooks.swift).
import CWS2SPI

extension ServiceProvider {
    /// WSANOTINITIALISED before start-up, else WSAEOPNOTSUPP.
    @inline(never)
    public func unsupported() -> WSAError { isStarted ? .operationNotSupported : .notInitialised }

    public func bind(_ s: SOCKET, name: UnsafePointer<WS_sockaddr>?, length: Int32) throws(WSAError) { throw unsupported() }
    public func listen(_ s: SOCKET, backlog: Int32) throws(WSAError) { throw unsupported() }
    public func accept(_ s: SOCKET, address: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?,
                       condition: LPCONDITIONPROC?, callbackData: DWORD) throws(WSAError) -> SOCKET { throw unsupported() }
    public func connect(_ s: SOCKET, name: UnsafePointer<WS_sockaddr>?, length: Int32,
                        callerData: LPWSABUF?, calleeData: LPWSABUF?, group: GROUP,
                        socketFlowspec: LPQOS?, groupFlowspec: LPQOS?) throws(WSAError) { throw unsupported() }
    public func shutdown(_ s: SOCKET, how: Int32) throws(WSAError) { throw unsupported() }
    public func getPeerName(_ s: SOCKET, name: UnsafeMutablePointer<WS_sockaddr>?,
                            length: UnsafeMutablePointer<Int32>?) throws(WSAError) { throw unsupported() }
    public func getSockName(_ s: SOCKET, name: UnsafeMutablePointer<WS_sockaddr>?,
                            length: UnsafeMutablePointer<Int32>?) throws(WSAError) { throw unsupported() }
    public func getSockOpt(_ s: SOCKET, level: Int32, name: Int32, value: UnsafeMutablePointer<CChar>?,
                           length: UnsafeMutablePointer<Int32>?) throws(WSAError) { throw unsupported() }
    public func setSockOpt(_ s: SOCKET, level: Int32, name: Int32, value: UnsafePointer<CChar>?,
                           length: Int32) throws(WSAError) { throw unsupported() }
    public func ioctlSocket(_ s: SOCKET, command: Int32, argument: UnsafeMutablePointer<WS_u_long>?) throws(WSAError) {
        throw unsupported()
    }
    public func select(read: UnsafeMutablePointer<WS_fd_set>?, write: UnsafeMutablePointer<WS_fd_set>?,
                       except: UnsafeMutablePointer<WS_fd_set>?, timeout: UnsafePointer<WS_timeval>?) throws(WSAError) -> Int32 {
        throw unsupported()
    }
    public func receive(_ s: SOCKET, buffer: UnsafeMutableRawPointer?, length: DWORD, received: LPDWORD?, flags: LPINT?,
                        from: UnsafeMutableRawPointer?, fromLength: LPINT?,
                        overlapped: LPWSAOVERLAPPED?, completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        throw unsupported()
    }
    public func send(_ s: SOCKET, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
                     to: UnsafeRawPointer?, toLength: Int32?,
                     overlapped: LPWSAOVERLAPPED?, completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        throw unsupported()
    }
    public func asyncSelect(_ s: SOCKET, window: HWND?, message: UInt32, events: Int32) throws(WSAError) { throw unsupported() }
    public func callbackSelect(_ s: SOCKET, callback: LPSELECTPROC?, callbackData: DWORD, events: Int32) throws(WSAError) {
        throw unsupported()
    }
    public func eventSelect(_ s: SOCKET, event: WSAEVENT?, events: Int32) throws(WSAError) { throw unsupported() }
    public func enumNetworkEvents(_ s: SOCKET, event: WSAEVENT?, records: LPWSANETWORKEVENT?,
                                  count: LPINT?) throws(WSAError) { throw unsupported() }
    // The blocking-hook methods have working defaults: BlockingHooks.swift.
}
