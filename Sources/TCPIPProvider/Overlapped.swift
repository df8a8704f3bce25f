// Overlapped I/O (RULINGS §8): WSPRecv, WSPRecvFrom, WSPSend, WSPSendTo with
// lpOverlapped on a socket created with WSA_FLAG_OVERLAPPED.
import Glibc
import ProviderKit
import CWS2SPI

extension TCPIPProvider {
    func postReceive(_ socket: IPSocket, buffer: UnsafeMutableRawPointer?, length: DWORD, received: LPDWORD?, flags: LPINT?,
                     from: UnsafeMutableRawPointer?, fromLength: LPINT?,
                     overlapped: LPWSAOVERLAPPED, completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        throw .operationNotSupported
    }

    func postSend(_ socket: IPSocket, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
                  to: UnsafeRawPointer?, toLength: Int32?,
                  overlapped: LPWSAOVERLAPPED, completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        throw .operationNotSupported
    }
}
