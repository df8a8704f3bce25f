// The notification models (WSPAsyncSelect32, WSPCallbackSelect16,
// WSPEventSelect, WSPEnumNetworkEvents) run on the event engine of the
// network-events issue. Until then they validate the socket and report
// WSAEOPNOTSUPP, so a host can tell them apart from a missing entry point.
import ProviderKit
import CWS2SPI

extension TCPIPProvider {
    public func asyncSelect(_ s: SOCKET, window: HWND?, message: UInt32, events: Int32) throws(WSAError) {
        _ = try lookup(s)
        throw .operationNotSupported
    }

    public func callbackSelect(_ s: SOCKET, callback: LPSELECTPROC?, callbackData: DWORD, events: Int32) throws(WSAError) {
        _ = try lookup(s)
        throw .operationNotSupported
    }

    public func eventSelect(_ s: SOCKET, event: WSAEVENT?, events: Int32) throws(WSAError) {
        _ = try lookup(s)
        throw .operationNotSupported
    }

    public func enumNetworkEvents(_ s: SOCKET, event: WSAEVENT?, records: LPWSANETWORKEVENT?, count: LPINT?) throws(WSAError) {
        _ = try lookup(s)
        throw .operationNotSupported
    }
}
