// libws2unix.so.2: the AF_UNIX service provider, Winsock's AF_UNIX (family 1,
// SOCKADDR_UN of Windows' afunix.h) over Linux AF_UNIX sockets, stream and
// datagram. Written as any provider author would write one: it imports the
// ProviderKit product only and is linked by the shipped recipe
// (`ws2spi-build-provider --product ws2unix`). Everything but what makes
// AF_UNIX itself is the kit's KernelSocketProvider.
//
// Addresses: SOCKADDR_UN's layout is Linux's sockaddr_un (2-byte family,
// 108-byte path), so an address is passed as it is, its length included: a
// path name ends at its NUL; a leading NUL names the abstract namespace, the
// name being the address length less the family field; the family field
// alone is an unnamed socket (bind then picks an abstract name, as Linux's
// autobind does). Addresses come back at the length the kernel gives.
import Glibc
import ProviderKit

public enum UnixProvider {
    /// The one instance libws2unix.so.2 serves.
    public static let shared = KernelSocketProvider(family: family)

    public static let family = KernelFamily(
        description: "ws2spi AF_UNIX service provider 2.0 on Linux kernel sockets",
        configName: "ws2spi-unix",
        winsockFamily: WS_AF_UNIX, linuxFamily: AF_UNIX,
        stream: KernelProtocol(entry: UnixProtocols.stream, linuxType: Int32(SOCK_STREAM.rawValue), linuxProtocol: 0),
        datagram: KernelProtocol(entry: UnixProtocols.datagram, linuxType: Int32(SOCK_DGRAM.rawValue), linuxProtocol: 0),
        minimumAddressLength: 2, maximumAddressLength: Int32(MemoryLayout<WS_sockaddr_un>.size), fixedAddressLength: false,
        // Windows' AF_UNIX has no expedited data: MSG_OOB is WSAEOPNOTSUPP,
        // and receives pay for no urgent-data check.
        urgentData: false,
        // No handshake: a connect is done, or refused (a full backlog), at once.
        connectsAtOnce: true,
        // Datagrams wait for room at the receiver; no implicit bind.
        localDatagrams: true,
        // A datagram sent to a name nobody holds fails at once (ECONNREFUSED).
        // FD_CLOSE after the socket's own SD_RECEIVE: KernelFamily's default
        // (the hang-up of both directions, unless the socket shut its own
        // sending side too: then the peer's close cannot be told).
        deferredDatagramErrors: false)
}

/// The registration ProviderKit's export thunks call (ProviderKit's DocC,
/// "Writing a provider"): the provider behind this library's WSP* symbols.
@_cdecl("ws2spi_provider_instance")
public func ws2spi_provider_instance() -> UnsafeMutableRawPointer {
    Unmanaged.passUnretained(UnixProvider.shared as AnyObject).toOpaque()
}
