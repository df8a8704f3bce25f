// What makes a kernel-socket provider one family's provider: the Winsock and
// Linux family numbers, the socket types it serves, its address layout, its
// options and the few behaviours that differ between families. Everything
// else (the SPI over Linux sockets: blocking calls with hooks, select, the
// three notification models, overlapped I/O, the option table, accept with
// condition functions) is KernelSocketProvider's, the same for every family.
import Glibc
import CWS2SPI
import WS2Catalog

/// Stream or datagram: the two socket types a kernel-socket provider serves.
public enum SocketKind: Sendable {
    case stream, datagram
    var winsockType: Int32 { self == .stream ? WS_SOCK_STREAM : WS_SOCK_DGRAM }
}

/// One socket type of a family: its PROTOCOL_INFO (the catalog's entry,
/// SO_PROTOCOL_INFO's answer) and the Linux numbers WSPSocket passes to
/// socket(2).
public struct KernelProtocol: Sendable {
    /// The Winsock side: iSocketType, iProtocol and the rest of PROTOCOL_INFO.
    public let entry: ProtocolEntry
    /// socket(2)'s type and protocol.
    public let linuxType: Int32
    public let linuxProtocol: Int32

    public init(entry: ProtocolEntry, linuxType: Int32, linuxProtocol: Int32) {
        self.entry = entry
        self.linuxType = linuxType
        self.linuxProtocol = linuxProtocol
    }
}

/// A Linux socket address (the bytes the kernel reads and writes) and its
/// length. Winsock addresses of the families Linux shares have the same
/// layout after the 16-bit family field (sockaddr_in, sockaddr_un), so a
/// conversion is the family number and a copy (KernelFamily.parse / store).
public struct SocketAddress: @unchecked Sendable, Equatable {
    public var storage = sockaddr_storage()
    public var length: socklen_t = 0

    public init() {}

    /// The same length and the same bytes up to it.
    public static func == (a: SocketAddress, b: SocketAddress) -> Bool {
        a.length == b.length && withUnsafeBytes(of: a.storage) { x in
            withUnsafeBytes(of: b.storage) { y in
                memcmp(x.baseAddress!, y.baseAddress!, min(Int(a.length), x.count)) == 0
            }
        }
    }

    /// The bytes after the family field.
    public func withBody<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: storage) { all in
            body(UnsafeRawBufferPointer(rebasing: all[2..<max(2, min(Int(length), all.count))]))
        }
    }

    /// Calls `body` with the address as a Linux sockaddr.
    @inline(__always)
    public func withLinux<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var copy = storage
        return try withUnsafePointer(to: &copy) { (p) throws(E) -> R in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(E) -> R in try body(q, length) }
        }
    }

    /// Fills the address from a Linux call that writes a sockaddr
    /// (getsockname, accept, recvfrom, ...).
    @inline(__always)
    public static func fromLinux<E: Error>(_ call: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) throws(E) -> Void) throws(E) -> SocketAddress {
        var a = SocketAddress()
        a.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &a.storage) { (p) throws(E) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(E) in try call(q, &a.length) }
        }
        return a
    }
}

