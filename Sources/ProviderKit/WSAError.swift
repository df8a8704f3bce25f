// The one error type of the core, and the one errno -> WSA table.
import Glibc

/// A Winsock error code (`WSAE*`, `WSA*` in ws2spi.h), as stored in `lpErrno`.
///
/// Every code is listed once in ``WSAError/table`` with its name and message;
/// the static members, ``name`` and ``message`` all come from that table.
public struct WSAError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The numeric code, e.g. 10038 for `WSAENOTSOCK`.
    public let code: Int32

    @inlinable public init(code: Int32) { self.code = code }

    public static let interrupted = WSAError(code: 10004)          // WSAEINTR
    public static let badHandle = WSAError(code: 10009)            // WSAEBADF
    public static let accessDenied = WSAError(code: 10013)         // WSAEACCES
    public static let fault = WSAError(code: 10014)                // WSAEFAULT
    public static let invalidArgument = WSAError(code: 10022)      // WSAEINVAL
    public static let tooManyFiles = WSAError(code: 10024)         // WSAEMFILE
    public static let wouldBlock = WSAError(code: 10035)           // WSAEWOULDBLOCK
    public static let inProgress = WSAError(code: 10036)           // WSAEINPROGRESS
    public static let already = WSAError(code: 10037)              // WSAEALREADY
    public static let notSocket = WSAError(code: 10038)            // WSAENOTSOCK
    public static let destinationRequired = WSAError(code: 10039)  // WSAEDESTADDRREQ
    public static let messageSize = WSAError(code: 10040)          // WSAEMSGSIZE
    public static let protocolType = WSAError(code: 10041)         // WSAEPROTOTYPE
    public static let noProtocolOption = WSAError(code: 10042)     // WSAENOPROTOOPT
    public static let protocolNotSupported = WSAError(code: 10043) // WSAEPROTONOSUPPORT
    public static let socketTypeNotSupported = WSAError(code: 10044) // WSAESOCKTNOSUPPORT
    public static let operationNotSupported = WSAError(code: 10045) // WSAEOPNOTSUPP
    public static let protocolFamilyNotSupported = WSAError(code: 10046) // WSAEPFNOSUPPORT
    public static let addressFamilyNotSupported = WSAError(code: 10047) // WSAEAFNOSUPPORT
    public static let addressInUse = WSAError(code: 10048)         // WSAEADDRINUSE
    public static let addressNotAvailable = WSAError(code: 10049)  // WSAEADDRNOTAVAIL
    public static let networkDown = WSAError(code: 10050)          // WSAENETDOWN
    public static let networkUnreachable = WSAError(code: 10051)   // WSAENETUNREACH
    public static let networkReset = WSAError(code: 10052)         // WSAENETRESET
    public static let connectionAborted = WSAError(code: 10053)    // WSAECONNABORTED
    public static let connectionReset = WSAError(code: 10054)      // WSAECONNRESET
    public static let noBuffers = WSAError(code: 10055)            // WSAENOBUFS
    public static let isConnected = WSAError(code: 10056)          // WSAEISCONN
    public static let notConnected = WSAError(code: 10057)         // WSAENOTCONN
    public static let shutdown = WSAError(code: 10058)             // WSAESHUTDOWN
    public static let timedOut = WSAError(code: 10060)             // WSAETIMEDOUT
    public static let connectionRefused = WSAError(code: 10061)    // WSAECONNREFUSED
    public static let hostUnreachable = WSAError(code: 10065)      // WSAEHOSTUNREACH
    public static let systemNotReady = WSAError(code: 10091)       // WSASYSNOTREADY
    public static let versionNotSupported = WSAError(code: 10092)  // WSAVERNOTSUPPORTED
    public static let notInitialised = WSAError(code: 10093)       // WSANOTINITIALISED
    public static let tryAgain = WSAError(code: 11002)             // WSATRY_AGAIN
    public static let ioPending = WSAError(code: 997)              // WSA_IO_PENDING
    public static let ioIncomplete = WSAError(code: 996)           // WSA_IO_INCOMPLETE
    public static let operationAborted = WSAError(code: 995)       // WSA_OPERATION_ABORTED

    /// Every code the header defines: (code, C name, message).
    public static let table: [(code: Int32, name: String, message: String)] = [
        (6, "WSA_INVALID_HANDLE", "The event object or window handle is not valid."),
        (8, "WSA_NOT_ENOUGH_MEMORY", "Not enough memory for the object."),
        (87, "WSA_INVALID_PARAMETER", "A parameter of the host service is not valid."),
        (258, "WSA_WAIT_TIMEOUT", "The wait timed out."),
        (995, "WSA_OPERATION_ABORTED", "The overlapped operation was aborted because the socket was closed."),
        (996, "WSA_IO_INCOMPLETE", "The overlapped operation has not completed yet."),
        (997, "WSA_IO_PENDING", "The overlapped operation will complete later."),
        (10004, "WSAEINTR", "A blocking call was interrupted."),
        (10009, "WSAEBADF", "The file handle is not valid."),
        (10013, "WSAEACCES", "Permission denied."),
        (10014, "WSAEFAULT", "A pointer or length argument is not valid."),
        (10022, "WSAEINVAL", "An argument is not valid, or the socket is in the wrong state."),
        (10024, "WSAEMFILE", "No more socket descriptors are available."),
        (10035, "WSAEWOULDBLOCK", "The operation would block."),
        (10036, "WSAEINPROGRESS", "A blocking operation is in progress."),
        (10037, "WSAEALREADY", "A non-blocking operation is already in progress on this socket."),
        (10038, "WSAENOTSOCK", "The descriptor is not a socket."),
        (10039, "WSAEDESTADDRREQ", "A destination address is required."),
        (10040, "WSAEMSGSIZE", "The message is too long."),
        (10041, "WSAEPROTOTYPE", "The protocol is the wrong type for the socket."),
        (10042, "WSAENOPROTOOPT", "The option is unknown or unsupported."),
        (10043, "WSAEPROTONOSUPPORT", "The protocol is not supported."),
        (10044, "WSAESOCKTNOSUPPORT", "The socket type is not supported in this address family."),
        (10045, "WSAEOPNOTSUPP", "The operation is not supported on this socket."),
        (10046, "WSAEPFNOSUPPORT", "The protocol family is not supported."),
        (10047, "WSAEAFNOSUPPORT", "The address family is not supported."),
        (10048, "WSAEADDRINUSE", "The address is already in use."),
        (10049, "WSAEADDRNOTAVAIL", "The address is not available on this machine."),
        (10050, "WSAENETDOWN", "The network subsystem has failed."),
        (10051, "WSAENETUNREACH", "The network is unreachable."),
        (10052, "WSAENETRESET", "The connection was dropped by the provider."),
        (10053, "WSAECONNABORTED", "The connection was aborted."),
        (10054, "WSAECONNRESET", "The connection was reset by the peer."),
        (10055, "WSAENOBUFS", "No buffer space is available."),
        (10056, "WSAEISCONN", "The socket is already connected."),
        (10057, "WSAENOTCONN", "The socket is not connected."),
        (10058, "WSAESHUTDOWN", "The socket has been shut down in that direction."),
        (10059, "WSAETOOMANYREFS", "Too many references."),
        (10060, "WSAETIMEDOUT", "The connection attempt timed out."),
        (10061, "WSAECONNREFUSED", "The connection was refused."),
        (10062, "WSAELOOP", "Too many levels of symbolic links."),
        (10063, "WSAENAMETOOLONG", "The name is too long."),
        (10064, "WSAEHOSTDOWN", "The host is down."),
        (10065, "WSAEHOSTUNREACH", "The host is unreachable."),
        (10066, "WSAENOTEMPTY", "The directory is not empty."),
        (10067, "WSAEPROCLIM", "Too many processes."),
        (10068, "WSAEUSERS", "Too many users."),
        (10069, "WSAEDQUOT", "The disk quota is exceeded."),
        (10070, "WSAESTALE", "The file handle is stale."),
        (10071, "WSAEREMOTE", "The item is remote."),
        (10091, "WSASYSNOTREADY", "The network subsystem is not ready."),
        (10092, "WSAVERNOTSUPPORTED", "The requested SPI version is not supported."),
        (10093, "WSANOTINITIALISED", "WSPStartup has not been called successfully."),
        (11001, "WSAHOST_NOT_FOUND", "The host was not found."),
        (11002, "WSATRY_AGAIN", "Try again: the request was deferred."),
        (11003, "WSANO_RECOVERY", "A non-recoverable error occurred."),
        (11004, "WSANO_DATA", "The name is valid but has no data of the requested type."),
    ]

    /// The C name, e.g. "WSAENOTSOCK"; "WSA error N" for a code not in the table.
    public var name: String {
        WSAError.table.first { $0.code == code }?.name ?? "WSA error \(code)"
    }
    /// A one-line description of the code.
    public var message: String {
        WSAError.table.first { $0.code == code }?.message ?? "Unknown Winsock error \(code)."
    }
    public var description: String { "\(name) (\(code)): \(message)" }
}

