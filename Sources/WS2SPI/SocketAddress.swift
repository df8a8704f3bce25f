// Socket addresses in the Winsock layout: IPv4 (struct WS_sockaddr_in) and,
// for the AF_UNIX provider, SOCKADDR_UN (struct WS_sockaddr_un).
import CWS2SPI

/// An IPv4 address and port, or an AF_UNIX name (``unix(path:)``,
/// ``unix(abstract:)``): what `WSPBind`, `WSPConnect`, `WSPSendTo` take and
/// `WSPGetSockName`, `WSPAccept`, `WSPRecvFrom` return.
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

    /// "a.b.c.d:port"; "unix:PATH", "unix:@NAME" or "unix:(unnamed)".
    public var description: String {
        if let path = unixPath { return "unix:" + path }
        if let name = unixAbstractName { return "unix:@" + name }
        if isUnix { return "unix:(unnamed)" }
        return "\(host >> 24).\(host >> 16 & 0xFF).\(host >> 8 & 0xFF).\(host & 0xFF):\(port)"
    }

    // MARK: AF_UNIX (the AF_UNIX provider, libws2unix.so.2)

    /// For an AF_UNIX address, sun_path's bytes as they count: a path
    /// without its NUL, or an abstract name with its leading NUL; empty for
    /// an unnamed socket. nil for an IPv4 address.
    public private(set) var unixName: [UInt8]?

    /// An AF_UNIX path name ("/run/app.sock"); nil when it is empty (that
    /// is ``unixUnnamed``), holds a NUL, or with its NUL does not fit
    /// sun_path's 108 bytes.
    public static func unix(path: String) -> SocketAddress? {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, !bytes.contains(0), bytes.count < Int(WS_UNIX_PATH_MAX) else { return nil }
        var a = SocketAddress(host: 0, port: 0)
        a.unixName = bytes
        return a
    }

    /// An AF_UNIX name in Linux's abstract namespace (no file): sun_path is
    /// a NUL and then `name`; nil when that does not fit sun_path's 108 bytes.
    public static func unix(abstract name: String) -> SocketAddress? {
        let bytes = Array(name.utf8)
        guard bytes.count < Int(WS_UNIX_PATH_MAX) else { return nil }
        var a = SocketAddress(host: 0, port: 0)
        a.unixName = [0] + bytes
        return a
    }

    /// The AF_UNIX family alone: `bind` picks a fresh abstract name (Linux's
    /// autobind); an unbound peer is reported this way.
    public static var unixUnnamed: SocketAddress {
        var a = SocketAddress(host: 0, port: 0)
        a.unixName = []
        return a
    }

    /// AF_UNIX rather than AF_INET.
    public var isUnix: Bool { unixName != nil }

    /// The path of an AF_UNIX path name, else nil.
    public var unixPath: String? {
        guard let name = unixName, let first = name.first, first != 0 else { return nil }
        return String(decoding: name, as: UTF8.self)
    }

    /// The name of an abstract AF_UNIX address (without its leading NUL), else nil.
    public var unixAbstractName: String? {
        guard let name = unixName, name.first == 0 else { return nil }
        return String(decoding: name.dropFirst(), as: UTF8.self)
    }

    /// The buffer size for an address the provider writes: any family's.
    static let storageLength = 128

    /// sizeof(struct sockaddr_in) in the header's layout.
    static let inetLength = Int32(MemoryLayout<WS_sockaddr_in>.size)

    /// The Winsock address's length: sockaddr_in's, or the family field,
    /// the name and (for a path) its NUL.
    var length: Int32 {
        guard let name = unixName else { return SocketAddress.inetLength }
        return Int32(2 + name.count + (name.first.map { $0 != 0 } == true ? 1 : 0))
    }

    /// Writes the Winsock structure into `p` (storageLength bytes); returns its length.
    func write(to p: UnsafeMutableRawPointer) -> Int32 {
        guard let name = unixName else {
            var sa = WS_sockaddr_in()
            sa.sin_family = Int16(WS_AF_INET)
            sa.sin_port = port.bigEndian
            sa.sin_addr.S_un.S_addr = host.bigEndian
            p.storeBytes(of: sa, as: WS_sockaddr_in.self)
            return SocketAddress.inetLength
        }
        p.initializeMemory(as: UInt8.self, repeating: 0, count: 2 + Int(WS_UNIX_PATH_MAX))
        p.storeBytes(of: UInt16(WS_AF_UNIX), as: UInt16.self)
        name.withUnsafeBytes { (p + 2).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return length
    }

    /// Reads a Winsock address of `length` bytes: AF_INET (sockaddr_in) or
    /// AF_UNIX (SOCKADDR_UN); nil for another family or a short one.
    init?(winsock pointer: UnsafeRawPointer, length: Int32) {
        guard length >= 2 else { return nil }
        switch Int32(pointer.loadUnaligned(as: UInt16.self)) {
        case WS_AF_INET:
            guard length >= SocketAddress.inetLength else { return nil }
            let sa = pointer.loadUnaligned(as: WS_sockaddr_in.self)
            self.init(host: UInt32(bigEndian: sa.sin_addr.S_un.S_addr), port: UInt16(bigEndian: sa.sin_port))
        case WS_AF_UNIX:
            let bytes = Array(UnsafeRawBufferPointer(start: pointer + 2, count: Int(min(length, 2 + WS_UNIX_PATH_MAX)) - 2))
            self.init(host: 0, port: 0)
            // A path ends at its NUL; an abstract name is every byte given.
            unixName = bytes.first == 0 ? bytes : Array(bytes.prefix { $0 != 0 })
        default:
            return nil
        }
    }

    /// Calls body with a pointer to the Winsock structure and its length.
    func withWinsock<R>(_ body: (UnsafePointer<WS_sockaddr>, Int32) -> R) -> R {
        withUnsafeTemporaryAllocation(byteCount: SocketAddress.storageLength, alignment: 8) { raw in
            let n = write(to: raw.baseAddress!)
            return body(raw.baseAddress!.assumingMemoryBound(to: WS_sockaddr.self), n)
        }
    }

    /// Receives an address the provider writes: `body` gets a buffer of
    /// storageLength bytes and its in/out length.
    static func receiving<R>(_ body: (UnsafeMutablePointer<WS_sockaddr>, UnsafeMutablePointer<Int32>) -> R) -> (R, SocketAddress?) {
        withUnsafeTemporaryAllocation(byteCount: storageLength, alignment: 8) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            var len = Int32(storageLength)
            let r = body(raw.baseAddress!.assumingMemoryBound(to: WS_sockaddr.self), &len)
            return (r, SocketAddress(winsock: raw.baseAddress!, length: len))
        }
    }
}