/// A family served over Linux kernel sockets. One value describes the
/// provider: `KernelSocketProvider(family:)`.
public final class KernelFamily: Sendable {
    /// WSPStartup's szDescription.
    public let description: String
    /// The PVD_CONFIG object (SO_PROVIDER level): a short name.
    public let configName: String
    public let winsockFamily: Int32
    public let linuxFamily: Int32
    public let stream: KernelProtocol?
    public let datagram: KernelProtocol?
    /// The shortest Winsock address bind, connect and sendto take, and the
    /// shortest buffer getsockname, getpeername, accept and recvfrom fill
    /// (sizeof(sockaddr_in) for AF_INET; the family field for AF_UNIX).
    public let minimumAddressLength: Int32
    /// The longest address (sizeof(sockaddr_in), sizeof(SOCKADDR_UN)).
    public let maximumAddressLength: Int32
    /// Addresses go back to the caller at `maximumAddressLength`, zero
    /// padded (sockaddr_in), not at the length the kernel gave (sockaddr_un).
    public let fixedAddressLength: Bool
    /// TCP's expedited data: MSG_OOB, SO_OOBINLINE, SIOCATMARK and FD_OOB.
    /// Without it MSG_OOB is WSAEOPNOTSUPP and no receive pays for the
    /// urgent-data check.
    public let urgentData: Bool
    /// A stream connect ends at once in the kernel, done or refused (AF_UNIX:
    /// no handshake), so a blocking WSPConnect asks without blocking.
    public let connectsAtOnce: Bool
    /// Datagrams between sockets of this host (AF_UNIX): a send waits for
    /// room in the receiver's queue, which poll(2) cannot report, and an
    /// unbound socket is not bound by its first sendto or connect, so the
    /// provider binds it to a fresh name first (as UDP's kernel does).
    public let localDatagrams: Bool
    /// A datagram send's ECONNREFUSED is an ICMP error that belongs to the
    /// next receive (UDP, RULINGS §7a); otherwise it is the send's error.
    public let deferredDatagramErrors: Bool
    /// Options beyond SOL_SOCKET's, and the levels they live at.
    public let options: [KernelOption]
    public let optionLevels: [Int32]
    /// Why a destination of connect or sendto is refused before the kernel
    /// sees it (AF_INET: address or port zero, WSAEADDRNOTAVAIL).
    public let destinationError: @Sendable (SocketAddress) -> WSAError?
    /// Sockets of one group must reach the same host: the host of an address.
    public let host: @Sendable (SocketAddress) -> UInt64
    /// After the socket's own SD_RECEIVE, whether the peer has closed too
    /// (poll(2) reports both the same way); `revents` is poll's answer,
    /// `sendShut` whether the socket has shut its own sending side too.
    /// The default: the hang-up of both directions, unless the socket shut
    /// its own sending side (the same hang-up; no FD_CLOSE is better than a
    /// false one). TCP asks TCP_INFO instead.
    public let peerClosed: @Sendable (_ fd: Int32, _ revents: Int32, _ sendShut: Bool) -> Bool

    public init(description: String, configName: String, winsockFamily: Int32, linuxFamily: Int32,
                stream: KernelProtocol?, datagram: KernelProtocol?,
                minimumAddressLength: Int32, maximumAddressLength: Int32, fixedAddressLength: Bool,
                urgentData: Bool = false, connectsAtOnce: Bool = false, localDatagrams: Bool = false,
                deferredDatagramErrors: Bool = false,
                options: [KernelOption] = [], optionLevels: [Int32] = [],
                destinationError: @escaping @Sendable (SocketAddress) -> WSAError? = { _ in nil },
                host: @escaping @Sendable (SocketAddress) -> UInt64 = { _ in 0 },
                peerClosed: @escaping @Sendable (Int32, Int32, Bool) -> Bool = { _, revents, sendShut in
                    !sendShut && revents & Int32(POLLHUP) != 0
                }) {
        self.description = description
        self.configName = configName
        self.winsockFamily = winsockFamily
        self.linuxFamily = linuxFamily
        self.stream = stream
        self.datagram = datagram
        self.minimumAddressLength = minimumAddressLength
        self.maximumAddressLength = maximumAddressLength
        self.fixedAddressLength = fixedAddressLength
        self.urgentData = urgentData
        self.connectsAtOnce = connectsAtOnce
        self.localDatagrams = localDatagrams
        self.deferredDatagramErrors = deferredDatagramErrors
        self.options = options
        self.optionLevels = optionLevels
        self.destinationError = destinationError
        self.host = host
        self.peerClosed = peerClosed
    }

    /// The protocol of a socket kind (nil: the family has none).
    func kernelProtocol(_ kind: SocketKind) -> KernelProtocol? { kind == .stream ? stream : datagram }

