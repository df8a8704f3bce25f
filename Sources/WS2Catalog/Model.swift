// The catalog's model: protocols, providers, and a read-only snapshot.
import Glibc
import CWS2SPI

/// One PROTOCOL_INFO of a provider: one "socket" (index i) of its section.
public struct ProtocolEntry: Sendable, Hashable {
    /// dwServiceFlags (XP_*): ProtocolAttributes<i>.
    public var serviceFlags: UInt32
    /// iAddressFamily: AddressFamily<i>.
    public var addressFamily: Int32
    /// iMaxSockAddr: MaximumAddressLength<i>.
    public var maxSockAddr: Int32
    /// iMinSockAddr: MinimumAddressLength<i>.
    public var minSockAddr: Int32
    /// iSocketType: SocketType<i>.
    public var socketType: Int32
    /// iProtocol: Protocol<i>.
    public var `protocol`: Int32
    /// dwMessageSize: MessageSize<i>, a private entry (§2.1.2.2 has none).
    public var messageSize: UInt32
    /// lpProtocol: ProtocolSocketDescription<i>.
    public var description: String

    public init(serviceFlags: UInt32, addressFamily: Int32, maxSockAddr: Int32, minSockAddr: Int32,
                socketType: Int32, protocol: Int32, messageSize: UInt32, description: String) {
        self.serviceFlags = serviceFlags
        self.addressFamily = addressFamily
        self.maxSockAddr = maxSockAddr
        self.minSockAddr = minSockAddr
        self.socketType = socketType
        self.protocol = `protocol`
        self.messageSize = messageSize
        self.description = description
    }

    /// A copy of a C PROTOCOL_INFO; its lpProtocol must not be NULL, nor
    /// below 64 KiB (RULINGS §4: such a pointer is treated like NULL).
    public init(_ info: PROTOCOL_INFO) throws(CatalogError) {
        guard let name = info.lpProtocol, UInt(bitPattern: name) >= 0x1_0000 else { throw .fault("lpProtocol") }
        self.init(serviceFlags: info.dwServiceFlags, addressFamily: info.iAddressFamily,
                  maxSockAddr: info.iMaxSockAddr, minSockAddr: info.iMinSockAddr,
                  socketType: info.iSocketType, protocol: info.iProtocol,
                  messageSize: info.dwMessageSize, description: String(cString: name))
    }

    /// The entry as a C PROTOCOL_INFO whose lpProtocol is valid only inside `body`.
    public func withProtocolInfo<R>(_ body: (PROTOCOL_INFO) throws -> R) rethrows -> R {
        try description.withCString { try body(cInfo(description: UnsafeMutablePointer(mutating: $0))) }
    }

    /// The fields as a C PROTOCOL_INFO with `description` as lpProtocol.
    public func cInfo(description: UnsafeMutablePointer<CChar>?) -> PROTOCOL_INFO {
        PROTOCOL_INFO(dwServiceFlags: serviceFlags, iAddressFamily: addressFamily, iMaxSockAddr: maxSockAddr,
                      iMinSockAddr: minSockAddr, iSocketType: socketType, iProtocol: `protocol`,
                      dwMessageSize: messageSize, lpProtocol: description)
    }
}

/// The TCP/IP provider's protocols, as SO_PROTOCOL_INFO reports them and as
/// `ws2ctl install --protocols tcp,udp` writes them: the one table. Every
/// number is ws2spi.h's (CWS2SPI).
public enum TCPIPProtocols {
    /// Stream over TCP: guaranteed delivery and order, graceful close,
    /// expedited data, fragmentation (0x1066); no message size.
    public static let tcp = ProtocolEntry(
        serviceFlags: UInt32(XP_GUARANTEED_DELIVERY | XP_GUARANTEED_ORDER | XP_GRACEFUL_CLOSE
                             | XP_EXPEDITED_DATA | XP_FRAGMENTATION),
        addressFamily: WS_AF_INET, maxSockAddr: sockaddrInSize, minSockAddr: sockaddrInSize,
        socketType: WS_SOCK_STREAM, protocol: WS_IPPROTO_TCP,
        messageSize: 0, description: "TCP/IP")
    /// Datagrams over UDP: connectionless, message-oriented, broadcast,
    /// multicast, fragmentation (0x1609); 65507 bytes at most.
    public static let udp = ProtocolEntry(
        serviceFlags: UInt32(XP_CONNECTIONLESS | XP_MESSAGE_ORIENTED | XP_SUPPORTS_BROADCAST
                             | XP_SUPPORTS_MULTICAST | XP_FRAGMENTATION),
        addressFamily: WS_AF_INET, maxSockAddr: sockaddrInSize, minSockAddr: sockaddrInSize,
        socketType: WS_SOCK_DGRAM, protocol: WS_IPPROTO_UDP,
        messageSize: maxUDPPayload, description: "UDP/IP")
    public static let all: [ProtocolEntry] = [tcp, udp]

    /// sizeof(struct sockaddr_in) in the Winsock layout (16): both address lengths.
    private static var sockaddrInSize: Int32 { Int32(MemoryLayout<WS_sockaddr_in>.size) }
    /// The largest UDP payload over IPv4 (the header has no name for it):
    /// 65535 (IPv4 total length) - 20 (IP header) - 8 (UDP header).
    private static var maxUDPPayload: UInt32 { 65_535 - 20 - 8 }

