// The Winsock error codes of ws2spi.h, as a Swift error. The codes, names,
// descriptions and named members come from WSACodes (the package's one
// table), re-exported so that `import WS2SPI` is all a caller needs.
@_exported import WSACodes

/// A Winsock error: one of the `WSAE*` / `WSA*` codes of `ws2spi.h`.
///
/// Every throwing call of this module throws it, with the code the provider
/// stored in `lpErrno` (or the host service's `WSAGetLastError()`). Every
/// code has a named static member (``connectionRefused``, …), ``name`` is
/// the C name (`"WSAECONNREFUSED"`), ``message`` a one-line description,
/// and ``all`` lists every code the header defines. They all come from the
/// package's one table, `WSAErrorTable`, through the `WSAErrorCode`
/// protocol (module WSACodes, re-exported by this one).
///
/// ```swift
/// do { try socket.connect(to: address) }
/// catch WSAError.connectionRefused { print("nobody listens there") }
/// catch { print(error) }   // "WSAETIMEDOUT (10060): The connection attempt timed out."
/// ```
///
/// (Swift 6.3.1's compiler can crash on the shorter `catch .connectionRefused`
/// in a function that also captures a `var` in a closure; spell the type.)
public struct WSAError: WSAErrorCode {
    /// The numeric code, e.g. 10061 for `WSAECONNREFUSED`.
    public let code: Int32

    /// The error with this numeric code (any value; see ``isKnown``).
    public init(code: Int32) { self.code = code }
}
