// IPv4 socket addresses in the Winsock layout (struct WS_sockaddr_in).
import CWS2SPI

/// An IPv4 address and port: what `WSPBind`, `WSPConnect`, `WSPSendTo` take
/// and `WSPGetSockName`, `WSPAccept`, `WSPRecvFrom` return.
///
/// Both fields are in host byte order; the Winsock structure (family in host
/// order, port and address in network order) is built only at the call.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The IPv4 address in host byte order: 127.0.0.1 is `0x7F00_0001`.
    public var host: UInt32
    /// The port; 0 asks `bind` for any free port.
    public var port: UInt16

    /// The address `host` (host byte order) and `port`.
    public init(host: UInt32, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses a dotted quad ("192.168.0.1"); nil if it is not one.
    public init?(_ dotted: String, port: UInt16) {
        let parts = dotted.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        self.init(host: value, port: port)
    }

    /// 127.0.0.1:port.
    public static func loopback(port: UInt16 = 0) -> SocketAddress { SocketAddress(host: UInt32(WS_INADDR_LOOPBACK), port: port) }
    /// 0.0.0.0:port (INADDR_ANY).
    public static func any(port: UInt16 = 0) -> SocketAddress { SocketAddress(host: WS_INADDR_ANY, port: port) }

    /// "a.b.c.d:port".
    public var description: String {
        "\(host >> 24).\(host >> 16 & 0xFF).\(host >> 8 & 0xFF).\(host & 0xFF):\(port)"
    }

    /// sizeof(struct sockaddr_in) in the header's layout.
    static let length = Int32(MemoryLayout<WS_sockaddr_in>.size)

    /// The Winsock structure for this address.
    var winsock: WS_sockaddr_in {
        var sa = WS_sockaddr_in()
        sa.sin_family = Int16(WS_AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr.S_un.S_addr = host.bigEndian
        return sa
    }

    /// Reads a Winsock sockaddr_in; nil if it is not AF_INET or too short.
    init?(winsock pointer: UnsafeRawPointer, length: Int32) {
        guard length >= SocketAddress.length else { return nil }
        let sa = pointer.loadUnaligned(as: WS_sockaddr_in.self)
        guard Int32(sa.sin_family) == WS_AF_INET else { return nil }
        self.init(host: UInt32(bigEndian: sa.sin_addr.S_un.S_addr), port: UInt16(bigEndian: sa.sin_port))
    }

    /// Calls body with a pointer to the Winsock structure and its length.
    func withWinsock<R>(_ body: (UnsafePointer<WS_sockaddr>, Int32) -> R) -> R {
        var sa = winsock
        return withUnsafePointer(to: &sa) { p in
            p.withMemoryRebound(to: WS_sockaddr.self, capacity: 1) { body($0, SocketAddress.length) }
        }
    }
}
