// The Winsock error codes of ws2spi.h: the one table of (code, C name,
// description), and the named codes every WSAError type of the package gets
// from it. Pure Swift, no C exports and no dependencies, so that both the
// provider side (ProviderKit) and the Swift module for callers (WS2SPI) use
// it without either linking the other.

/// Every error code `ws2spi.h` defines, with its C name and a one-line
/// description: the one table of the package. (Not named after its module:
/// a type named like its module hides the module's name.)
public enum WSAErrorTable {
    /// One row: the code, its C name (`"WSAECONNREFUSED"`), its description.
    public typealias Entry = (code: Int32, name: String, message: String)

    /// Every code, in numeric order. WSA_WAIT_TIMEOUT is a wait's result
    /// rather than an error, but the host services also report it as the
    /// last error of a `WS2GetMessage` that timed out, so it is listed.
    public static let entries: [Entry] = [
        (6, "WSA_INVALID_HANDLE", "The event object or window handle is not valid."),
        (8, "WSA_NOT_ENOUGH_MEMORY", "There is not enough memory for the object."),
        (87, "WSA_INVALID_PARAMETER", "A parameter of the host service is not valid."),
        (258, "WSA_WAIT_TIMEOUT", "The wait timed out."),
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

    /// The row of `code`, or nil for a code the header does not define.
    public static func entry(_ code: Int32) -> Entry? {
        entries.first { $0.code == code }
    }
}

/// A Winsock error type: a code, and everything ``WSAErrorTable`` says about it.
///
/// The package has two such types, one per side of the SPI: ProviderKit's
/// `WSAError` (what a provider stores in `lpErrno`) and WS2SPI's `WSAError`
/// (what a Swift caller catches). Both conform, so both get the C name,
/// the description and a named static member for every code from this one
/// place, e.g. `WSAError.connectionRefused` for `WSAECONNREFUSED`.
public protocol WSAErrorCode: Error, Hashable, Sendable, CustomStringConvertible {
    /// The numeric code, e.g. 10061 for `WSAECONNREFUSED`.
    var code: Int32 { get }
    /// The error with this numeric code (any value; see ``isKnown``).
    init(code: Int32)
}

extension WSAErrorCode {
    /// The C name, e.g. `"WSAECONNREFUSED"`; `"WSA error N"` for a code the header does not define.
    public var name: String { WSAErrorTable.entry(code)?.name ?? "WSA error \(code)" }

    /// A one-line description of the code.
    public var message: String { WSAErrorTable.entry(code)?.message ?? "Unknown Winsock error \(code)." }

    /// `NAME (code): message`, e.g. `WSAETIMEDOUT (10060): The connection attempt timed out.`
    public var description: String { "\(name) (\(code)): \(message)" }

    /// True for a code the header defines.
    public var isKnown: Bool { WSAErrorTable.entry(code) != nil }