    /// "tcp" or "udp" (any case), else nil.
    public static func named(_ name: String) -> ProtocolEntry? {
        if sameName(name, "tcp") { return tcp }
        if sameName(name, "udp") { return udp }
        return nil
    }
}

/// The AF_UNIX provider's protocols (libws2unix.so.2), as SO_PROTOCOL_INFO
/// reports them and as `ws2ctl install --protocols unix-stream,unix-dgram`
/// writes them. Addresses are SOCKADDR_UN (Windows' afunix.h): 2 bytes of
/// family at least (an unnamed socket), 110 at most.
public enum UnixProtocols {
    /// Stream: delivery and order guaranteed, graceful close; no message size.
    public static let stream = ProtocolEntry(
        serviceFlags: UInt32(XP_GUARANTEED_DELIVERY | XP_GUARANTEED_ORDER | XP_GRACEFUL_CLOSE),
        addressFamily: WS_AF_UNIX, maxSockAddr: sockaddrUnSize, minSockAddr: 2,
        socketType: WS_SOCK_STREAM, protocol: 0, messageSize: 0, description: "AF_UNIX stream")
    /// Datagrams: connectionless, message-oriented, and (being local)
    /// delivered in order without loss; 65535 bytes at most as advertised.
    public static let datagram = ProtocolEntry(
        serviceFlags: UInt32(XP_CONNECTIONLESS | XP_MESSAGE_ORIENTED | XP_GUARANTEED_DELIVERY | XP_GUARANTEED_ORDER),
        addressFamily: WS_AF_UNIX, maxSockAddr: sockaddrUnSize, minSockAddr: 2,
        socketType: WS_SOCK_DGRAM, protocol: 0, messageSize: 65_535, description: "AF_UNIX datagram")
    public static let all: [ProtocolEntry] = [stream, datagram]

    /// sizeof(SOCKADDR_UN): 2 + 108.
    private static var sockaddrUnSize: Int32 { Int32(MemoryLayout<WS_sockaddr_un>.size) }
}

/// The protocols `ws2ctl install --protocols` knows by name.
public enum KnownProtocols {
    public static let names: [(String, ProtocolEntry)] = [
        ("tcp", TCPIPProtocols.tcp), ("udp", TCPIPProtocols.udp),
        ("unix-stream", UnixProtocols.stream), ("unix-dgram", UnixProtocols.datagram),
    ]

    /// A name of `names` (any case), else nil.
    public static func named(_ name: String) -> ProtocolEntry? {
        names.first { sameName($0.0, name) }?.1
    }
}

/// One installed provider, as read from the catalog.
public struct ProviderRecord: Sendable, Hashable {
    /// The provider key: `ProviderKey<i>="<name>"`, section `[Provider-<name>]`.
    public var name: String
    /// i of ProviderKey<i> after renumbering: 0-based catalog order.
    public var index: Int
    /// ProviderId; nil when other software wrote the section without one.
    public var id: UInt32?
    /// ProviderFilename: what a host dlopens ("" if missing).
    public var filename: String
    /// ProviderDescription.
    public var description: String
    /// ProviderDomain: the address family.
    public var domain: Int32
    /// ProviderAddrLength: the longest address.
    public var addressLength: Int32
    /// NumSockets entries, in index order.
    public var protocols: [ProtocolEntry]
    /// false when ProviderKey<i> names a section the file does not have.
    public var hasSection: Bool
    /// Every entry of the section in file order, values unquoted.
    public var entries: [Entry]

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The first entry `key` (case-insensitive), e.g. "ListenBacklogLimit".
    public func value(forKey key: String) -> String? {
        entries.first { sameName($0.key, key) }?.value
    }
}

/// A snapshot of the catalog file.
public struct Catalog: Sendable {
    public let path: String
    /// Catalog order: ProviderKey index order.
    public let providers: [ProviderRecord]

    /// The provider with this name (case-insensitive, as INI names are).
    public func provider(named name: String) -> ProviderRecord? {
        providers.first { sameName($0.name, name) }
    }

    public func provider(id: UInt32) -> ProviderRecord? {
        providers.first { $0.id == id }
    }

    /// Providers whose ProviderFilename is the file at `libraryPath`: the
    /// same device and inode (symlinks and other spellings match), else the
    /// same string.
    public func providers(forLibrary libraryPath: String) -> [ProviderRecord] {
        let target = fileIdentity(libraryPath)
        return providers.filter { p in
            guard !p.filename.isEmpty else { return false }
            if let target, let mine = fileIdentity(p.filename) { return mine == target }
            return p.filename == libraryPath
        }
    }

    /// Every provider's protocols, catalog order: what WSAEnumProtocols returns.
    public var protocols: [ProtocolEntry] { providers.flatMap(\.protocols) }
}

/// (device, inode) of the file a path names after symlinks, or nil.
func fileIdentity(_ path: String) -> [UInt64]? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return [UInt64(st.st_dev), UInt64(st.st_ino)]
}
