// The one error type of the core, and the one errno -> WSA table. The
// codes, their names and descriptions, and the named static members
// (`.wouldBlock`, ...) come from WSACodes, shared with the WS2SPI module.
@_exported import WSACodes
import Glibc

/// A Winsock error code (`WSAE*`, `WSA*` in ws2spi.h), as stored in `lpErrno`.
///
/// Every code is listed once, in ``WSAErrorTable``; ``WSAErrorCode`` gives
/// this type the named members (`.notSocket`), ``WSAErrorCode/name``,
/// ``WSAErrorCode/message`` and ``WSAErrorCode/description`` from it.
public struct WSAError: WSAErrorCode, Equatable, Hashable {
    /// The numeric code, e.g. 10038 for `WSAENOTSOCK`.
    public let code: Int32

    /// The error with this numeric code.
    @inlinable public init(code: Int32) { self.code = code }

    /// Every code the header defines: (code, C name, message), from ``WSAErrorTable``.
    public static var table: [WSAErrorTable.Entry] { WSAErrorTable.entries }
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
        (ETOOMANYREFS, .tooManyReferences),
        (ETIMEDOUT, .timedOut),
        (ECONNREFUSED, .connectionRefused),
        (EHOSTDOWN, .hostDown),
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
