// The catalog's one error type; each case knows its Winsock code, so the C
// entry points and ws2ctl report the same failure the same way. The codes
// are named through WSACodes, the package's one table of them.
import Glibc
import WSACodes

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

    /// The Winsock error, as any ``WSAErrorCode`` type: ProviderKit's
    /// `WSAError` for lpErrno (`throw error.wsaError()` in a
    /// `throws(WSAError)` body), WS2SPI's for a Swift caller.
    public func wsaError<Code: WSAErrorCode>(as _: Code.Type = Code.self) -> Code {
        switch self {
        case .fault: return .fault
        case .invalidArgument, .duplicateName, .unknownProvider: return .invalidArgument
        case .locked: return .tryAgain
        case .noBuffers: return .noBuffers
        case .io(_, _, let e):
            switch e {
            case EACCES, EPERM, EROFS: return .accessDenied
            case ENOSPC, ENOMEM, EDQUOT: return .noBuffers
            default: return .systemNotReady
            }
        }
    }

    /// The Winsock code for lpErrno / WSAGetLastError: ``wsaError(as:)``'s.
    public var wsaCode: Int32 { wsaError(as: PlainCode.self).code }

    /// The plain code, for ``wsaCode`` (WS2Catalog links neither WSAError type).
    private struct PlainCode: WSAErrorCode {
        let code: Int32
        init(code: Int32) { self.code = code }
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