    // MARK: addresses

    /// Reads a Winsock address of `length` bytes: WSAEFAULT for NULL or a
    /// length below the minimum; `wrongFamily` (bind says WSAEFAULT,
    /// connect WSAEAFNOSUPPORT) for another family. Bytes past the longest
    /// address are not read.
    @inline(__always)
    func parse(_ p: UnsafeRawPointer?, length: Int32, wrongFamily: WSAError) throws(WSAError) -> SocketAddress {
        guard let p, length >= minimumAddressLength, length >= 2 else { throw .fault }
        guard Int32(p.loadUnaligned(as: UInt16.self)) == winsockFamily else { throw wrongFamily }
        let n = Int(min(length, maximumAddressLength))
        var a = SocketAddress()
        a.length = socklen_t(n)
        withUnsafeMutableBytes(of: &a.storage) { out in
            out.storeBytes(of: sa_family_t(linuxFamily), as: sa_family_t.self)
            if n > 2 { out.baseAddress!.advanced(by: 2).copyMemory(from: p + 2, byteCount: n - 2) }
        }
        return a
    }

    /// The Winsock length of an address the kernel gave.
    @inline(__always)
    func winsockLength(_ a: SocketAddress) -> Int32 {
        fixedAddressLength ? maximumAddressLength : min(max(Int32(a.length), 2), maximumAddressLength)
    }

    /// Writes a kernel address in the Winsock layout into `capacity` bytes
    /// at `p` (at most; a zero-padded fixed-length address is written whole
    /// when it fits). Returns the address's Winsock length.
    @inline(__always)
    @discardableResult
    func store(_ a: SocketAddress, to p: UnsafeMutableRawPointer, capacity: Int32) -> Int32 {
        let total = winsockLength(a)
        let n = Int(min(total, capacity))
        guard n >= 2 else { return total }
        p.storeBytes(of: UInt16(truncatingIfNeeded: winsockFamily), as: UInt16.self)
        withUnsafeBytes(of: a.storage) { src in
            let body = max(0, min(n, Int(a.length)) - 2)
            if body > 0 { (p + 2).copyMemory(from: src.baseAddress! + 2, byteCount: body) }
            if n - 2 > body { (p + 2 + body).initializeMemory(as: UInt8.self, repeating: 0, count: n - 2 - body) }
        }
        return total
    }

    /// Writes an address into a caller's (name, namelen): WSAEFAULT if
    /// either is NULL or namelen is shorter than the address.
    func store(_ a: SocketAddress, to name: UnsafeMutableRawPointer?, length: UnsafeMutablePointer<Int32>?) throws(WSAError) {
        guard let name, let length, length.pointee >= winsockLength(a) else { throw .fault }
        length.pointee = store(a, to: name, capacity: length.pointee)
    }

    /// An address of this family with nothing in it (INADDR_ANY:0; an unnamed AF_UNIX socket).
    var unspecifiedAddress: SocketAddress {
        var a = SocketAddress()
        a.length = socklen_t(fixedAddressLength ? maximumAddressLength : 2)
        withUnsafeMutableBytes(of: &a.storage) { $0.storeBytes(of: sa_family_t(linuxFamily), as: sa_family_t.self) }
        return a
    }
}

/// A kernel option a family adds to SOL_SOCKET's: a BOOL or int at the
/// Winsock (level, name), kept by the kernel at the Linux (level, name).
public struct KernelOption: Sendable {
    public let level: Int32
    public let name: Int32
    public let linuxLevel: Int32
    public let linuxName: Int32
    /// nil: both socket kinds; else only this kind has it (WSAENOPROTOOPT).
    public let only: SocketKind?

    public init(level: Int32, name: Int32, linuxLevel: Int32, linuxName: Int32, only: SocketKind?) {
        self.level = level
        self.name = name
        self.linuxLevel = linuxLevel
        self.linuxName = linuxName
        self.only = only
    }
}
