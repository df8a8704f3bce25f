// The catalog's one error type; each case knows its Winsock code, so the C
// entry points and ws2ctl report the same failure the same way.
import Glibc

/// Why a catalog operation failed.
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A NULL pointer reached the C layer (WSAEFAULT).
    case fault(String)
    /// A name, path, protocol list or entry is not acceptable (WSAEINVAL).
    case invalidArgument(String)
    /// A provider with this name is already installed (WSAEINVAL).
    case duplicateName(String)
    /// No installed provider has this id or name (WSAEINVAL).
    case unknownProvider(String)
    /// Another process held the catalog's lock for the whole timeout (WSATRY_AGAIN).
    case locked(path: String)
    /// A file operation failed: EACCES, EPERM, EROFS are WSAEACCES, the rest WSASYSNOTREADY.
    case io(path: String, operation: String, errno: Int32)
    /// WSAEnumProtocols: the buffer cannot hold the result (WSAENOBUFS).
    case noBuffers(needed: Int)

    /// The Winsock code for lpErrno / WSAGetLastError.
    public var wsaCode: Int32 {
        switch self {
        case .fault: return 10014                                    // WSAEFAULT
        case .invalidArgument, .duplicateName, .unknownProvider: return 10022   // WSAEINVAL
        case .locked: return 11002                                   // WSATRY_AGAIN
        case .noBuffers: return 10055                                // WSAENOBUFS
        case .io(_, _, let e):
            switch e {
            case EACCES, EPERM, EROFS: return 10013                  // WSAEACCES
            case ENOSPC, ENOMEM, EDQUOT: return 10055                // WSAENOBUFS
            default: return 10091                                    // WSASYSNOTREADY
            }
        }
    }

    /// One line, without an "error:" prefix.
    public var description: String {
        switch self {
        case .fault(let what): return "\(what) is a NULL pointer"
        case .invalidArgument(let why): return why
        case .duplicateName(let name): return "a provider named '\(name)' is already installed"
        case .unknownProvider(let what): return "no installed provider \(what)"
        case .locked(let path): return "the catalog is locked by another process (\(path).lock)"
        case .io(let path, let op, let e): return "cannot \(op) \(path): \(String(cString: strerror(e)))"
        case .noBuffers(let needed): return "the buffer is too small: \(needed) bytes needed"
        }
    }
}
