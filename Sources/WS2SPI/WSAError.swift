// The Winsock error codes of ws2spi.h, as a Swift error.

/// A Winsock error: one of the `WSAE*` / `WSA*` codes of `ws2spi.h`.
///
/// Every throwing call of this module throws it, with the code the provider
/// stored in `lpErrno` (or the host service's `WSAGetLastError()`).
/// ``name`` is the C name (`"WSAECONNREFUSED"`), ``message`` a one-line
/// description; ``all`` lists every code the header defines.
///
/// ```swift
/// do { try socket.connect(to: address) }
/// catch WSAError.connectionRefused { print("nobody listens there") }
/// catch { print(error) }   // "WSAETIMEDOUT (10060): The connection attempt timed out."
/// ```
///
/// (Swift 6.3.1's compiler can crash on the shorter `catch .connectionRefused`
/// in a function that also captures a `var` in a closure; spell the type.)
public struct WSAError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The numeric code, e.g. 10061 for `WSAECONNREFUSED`.
    public let code: Int32

    public init(code: Int32) { self.code = code }

    /// The C name, e.g. `"WSAECONNREFUSED"`; `"WSA error N"` for a code the header does not define.
    public var name: String { WSAError.entry(code)?.name ?? "WSA error \(code)" }

    /// A human description of the code.
    public var message: String { WSAError.entry(code)?.message ?? "Unknown Winsock error \(code)." }

    /// `NAME (code): message`.
    public var description: String { "\(name) (\(code)): \(message)" }

    /// True for a code the header defines.
    public var isKnown: Bool { WSAError.entry(code) != nil }

    /// Every code ws2spi.h defines, in numeric order.
    public static var all: [WSAError] { table.map { WSAError(code: $0.code) } }

    private static func entry(_ code: Int32) -> (code: Int32, name: String, message: String)? {
        table.first { $0.code == code }
    }

    // (code, C name, description): the one table of this module.
    private static let table: [(code: Int32, name: String, message: String)] = [
        (6, "WSA_INVALID_HANDLE", "The event object or window handle is not valid."),
        (8, "WSA_NOT_ENOUGH_MEMORY", "There is not enough memory for the object."),
        (87, "WSA_INVALID_PARAMETER", "A parameter of the host service is not valid."),
        (995, "WSA_OPERATION_ABORTED", "The overlapped operation was aborted because the socket was closed."),
        (996, "WSA_IO_INCOMPLETE", "The overlapped operation has not completed yet."),
        (997, "WSA_IO_PENDING", "The overlapped operation was started and will complete later."),
        (10004, "WSAEINTR", "A blocking call was interrupted (the socket was closed or the call cancelled)."),
        (10009, "WSAEBADF", "The file handle is not valid."),
        (10013, "WSAEACCES", "Permission denied (e.g. a broadcast address without SO_BROADCAST)."),
        (10014, "WSAEFAULT", "A pointer or length argument is not valid."),
        (10022, "WSAEINVAL", "An argument is not valid, or the socket is in the wrong state for the call."),
        (10024, "WSAEMFILE", "No more socket descriptors are available."),
        (10035, "WSAEWOULDBLOCK", "The socket is non-blocking and the operation would block."),
        (10036, "WSAEINPROGRESS", "A blocking operation is in progress."),
        (10037, "WSAEALREADY", "A non-blocking operation is already in progress on this socket."),
        (10038, "WSAENOTSOCK", "The descriptor is not a socket."),
        (10039, "WSAEDESTADDRREQ", "A destination address is required."),
        (10040, "WSAEMSGSIZE", "The message is larger than the buffer or the protocol's maximum."),
        (10041, "WSAEPROTOTYPE", "The protocol is the wrong type for the socket."),
        (10042, "WSAENOPROTOOPT", "The option is unknown or not supported."),
        (10043, "WSAEPROTONOSUPPORT", "The protocol is not supported."),
        (10044, "WSAESOCKTNOSUPPORT", "The socket type is not supported in this address family."),
        (10045, "WSAEOPNOTSUPP", "The operation is not supported on this socket."),
        (10046, "WSAEPFNOSUPPORT", "The protocol family is not supported."),
        (10047, "WSAEAFNOSUPPORT", "The address family is not supported."),
        (10048, "WSAEADDRINUSE", "The address is already in use."),
        (10049, "WSAEADDRNOTAVAIL", "The address is not available on this machine."),
        (10050, "WSAENETDOWN", "The network subsystem has failed."),
        (10051, "WSAENETUNREACH", "The network cannot be reached from this host."),
        (10052, "WSAENETRESET", "The connection was dropped because of a network reset."),
        (10053, "WSAECONNABORTED", "The connection was aborted by this host."),
        (10054, "WSAECONNRESET", "The connection was reset by the peer."),
        (10055, "WSAENOBUFS", "No buffer space is available."),
        (10056, "WSAEISCONN", "The socket is already connected."),
        (10057, "WSAENOTCONN", "The socket is not connected."),
        (10058, "WSAESHUTDOWN", "The socket has been shut down in that direction."),
        (10059, "WSAETOOMANYREFS", "Too many references to a kernel object."),
        (10060, "WSAETIMEDOUT", "The connection attempt timed out."),
        (10061, "WSAECONNREFUSED", "The connection was refused by the target host."),
        (10062, "WSAELOOP", "Too many levels of symbolic links."),
        (10063, "WSAENAMETOOLONG", "The name is too long."),
        (10064, "WSAEHOSTDOWN", "The destination host is down."),
        (10065, "WSAEHOSTUNREACH", "There is no route to the host."),
        (10066, "WSAENOTEMPTY", "The directory is not empty."),
        (10067, "WSAEPROCLIM", "Too many processes use the provider."),
        (10068, "WSAEUSERS", "The user quota is exceeded."),
        (10069, "WSAEDQUOT", "The disk quota is exceeded."),
        (10070, "WSAESTALE", "The file handle is stale."),
        (10071, "WSAEREMOTE", "The item is not available locally."),
        (10091, "WSASYSNOTREADY", "The network subsystem is not ready."),
        (10092, "WSAVERNOTSUPPORTED", "The requested SPI version is not supported by the provider."),
        (10093, "WSANOTINITIALISED", "WSPStartup has not been called successfully."),
        (11001, "WSAHOST_NOT_FOUND", "The host was not found (authoritative answer)."),
        (11002, "WSATRY_AGAIN", "The request was deferred or the host was not found; try again."),
        (11003, "WSANO_RECOVERY", "A non-recoverable error occurred."),
        (11004, "WSANO_DATA", "The name is valid but has no data of the requested type."),
    ]
}

