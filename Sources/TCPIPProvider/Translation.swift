// Winsock <-> Linux numbers, one table per kind (Wine's ws2_32 style): adding
// a family, type, flag or direction is one line. The Winsock numbers are
// ws2spi.h's (CWS2SPI); option numbers live in Options.swift, errno -> WSA
// in ProviderKit's WSAError.
import Glibc
import ProviderKit
import CWS2SPI

/// A two-column table with lookups both ways.
struct NumberMap: Sendable {
    let pairs: [(winsock: Int32, linux: Int32)]
    func linux(_ winsock: Int32) -> Int32? { pairs.first { $0.winsock == winsock }?.linux }
    func winsock(_ linux: Int32) -> Int32? { pairs.first { $0.linux == linux }?.winsock }
}

enum Translation {
    static let family = NumberMap(pairs: [
        (WS_AF_INET, AF_INET),
    ])
    static let socketType = NumberMap(pairs: [
        (WS_SOCK_STREAM, Int32(SOCK_STREAM.rawValue)),
        (WS_SOCK_DGRAM, Int32(SOCK_DGRAM.rawValue)),
    ])
    static let ipProtocol = NumberMap(pairs: [
        (WS_IPPROTO_TCP, Int32(IPPROTO_TCP)),
        (WS_IPPROTO_UDP, Int32(IPPROTO_UDP)),
    ])
    static let shutdownHow = NumberMap(pairs: [
        (SD_RECEIVE, Int32(SHUT_RD)),
        (SD_SEND, Int32(SHUT_WR)),
        (SD_BOTH, Int32(SHUT_RDWR)),
    ])
    /// Receive flags the provider passes to the kernel.
    static let receiveFlags = NumberMap(pairs: [
        (WS_MSG_OOB, Int32(MSG_OOB)),
        (WS_MSG_PEEK, Int32(MSG_PEEK)),
    ])
    /// Send flags the provider passes to the kernel. MSG_PARTIAL and
    /// MSG_INTERRUPT are accepted and have no kernel meaning (0).
    static let sendFlags = NumberMap(pairs: [
        (WS_MSG_OOB, Int32(MSG_OOB)),
        (WS_MSG_DONTROUTE, Int32(MSG_DONTROUTE)),
        (WS_MSG_PARTIAL, 0),
        (WS_MSG_INTERRUPT, 0),
    ])

    /// Translates a flag word bit by bit; nil if a bit is not in the table.
    @inline(__always)
    static func flags(_ winsock: Int32, _ map: NumberMap) -> Int32? {
        var rest = winsock
        var out: Int32 = 0
        if rest == 0 { return 0 }
        for (w, l) in map.pairs where rest & w != 0 {
            out |= l
            rest &= ~w
        }
        return rest == 0 ? out : nil
    }
}

/// sizeof(struct sockaddr_in) in the Winsock layout (16): the shortest
/// address length the provider accepts, and the length it writes.
var sockaddrInSize: Int32 { Int32(MemoryLayout<WS_sockaddr_in>.size) }

/// An IPv4 endpoint, converted between the Winsock and Linux sockaddr_in.
/// Both are 16 bytes (family, port, address, zero); only the family field's
/// meaning is translated, through `Translation.family`.
struct IPv4Endpoint: Equatable, Sendable {
    /// Port and address in network byte order, as they are stored.
    var port: UInt16
    var address: UInt32

    static let any = IPv4Endpoint(port: 0, address: 0)
    var isAnyAddress: Bool { address == 0 }

    /// Reads a Winsock sockaddr of `length` bytes: WSAEFAULT for NULL or a
    /// length below sizeof(sockaddr_in); `wrongFamily` (the caller's error:
    /// bind says WSAEFAULT, connect WSAEAFNOSUPPORT) for a family that is not AF_INET.
    static func parse(_ p: UnsafeRawPointer?, length: Int32, wrongFamily: WSAError) throws(WSAError) -> IPv4Endpoint {
        guard let p, length >= sockaddrInSize else { throw .fault }
        let family = Int32(p.loadUnaligned(as: UInt16.self))
        guard family == WS_AF_INET else { throw wrongFamily }
        return IPv4Endpoint(port: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self),
                            address: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    }

    init(port: UInt16, address: UInt32) { self.port = port; self.address = address }

    init(linux sa: sockaddr_in) {
        port = sa.sin_port
        address = sa.sin_addr.s_addr
    }

    var linux: sockaddr_in {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(Translation.family.linux(WS_AF_INET)!)
        sa.sin_port = port
        sa.sin_addr.s_addr = address
        return sa
    }

    /// Writes the Winsock sockaddr_in (16 bytes) to `p`.
    func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: UInt16(WS_AF_INET), as: UInt16.self)
        p.storeBytes(of: port, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: address, toByteOffset: 4, as: UInt32.self)
        (p + 8).initializeMemory(as: UInt8.self, repeating: 0, count: 8)
    }

    /// Writes the address into a caller's (name, namelen) pair: WSAEFAULT if
    /// either is NULL or namelen is below sizeof(sockaddr_in).
    func store(to name: UnsafeMutableRawPointer?, length: UnsafeMutablePointer<Int32>?) throws(WSAError) {
        guard let name, let length, length.pointee >= sockaddrInSize else { throw .fault }
        store(to: name)
        length.pointee = sockaddrInSize
    }

    /// Calls `body` with a Linux sockaddr pointer for this endpoint.
    func withLinux<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        var sa = linux
        return try withUnsafePointer(to: &sa) { (p) throws(E) -> R in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (q) throws(E) -> R in
                try body(q, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}
