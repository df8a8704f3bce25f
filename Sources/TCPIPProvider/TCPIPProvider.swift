// The TCP/IP provider: ProviderKit's kernel-socket provider for AF_INET,
// TCP over SOCK_STREAM and UDP over SOCK_DGRAM. What is IPv4's and not every
// family's is here: the protocols, the address rules, TCP's urgent data and
// its FD_CLOSE test, the options at IPPROTO_IP and IPPROTO_TCP.
import Glibc
import ProviderKit
import WS2Catalog

public enum TCPIPProvider {
    /// The one instance libws2spi.so.2 serves.
    public static let shared = KernelSocketProvider(family: TCPIPProvider.family)

    public static let family = KernelFamily(
        description: "ws2spi TCP/IP service provider 2.0 on Linux kernel sockets",
        configName: "ws2spi-tcpip",
        winsockFamily: WS_AF_INET, linuxFamily: AF_INET,
        stream: KernelProtocol(entry: TCPIPProtocols.tcp, linuxType: Int32(SOCK_STREAM.rawValue), linuxProtocol: Int32(IPPROTO_TCP)),
        datagram: KernelProtocol(entry: TCPIPProtocols.udp, linuxType: Int32(SOCK_DGRAM.rawValue), linuxProtocol: Int32(IPPROTO_UDP)),
        // sockaddr_in: 16 bytes both ways, the Winsock and Linux layouts alike.
        minimumAddressLength: sockaddrInSize, maximumAddressLength: sockaddrInSize, fixedAddressLength: true,
        urgentData: true,
        deferredDatagramErrors: true,
        options: [
            KernelOption(level: WS_SOL_PROVIDER, name: WS_TCP_NODELAY, linuxLevel: Int32(IPPROTO_TCP), linuxName: TCP_NODELAY, only: .stream),
        ],
        optionLevels: [WS_IPPROTO_IP],
        destinationError: { a in
            let (port, address) = portAndAddress(a)
            return address == 0 || port == 0 ? .addressNotAvailable : nil
        },
        host: { a in UInt64(portAndAddress(a).address) },
        peerClosed: { fd, _, _ in peerSentFIN(fd) })

    /// sizeof(struct sockaddr_in) in the Winsock layout (16).
    static var sockaddrInSize: Int32 { Int32(MemoryLayout<WS_sockaddr_in>.size) }

    /// sin_port and sin_addr, in network byte order as stored.
    static func portAndAddress(_ a: SocketAddress) -> (port: UInt16, address: UInt32) {
        withUnsafeBytes(of: a.storage) { ($0.loadUnaligned(fromByteOffset: 2, as: UInt16.self), $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
    }

    /// Whether the peer has closed its side (its FIN arrived): the TCP
    /// state from TCP_INFO. Asked only after the socket's own receive
    /// shutdown, when poll(2) cannot tell the two apart.
    static func peerSentFIN(_ fd: Int32) -> Bool {
        // struct tcp_info starts with u8 tcpi_state; TCP_INFO is 11.
        var info = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var len = socklen_t(MemoryLayout.size(ofValue: info))
        guard (try? Sys.getsockopt(fd, Int32(IPPROTO_TCP), 11, &info, &len)) != nil else { return false }
        switch UInt8(truncatingIfNeeded: info.0) {
        case 6, 7, 8, 9, 11: return true   // TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, CLOSING
        default: return false
        }
    }
}