extension WSAError {
    public static let invalidHandle = WSAError(code: 6)              // WSA_INVALID_HANDLE
    public static let notEnoughMemory = WSAError(code: 8)            // WSA_NOT_ENOUGH_MEMORY
    public static let invalidParameter = WSAError(code: 87)          // WSA_INVALID_PARAMETER
    public static let operationAborted = WSAError(code: 995)         // WSA_OPERATION_ABORTED
    public static let ioIncomplete = WSAError(code: 996)             // WSA_IO_INCOMPLETE
    public static let ioPending = WSAError(code: 997)                // WSA_IO_PENDING
    public static let interrupted = WSAError(code: 10004)            // WSAEINTR
    public static let badFile = WSAError(code: 10009)                // WSAEBADF
    public static let accessDenied = WSAError(code: 10013)           // WSAEACCES
    public static let fault = WSAError(code: 10014)                  // WSAEFAULT
    public static let invalidArgument = WSAError(code: 10022)        // WSAEINVAL
    public static let tooManyFiles = WSAError(code: 10024)           // WSAEMFILE
    public static let wouldBlock = WSAError(code: 10035)             // WSAEWOULDBLOCK
    public static let inProgress = WSAError(code: 10036)             // WSAEINPROGRESS
    public static let already = WSAError(code: 10037)                // WSAEALREADY
    public static let notSocket = WSAError(code: 10038)              // WSAENOTSOCK
    public static let destinationRequired = WSAError(code: 10039)    // WSAEDESTADDRREQ
    public static let messageSize = WSAError(code: 10040)            // WSAEMSGSIZE
    public static let protocolType = WSAError(code: 10041)           // WSAEPROTOTYPE
    public static let noProtocolOption = WSAError(code: 10042)       // WSAENOPROTOOPT
    public static let protocolNotSupported = WSAError(code: 10043)   // WSAEPROTONOSUPPORT
    public static let socketTypeNotSupported = WSAError(code: 10044) // WSAESOCKTNOSUPPORT
    public static let operationNotSupported = WSAError(code: 10045)  // WSAEOPNOTSUPP
    public static let protocolFamilyNotSupported = WSAError(code: 10046) // WSAEPFNOSUPPORT
    public static let addressFamilyNotSupported = WSAError(code: 10047)  // WSAEAFNOSUPPORT
    public static let addressInUse = WSAError(code: 10048)           // WSAEADDRINUSE
    public static let addressNotAvailable = WSAError(code: 10049)    // WSAEADDRNOTAVAIL
    public static let networkDown = WSAError(code: 10050)            // WSAENETDOWN
    public static let networkUnreachable = WSAError(code: 10051)     // WSAENETUNREACH
    public static let networkReset = WSAError(code: 10052)           // WSAENETRESET
    public static let connectionAborted = WSAError(code: 10053)      // WSAECONNABORTED
    public static let connectionReset = WSAError(code: 10054)        // WSAECONNRESET
    public static let noBuffers = WSAError(code: 10055)              // WSAENOBUFS
    public static let isConnected = WSAError(code: 10056)            // WSAEISCONN
    public static let notConnected = WSAError(code: 10057)           // WSAENOTCONN
    public static let shutDown = WSAError(code: 10058)               // WSAESHUTDOWN
    public static let tooManyReferences = WSAError(code: 10059)      // WSAETOOMANYREFS
    public static let timedOut = WSAError(code: 10060)               // WSAETIMEDOUT
    public static let connectionRefused = WSAError(code: 10061)      // WSAECONNREFUSED
    public static let loop = WSAError(code: 10062)                   // WSAELOOP
    public static let nameTooLong = WSAError(code: 10063)            // WSAENAMETOOLONG
    public static let hostDown = WSAError(code: 10064)               // WSAEHOSTDOWN
    public static let hostUnreachable = WSAError(code: 10065)        // WSAEHOSTUNREACH
    public static let notEmpty = WSAError(code: 10066)               // WSAENOTEMPTY
    public static let processLimit = WSAError(code: 10067)           // WSAEPROCLIM
    public static let users = WSAError(code: 10068)                  // WSAEUSERS
    public static let diskQuota = WSAError(code: 10069)              // WSAEDQUOT
    public static let stale = WSAError(code: 10070)                  // WSAESTALE
    public static let remote = WSAError(code: 10071)                 // WSAEREMOTE
    public static let systemNotReady = WSAError(code: 10091)         // WSASYSNOTREADY
    public static let versionNotSupported = WSAError(code: 10092)    // WSAVERNOTSUPPORTED
    public static let notInitialised = WSAError(code: 10093)         // WSANOTINITIALISED
    public static let hostNotFound = WSAError(code: 11001)           // WSAHOST_NOT_FOUND
    public static let tryAgain = WSAError(code: 11002)               // WSATRY_AGAIN
    public static let noRecovery = WSAError(code: 11003)             // WSANO_RECOVERY
    public static let noData = WSAError(code: 11004)                 // WSANO_DATA
}
