// __WSAFDIsSet: the function behind the header's FD_ISSET macro.
import CWS2SPI

/// Nonzero if `fd` is one of the first fd_count entries of `set`.
/// A NULL or low set (RULINGS §4) is "not a member", never a crash.
@_cdecl("__WSAFDIsSet")
public func __WSAFDIsSet(_ fd: SOCKET, _ set: UnsafeMutablePointer<WS_fd_set>?) -> Int32 {
    guard let set, !isBadPointer(set) else { return 0 }
    let count = Int(set.pointee.fd_count)
    let array = UnsafeMutableRawPointer(set).advanced(by: 4).assumingMemoryBound(to: SOCKET.self)
    for i in 0..<count where array[i] == fd { return 1 }
    return 0
}
