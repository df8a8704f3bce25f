// What a provider supplies: one Swift method per SPI entry point, in the C
// types of ws2spi.h. The export thunks (Exports/) call these and write
// lpErrno; a provider never sees lpErrno.
import CWS2SPI

/// A Winsock 2 service provider written in Swift.
///
/// Methods throw a ``WSAError`` where the C function stores an error in
/// `lpErrno` and returns SOCKET_ERROR / INVALID_SOCKET. Pointer arguments are
/// passed through unchecked: the provider validates them, since what a NULL
/// means differs per parameter (an error, or "not wanted").
public protocol ServiceProvider: AnyObject, Sendable {
    /// WSPStartup: returns 0 or the error code (WSPStartup has no lpErrno).
    func startup(version: WORD, data: LPWSADATA?) -> Int32
    /// A start-up is in force (RULINGS §3: without one, every other entry
    /// point fails with WSANOTINITIALISED, before any argument is looked at).
    var isStarted: Bool { get }
    func cleanup(callback: LPCLEANUPPROC?, callbackData: DWORD) throws(WSAError)

    func socket(family: Int32, type: Int32, protocol: Int32, providerID: DWORD, flags: Int32) throws(WSAError) -> SOCKET
    func bind(_ s: SOCKET, name: UnsafePointer<WS_sockaddr>?, length: Int32) throws(WSAError)
    func listen(_ s: SOCKET, backlog: Int32) throws(WSAError)
    func accept(_ s: SOCKET, address: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?,
                condition: LPCONDITIONPROC?, callbackData: DWORD) throws(WSAError) -> SOCKET
    func connect(_ s: SOCKET, name: UnsafePointer<WS_sockaddr>?, length: Int32,
                 callerData: LPWSABUF?, calleeData: LPWSABUF?, group: GROUP,
                 socketFlowspec: LPQOS?, groupFlowspec: LPQOS?) throws(WSAError)
    func closeSocket(_ s: SOCKET) throws(WSAError)
    func shutdown(_ s: SOCKET, how: Int32) throws(WSAError)

    func getPeerName(_ s: SOCKET, name: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?) throws(WSAError)
    func getSockName(_ s: SOCKET, name: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?) throws(WSAError)
    func getSockOpt(_ s: SOCKET, level: Int32, name: Int32, value: UnsafeMutablePointer<CChar>?, length: UnsafeMutablePointer<Int32>?) throws(WSAError)
    func setSockOpt(_ s: SOCKET, level: Int32, name: Int32, value: UnsafePointer<CChar>?, length: Int32) throws(WSAError)
    func ioctlSocket(_ s: SOCKET, command: Int32, argument: UnsafeMutablePointer<WS_u_long>?) throws(WSAError)

    /// WSPSelect: the number of ready sockets.
    func select(read: UnsafeMutablePointer<WS_fd_set>?, write: UnsafeMutablePointer<WS_fd_set>?,
                except: UnsafeMutablePointer<WS_fd_set>?, timeout: UnsafePointer<WS_timeval>?) throws(WSAError) -> Int32

    /// WSPRecv (from == nil, fromLength == nil) and WSPRecvFrom.
    func receive(_ s: SOCKET, buffer: UnsafeMutableRawPointer?, length: DWORD, received: LPDWORD?, flags: LPINT?,
                 from: UnsafeMutableRawPointer?, fromLength: LPINT?,
                 overlapped: LPWSAOVERLAPPED?, completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError)
    /// WSPSend (toLength == nil) and WSPSendTo.
    func send(_ s: SOCKET, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
              to: UnsafeRawPointer?, toLength: Int32?,
              overlapped: LPWSAOVERLAPPED?, completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError)

    /// Whether `s` is one of this provider's live sockets: returns, or
    /// throws WSANOTINITIALISED / WSAENOTSOCK. The Winsock DLL asks it for
    /// WSAGetOverlappedResult (RULINGS §13), from any thread.
    func checkSocket(_ s: SOCKET) throws(WSAError)

    // Notification models (the network-events issue).
    func asyncSelect(_ s: SOCKET, window: HWND?, message: UInt32, events: Int32) throws(WSAError)
    func callbackSelect(_ s: SOCKET, callback: LPSELECTPROC?, callbackData: DWORD, events: Int32) throws(WSAError)
    func eventSelect(_ s: SOCKET, event: WSAEVENT?, events: Int32) throws(WSAError)
    func enumNetworkEvents(_ s: SOCKET, event: WSAEVENT?, records: LPWSANETWORKEVENT?, count: LPINT?) throws(WSAError)

    // Blocking hooks (32-bit semantics, RULINGS §5).
    func setBlockingHook(_ hook: LPBLOCKINGPROC?) throws(WSAError) -> LPBLOCKINGPROC?
    func unhookBlockingHook() throws(WSAError)
    func isBlocking() -> Bool
    func cancelBlockingCall() throws(WSAError)
}