    /// Every code the header defines, in numeric order.
    public static var all: [Self] { WSAErrorTable.entries.map { Self(code: $0.code) } }
}

// The named codes. Computed and inlinable: `throw .wouldBlock` on a data
// path costs a constant, not a global's lazy initialisation.
extension WSAErrorCode {
    /// WSA_INVALID_HANDLE (6): the event object or window handle is not valid.
    @inlinable public static var invalidHandle: Self { Self(code: 6) }
    /// WSA_NOT_ENOUGH_MEMORY (8): not enough memory for the object.
    @inlinable public static var notEnoughMemory: Self { Self(code: 8) }
    /// WSA_INVALID_PARAMETER (87): a parameter of a host service is not valid.
    @inlinable public static var invalidParameter: Self { Self(code: 87) }
    /// WSA_WAIT_TIMEOUT (258): a wait timed out (a host service's last error).
    @inlinable public static var waitTimedOut: Self { Self(code: 258) }
    /// WSA_OPERATION_ABORTED (995): the overlapped operation was aborted because the socket was closed.
    @inlinable public static var operationAborted: Self { Self(code: 995) }
    /// WSA_IO_INCOMPLETE (996): the overlapped operation has not completed yet.
    @inlinable public static var ioIncomplete: Self { Self(code: 996) }
    /// WSA_IO_PENDING (997): the overlapped operation was started and will complete later.
    @inlinable public static var ioPending: Self { Self(code: 997) }
    /// WSAEINTR (10004): a blocking call was interrupted.
    @inlinable public static var interrupted: Self { Self(code: 10004) }
    /// WSAEBADF (10009): the file handle is not valid.
    @inlinable public static var badHandle: Self { Self(code: 10009) }
    /// WSAEACCES (10013): permission denied.
    @inlinable public static var accessDenied: Self { Self(code: 10013) }
    /// WSAEFAULT (10014): a pointer or length argument is not valid.
    @inlinable public static var fault: Self { Self(code: 10014) }
    /// WSAEINVAL (10022): an argument is not valid, or the socket is in the wrong state.
    @inlinable public static var invalidArgument: Self { Self(code: 10022) }
    /// WSAEMFILE (10024): no more socket descriptors are available.
    @inlinable public static var tooManyFiles: Self { Self(code: 10024) }
    /// WSAEWOULDBLOCK (10035): the socket is non-blocking and the operation would block.
    @inlinable public static var wouldBlock: Self { Self(code: 10035) }
    /// WSAEINPROGRESS (10036): a blocking operation is in progress.
    @inlinable public static var inProgress: Self { Self(code: 10036) }
    /// WSAEALREADY (10037): a non-blocking operation is already in progress on this socket.
    @inlinable public static var already: Self { Self(code: 10037) }
    /// WSAENOTSOCK (10038): the descriptor is not a socket.
    @inlinable public static var notSocket: Self { Self(code: 10038) }
    /// WSAEDESTADDRREQ (10039): a destination address is required.
    @inlinable public static var destinationRequired: Self { Self(code: 10039) }
    /// WSAEMSGSIZE (10040): the message is larger than the buffer or the protocol's maximum.
    @inlinable public static var messageSize: Self { Self(code: 10040) }
    /// WSAEPROTOTYPE (10041): the protocol is the wrong type for the socket.
    @inlinable public static var protocolType: Self { Self(code: 10041) }
    /// WSAENOPROTOOPT (10042): the option is unknown or not supported.
    @inlinable public static var noProtocolOption: Self { Self(code: 10042) }
    /// WSAEPROTONOSUPPORT (10043): the protocol is not supported.
    @inlinable public static var protocolNotSupported: Self { Self(code: 10043) }
    /// WSAESOCKTNOSUPPORT (10044): the socket type is not supported in this address family.
    @inlinable public static var socketTypeNotSupported: Self { Self(code: 10044) }
    /// WSAEOPNOTSUPP (10045): the operation is not supported on this socket.
    @inlinable public static var operationNotSupported: Self { Self(code: 10045) }
    /// WSAEPFNOSUPPORT (10046): the protocol family is not supported.
    @inlinable public static var protocolFamilyNotSupported: Self { Self(code: 10046) }
    /// WSAEAFNOSUPPORT (10047): the address family is not supported.
    @inlinable public static var addressFamilyNotSupported: Self { Self(code: 10047) }
    /// WSAEADDRINUSE (10048): the address is already in use.
    @inlinable public static var addressInUse: Self { Self(code: 10048) }
    /// WSAEADDRNOTAVAIL (10049): the address is not available on this machine.
    @inlinable public static var addressNotAvailable: Self { Self(code: 10049) }
    /// WSAENETDOWN (10050): the network subsystem has failed.
    @inlinable public static var networkDown: Self { Self(code: 10050) }
    /// WSAENETUNREACH (10051): the network cannot be reached from this host.
    @inlinable public static var networkUnreachable: Self { Self(code: 10051) }
    /// WSAENETRESET (10052): the connection was dropped because of a network reset.
    @inlinable public static var networkReset: Self { Self(code: 10052) }
    /// WSAECONNABORTED (10053): the connection was aborted by this host.
    @inlinable public static var connectionAborted: Self { Self(code: 10053) }
    /// WSAECONNRESET (10054): the connection was reset by the peer.
    @inlinable public static var connectionReset: Self { Self(code: 10054) }
    /// WSAENOBUFS (10055): no buffer space is available.
    @inlinable public static var noBuffers: Self { Self(code: 10055) }
    /// WSAEISCONN (10056): the socket is already connected.
    @inlinable public static var isConnected: Self { Self(code: 10056) }
    /// WSAENOTCONN (10057): the socket is not connected.
    @inlinable public static var notConnected: Self { Self(code: 10057) }
    /// WSAESHUTDOWN (10058): the socket has been shut down in that direction.
    @inlinable public static var shutdown: Self { Self(code: 10058) }
    /// WSAETOOMANYREFS (10059): too many references.
    @inlinable public static var tooManyReferences: Self { Self(code: 10059) }
    /// WSAETIMEDOUT (10060): the connection attempt timed out.
    @inlinable public static var timedOut: Self { Self(code: 10060) }
    /// WSAECONNREFUSED (10061): the connection was refused by the target host.
    @inlinable public static var connectionRefused: Self { Self(code: 10061) }
    /// WSAELOOP (10062): too many levels of symbolic links.
    @inlinable public static var tooManyLinks: Self { Self(code: 10062) }
    /// WSAENAMETOOLONG (10063): the name is too long.
    @inlinable public static var nameTooLong: Self { Self(code: 10063) }
    /// WSAEHOSTDOWN (10064): the destination host is down.
    @inlinable public static var hostDown: Self { Self(code: 10064) }
    /// WSAEHOSTUNREACH (10065): there is no route to the host.
    @inlinable public static var hostUnreachable: Self { Self(code: 10065) }
    /// WSAENOTEMPTY (10066): the directory is not empty.
    @inlinable public static var directoryNotEmpty: Self { Self(code: 10066) }
    /// WSAEPROCLIM (10067): too many processes use the provider.
    @inlinable public static var processLimit: Self { Self(code: 10067) }
    /// WSAEUSERS (10068): the user quota is exceeded.
    @inlinable public static var userQuotaExceeded: Self { Self(code: 10068) }
    /// WSAEDQUOT (10069): the disk quota is exceeded.
    @inlinable public static var diskQuotaExceeded: Self { Self(code: 10069) }
    /// WSAESTALE (10070): the file handle is stale.
    @inlinable public static var staleHandle: Self { Self(code: 10070) }
    /// WSAEREMOTE (10071): the item is not available locally.
    @inlinable public static var remote: Self { Self(code: 10071) }
    /// WSASYSNOTREADY (10091): the network subsystem is not ready.
    @inlinable public static var systemNotReady: Self { Self(code: 10091) }
    /// WSAVERNOTSUPPORTED (10092): the requested SPI version is not supported.
    @inlinable public static var versionNotSupported: Self { Self(code: 10092) }
    /// WSANOTINITIALISED (10093): WSPStartup has not been called successfully.
    @inlinable public static var notInitialised: Self { Self(code: 10093) }
    /// WSAHOST_NOT_FOUND (11001): the host was not found.
    @inlinable public static var hostNotFound: Self { Self(code: 11001) }
    /// WSATRY_AGAIN (11002): the request was deferred; try again.
    @inlinable public static var tryAgain: Self { Self(code: 11002) }
    /// WSANO_RECOVERY (11003): a non-recoverable error occurred.
    @inlinable public static var noRecovery: Self { Self(code: 11003) }
    /// WSANO_DATA (11004), also WSANO_ADDRESS: the name is valid but has no data of the requested type.
    @inlinable public static var noData: Self { Self(code: 11004) }
}