extension WSAError {
    /// errno -> WSA: the one table. Winsock codes are errno + 10000 for the
    /// BSD codes, but Linux numbers its errno values differently, so each
    /// pair is listed. An errno not listed here becomes WSAENETDOWN
    /// ("the provider detected an underlying failure", draft A.1).
    static let errnoTable: [(errno: Int32, wsa: WSAError)] = [
        (EINTR, .interrupted),
        (EBADF, .notSocket),
        (ENOTSOCK, .notSocket),
        (EACCES, .accessDenied),
        (EPERM, .accessDenied),
        (EFAULT, .fault),
        (EINVAL, .invalidArgument),
        (EMFILE, .tooManyFiles),
        (ENFILE, .tooManyFiles),
        (EAGAIN, .wouldBlock),
        (EINPROGRESS, .wouldBlock),      // a non-blocking connect has started
        (EALREADY, .already),
        (EDESTADDRREQ, .destinationRequired),
        (EMSGSIZE, .messageSize),
        (EPROTOTYPE, .protocolType),
        (ENOPROTOOPT, .noProtocolOption),
        (EPROTONOSUPPORT, .protocolNotSupported),
        (ESOCKTNOSUPPORT, .socketTypeNotSupported),
        (EOPNOTSUPP, .operationNotSupported),
        (EPFNOSUPPORT, .protocolFamilyNotSupported),
        (EAFNOSUPPORT, .addressFamilyNotSupported),
        (EADDRINUSE, .addressInUse),
        (EADDRNOTAVAIL, .addressNotAvailable),
        (ENETDOWN, .networkDown),
        (ENETUNREACH, .networkUnreachable),
        (ENETRESET, .networkReset),
        (ECONNABORTED, .connectionAborted),
        (ECONNRESET, .connectionReset),
        (EPIPE, .connectionReset),       // peer gone; a local shutdown is checked before the call
        (ENOBUFS, .noBuffers),
        (ENOMEM, .noBuffers),
        (EISCONN, .isConnected),
        (ENOTCONN, .notConnected),
        (ESHUTDOWN, .shutdown),
        (ETOOMANYREFS, WSAError(code: 10059)),
        (ETIMEDOUT, .timedOut),
        (ECONNREFUSED, .connectionRefused),
        (EHOSTDOWN, WSAError(code: 10064)),
        (EHOSTUNREACH, .hostUnreachable),
    ]

    /// Lookup table indexed by errno, built once from ``errnoTable``.
    private static let byErrno: [WSAError] = {
        var map = [WSAError](repeating: .networkDown, count: 256)
        for (e, w) in errnoTable where e >= 0 && e < 256 { map[Int(e)] = w }
        return map
    }()

    /// The WSA code for a Linux errno value.
    @inlinable public init(errno e: Int32) { self = WSAError.translate(e) }

    @usableFromInline static func translate(_ e: Int32) -> WSAError {
        e >= 0 && e < 256 ? byErrno[Int(e)] : .networkDown
    }
}
