// Winsock numbers the provider uses, under their ws2spi.h names. They are
// plain values here (some header macros, like FIONBIO's _IOW(...), do not
// import into Swift); TCPIPProviderTests checks each against the header.

/// Winsock constants (ws2spi.h), grouped by kind.
public enum WS {
    // address families, types, protocols
    public static let AF_UNSPEC: Int32 = 0
    public static let AF_INET: Int32 = 2
    public static let SOCK_STREAM: Int32 = 1
    public static let SOCK_DGRAM: Int32 = 2
    public static let SOCK_RAW: Int32 = 3
    public static let SOCK_RDM: Int32 = 4
    public static let SOCK_SEQPACKET: Int32 = 5
    public static let IPPROTO_IP: Int32 = 0
    public static let IPPROTO_TCP: Int32 = 6
    public static let IPPROTO_UDP: Int32 = 17

    // option levels and names
    public static let SOL_SOCKET: Int32 = 0xFFFF
    public static let SOL_PROVIDER: Int32 = IPPROTO_TCP
    public static let SO_DEBUG: Int32 = 0x0001
    public static let SO_ACCEPTCONN: Int32 = 0x0002
    public static let SO_REUSEADDR: Int32 = 0x0004
    public static let SO_KEEPALIVE: Int32 = 0x0008
    public static let SO_DONTROUTE: Int32 = 0x0010
    public static let SO_BROADCAST: Int32 = 0x0020
    public static let SO_USELOOPBACK: Int32 = 0x0040
    public static let SO_LINGER: Int32 = 0x0080
    public static let SO_OOBINLINE: Int32 = 0x0100
    public static let SO_DONTLINGER: Int32 = ~0x0080
    public static let SO_SNDBUF: Int32 = 0x1001
    public static let SO_RCVBUF: Int32 = 0x1002
    public static let SO_SNDLOWAT: Int32 = 0x1003
    public static let SO_RCVLOWAT: Int32 = 0x1004
    public static let SO_SNDTIMEO: Int32 = 0x1005
    public static let SO_RCVTIMEO: Int32 = 0x1006
    public static let SO_ERROR: Int32 = 0x1007
    public static let SO_TYPE: Int32 = 0x1008
    public static let SO_FLOWSPEC: Int32 = 0x2001
    public static let SO_GROUP_FLOWSPEC: Int32 = 0x2002
    public static let SO_GROUP_ID: Int32 = 0x2003
    public static let SO_GROUP_PRIORITY: Int32 = 0x2004
    public static let SO_MAX_DG_SIZE: Int32 = 0x2005
    public static let SO_PROTOCOL_INFO: Int32 = 0x2006
    public static let PVD_CALL_ID: Int32 = 0x3001
    public static let PVD_CONFIG: Int32 = 0x3002
    public static let TAPI_DEVICE_ID: Int32 = 0x3003
    public static let TCP_NODELAY: Int32 = 0x0001
    public static let IP_OPTIONS: Int32 = 1

    // send / recv flags
    public static let MSG_OOB: Int32 = 0x1
    public static let MSG_PEEK: Int32 = 0x2
    public static let MSG_DONTROUTE: Int32 = 0x4
    public static let MSG_INTERRUPT: Int32 = 0x8
    public static let MSG_PARTIAL: Int32 = 0x8000

    // ioctl commands (long: 32 bits)
    public static let FIONREAD = Int32(bitPattern: 0x4004_667F)
    public static let FIONBIO = Int32(bitPattern: 0x8004_667E)
    public static let FIOASYNC = Int32(bitPattern: 0x8004_667D)
    public static let SIOCATMARK = Int32(bitPattern: 0x4004_7307)

    // shutdown, accept conditions, groups, listen
    public static let SD_RECEIVE: Int32 = 0
    public static let SD_SEND: Int32 = 1
    public static let SD_BOTH: Int32 = 2
    public static let CF_ACCEPT: Int32 = 0
    public static let CF_REJECT: Int32 = 1
    public static let CF_DEFER: Int32 = 2
    public static let SG_UNCONSTRAINED_GROUP: UInt32 = 1
    public static let SG_CONSTRAINED_GROUP: UInt32 = 2
    public static let SOMAXCONN: Int32 = 5
    public static let WSA_FLAG_OVERLAPPED: Int32 = 0x01

    // PROTOCOL_INFO service flags (XP_*)
    public static let XP_CONNECTIONLESS: UInt32 = 0x1
    public static let XP_GUARANTEED_DELIVERY: UInt32 = 0x2
    public static let XP_GUARANTEED_ORDER: UInt32 = 0x4
    public static let XP_MESSAGE_ORIENTED: UInt32 = 0x8
    public static let XP_GRACEFUL_CLOSE: UInt32 = 0x20
    public static let XP_EXPEDITED_DATA: UInt32 = 0x40
    public static let XP_SUPPORTS_BROADCAST: UInt32 = 0x200
    public static let XP_SUPPORTS_MULTICAST: UInt32 = 0x400
    public static let XP_FRAGMENTATION: UInt32 = 0x1000

    /// GUARANTEE.BestEffortService: the level every default flow spec reports.
    public static let BestEffortService: Int32 = 1
    /// Largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP).
    public static let maxUDPMessage: UInt32 = 65507
    /// sizeof(struct sockaddr_in) in the Winsock layout.
    public static let sockaddrInSize: Int32 = 16
}
