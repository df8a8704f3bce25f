// WSPGetSockOpt / WSPSetSockOpt: the option table of draft §2.8.4.
// One row per (level, option); adding an option is one row.
import Glibc
import CWS2SPI
import WS2Catalog

/// Where an option's value lives and how it is encoded.
enum OptionValue: Sendable {
    /// A BOOL or int kept by the kernel under the Linux (level, name).
    case kernelInt(level: Int32, name: Int32)
    /// SO_RCVBUF / SO_SNDBUF: kernel, reported as the caller set it.
    case buffer(Int32)
    case linger, dontLinger, oobInline
    case acceptConn, type, debug
    case flowspec, groupID, groupPriority, maxMessageSize, protocolInfo, providerConfig
}

struct OptionSpec: Sendable {
    let level: Int32
    let name: Int32
    let value: OptionValue
    let gettable: Bool
    let settable: Bool
    /// nil: both kinds; else only this kind has the option (else WSAENOPROTOOPT).
    let only: SocketKind?
    /// On the other kind, WSPGetSockOpt still answers (the kernel's value,
    /// its default) and only setting it is WSAENOPROTOOPT: "WSPGetSockOpt
    /// works on a socket of any type" where Windows does (RULINGS §7a).
    var gettableOnAnyKind = false
}

/// The provider's option table: SOL_SOCKET's rows (`common`) and its
/// family's (KernelFamily.options). Levels the provider does not know are
/// WSAEINVAL; options it does not have at a known level WSAENOPROTOOPT.
struct Options: Sendable {
    static let BOOL = MemoryLayout<Int32>.size

    let table: [OptionSpec]
    let levels: [Int32]
    /// The opaque PVD_CONFIG object: the provider's name, NUL-terminated.
    let providerConfig: [UInt8]

    init(family: KernelFamily) {
        var rows = Options.common
        // SO_OOBINLINE is there for a family with urgent data only.
        if !family.urgentData { rows.removeAll { $0.level == WS_SOL_SOCKET && $0.name == WS_SO_OOBINLINE } }
        for o in family.options {
            rows.append(.init(level: o.level, name: o.name, value: .kernelInt(level: o.linuxLevel, name: o.linuxName),
                              gettable: true, settable: true, only: o.only))
        }
        table = rows
        levels = [WS_SOL_SOCKET, WS_SOL_PROVIDER] + family.optionLevels
        providerConfig = Array(family.configName.utf8) + [0]
    }

    static let common: [OptionSpec] = [
        .init(level: WS_SOL_SOCKET, name: WS_SO_ACCEPTCONN, value: .acceptConn, gettable: true, settable: false, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_BROADCAST, value: .kernelInt(level: SOL_SOCKET, name: SO_BROADCAST), gettable: true, settable: true, only: .datagram,
              gettableOnAnyKind: true),
        .init(level: WS_SOL_SOCKET, name: WS_SO_DEBUG, value: .debug, gettable: true, settable: true, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_DONTLINGER, value: .dontLinger, gettable: true, settable: true, only: .stream),
        .init(level: WS_SOL_SOCKET, name: WS_SO_DONTROUTE, value: .kernelInt(level: SOL_SOCKET, name: SO_DONTROUTE), gettable: true, settable: true, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_FLOWSPEC, value: .flowspec, gettable: true, settable: false, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_GROUP_FLOWSPEC, value: .flowspec, gettable: true, settable: false, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_GROUP_ID, value: .groupID, gettable: true, settable: false, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_GROUP_PRIORITY, value: .groupPriority, gettable: true, settable: true, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_KEEPALIVE, value: .kernelInt(level: SOL_SOCKET, name: SO_KEEPALIVE), gettable: true, settable: true, only: .stream),
        .init(level: WS_SOL_SOCKET, name: WS_SO_LINGER, value: .linger, gettable: true, settable: true, only: .stream),
        .init(level: WS_SOL_SOCKET, name: WS_SO_MAX_DG_SIZE, value: .maxMessageSize, gettable: true, settable: false, only: .datagram),
        .init(level: WS_SOL_SOCKET, name: WS_SO_OOBINLINE, value: .oobInline, gettable: true, settable: true, only: .stream),
        .init(level: WS_SOL_SOCKET, name: WS_SO_PROTOCOL_INFO, value: .protocolInfo, gettable: true, settable: false, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_RCVBUF, value: .buffer(SO_RCVBUF), gettable: true, settable: true, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_REUSEADDR, value: .kernelInt(level: SOL_SOCKET, name: SO_REUSEADDR), gettable: true, settable: true, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_SNDBUF, value: .buffer(SO_SNDBUF), gettable: true, settable: true, only: nil),
        .init(level: WS_SOL_SOCKET, name: WS_SO_TYPE, value: .type, gettable: true, settable: false, only: nil),
        .init(level: WS_SOL_SOCKET, name: PVD_CONFIG, value: .providerConfig, gettable: true, settable: true, only: nil),
        .init(level: WS_SOL_PROVIDER, name: PVD_CONFIG, value: .providerConfig, gettable: true, settable: true, only: nil),
    ]

    /// Levels are RULINGS §10's rule: any other level is WSAEINVAL. Options
    /// not in the table at a known level (SO_ERROR, SO_RCVTIMEO, IP_OPTIONS,
    /// TCP_MAXSEG, PVD_CALL_ID, TAPI_DEVICE_ID, ...) are WSAENOPROTOOPT.
    func find(level: Int32, name: Int32, kind: SocketKind, forSet: Bool) throws(WSAError) -> OptionSpec {
        guard levels.contains(level) else { throw .invalidArgument }
        guard let spec = table.first(where: { $0.level == level && $0.name == name }) else { throw .noProtocolOption }
        if let only = spec.only, only != kind, forSet || !spec.gettableOnAnyKind { throw .noProtocolOption }
        return spec
    }

}

extension KernelSocketProvider {
    public func getSockOpt(_ s: SOCKET, level: Int32, name: Int32, value: UnsafeMutablePointer<CChar>?,
                           length: UnsafeMutablePointer<Int32>?) throws(WSAError) {
        let socket = try lookup(s)
        let spec = try options.find(level: level, name: name, kind: socket.kind, forSet: false)
        guard spec.gettable else { throw .noProtocolOption }
        guard let value, let length else { throw .fault }
        let out = UnsafeMutableRawPointer(value)

        /// Stores `bytes` if the caller's buffer holds them; WSAEFAULT if not.
        func put<T>(_ v: T) throws(WSAError) {
            let size = MemoryLayout<T>.size
            guard length.pointee >= Int32(size) else { throw .fault }
            withUnsafeBytes(of: v) { out.copyMemory(from: $0.baseAddress!, byteCount: size) }
            length.pointee = Int32(size)
        }
        func kernelInt(_ level: Int32, _ name: Int32) throws(WSAError) -> Int32 {
            var v: Int32 = 0
            var len = socklen_t(4)
            do { try Sys.getsockopt(socket.fd, level, name, &v, &len) } catch { throw error.wsa }
            return v
        }
        func kernelLinger() throws(WSAError) -> linger {
            var l = linger()
            var len = socklen_t(MemoryLayout<linger>.size)
            do { try Sys.getsockopt(socket.fd, SOL_SOCKET, SO_LINGER, &l, &len) } catch { throw error.wsa }
            return l
        }

        switch spec.value {
        case .kernelInt(let l, let n):
            try put(Int32(try kernelInt(l, n) != 0 ? 1 : 0))
        case .buffer(let n):
            let remembered = socket.state.withLock { n == SO_RCVBUF ? $0.receiveBuffer : $0.sendBuffer }
            if let remembered { try put(remembered) } else { try put(try kernelInt(SOL_SOCKET, n)) }
        case .oobInline:
            try put(Int32(try kernelInt(SOL_SOCKET, SO_OOBINLINE) != 0 ? 1 : 0))
        case .linger:
            let l = try kernelLinger()
            // Winsock's struct linger has u_short fields.
            try put((UInt16(l.l_onoff != 0 ? 1 : 0), UInt16(clamping: l.l_linger)))
        case .dontLinger:
            try put(Int32(try kernelLinger().l_onoff == 0 ? 1 : 0))
        case .acceptConn:
            try put(Int32(socket.current.contains(.listening) ? 1 : 0))
        case .type:
            try put(socket.kind.winsockType)
        case .debug:
            try put(Int32(socket.state.withLock { $0.debug } ? 1 : 0))
        case .flowspec:
            // The default flow spec: every field zero, best effort (RULINGS §11).
            var q = QOS()
            q.ForwardFP.LevelOfGuarantee = BestEffortService
            q.BackwardFP.LevelOfGuarantee = BestEffortService
            try put(q)
        case .groupID:
            try put(GROUP(socket.state.withLock { $0.group }))
        case .groupPriority:
            let (group, priority) = socket.state.withLock { ($0.group, $0.groupPriority) }
            guard group != 0 else { throw .noProtocolOption }
            try put(priority)
        case .maxMessageSize:
            try put(family.datagram?.entry.messageSize ?? 0)
        case .protocolInfo:
            try put(protocolInfo(for: socket.kind))
        case .providerConfig:
            let blob = options.providerConfig
            guard length.pointee >= Int32(blob.count) else { throw .fault }
            blob.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: blob.count) }
            length.pointee = Int32(blob.count)
        }
    }

    public func setSockOpt(_ s: SOCKET, level: Int32, name: Int32, value: UnsafePointer<CChar>?, length: Int32) throws(WSAError) {
        let socket = try lookup(s)
        let spec = try options.find(level: level, name: name, kind: socket.kind, forSet: true)
        guard spec.settable else { throw .noProtocolOption }
        if case .providerConfig = spec.value {
            // Opaque: any well-formed buffer is accepted; nothing to configure.
            guard length >= 0, value != nil || length == 0 else { throw .fault }
            return
        }
        guard let value else { throw .fault }
        let raw = UnsafeRawPointer(value)

        func int() throws(WSAError) -> Int32 {
            guard length >= Int32(Options.BOOL) else { throw .fault }
            return raw.loadUnaligned(as: Int32.self)
        }
        func setKernel<T: BitwiseCopyable>(_ level: Int32, _ name: Int32, _ v: T) throws(WSAError) {
            do throws(Errno) {
                try withUnsafeBytes(of: v) { (b) throws(Errno) in
                    try Sys.setsockopt(socket.fd, level, name, b.baseAddress!, socklen_t(b.count))
                }
            } catch { throw error.wsa }
        }

        switch spec.value {
        case .kernelInt(let l, let n):
            try setKernel(l, n, Int32(try int() != 0 ? 1 : 0))
        case .buffer(let n):
            let v = try int()
            guard v >= 0 else { throw .invalidArgument }
            try setKernel(SOL_SOCKET, n, v)
            socket.state.withLock { if n == SO_RCVBUF { $0.receiveBuffer = v } else { $0.sendBuffer = v } }
        case .oobInline:
            let on = try int() != 0
            try setKernel(SOL_SOCKET, SO_OOBINLINE, Int32(on ? 1 : 0))
            if on { socket.set(.oobInline) } else { socket.clear(.oobInline) }
        case .linger:
            guard length >= 4 else { throw .fault }
            let onoff = raw.loadUnaligned(as: UInt16.self), seconds = raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
            try setKernel(SOL_SOCKET, SO_LINGER, linger(l_onoff: onoff != 0 ? 1 : 0, l_linger: Int32(onoff != 0 ? seconds : 0)))
        case .dontLinger:
            // SO_DONTLINGER TRUE is SO_LINGER off; FALSE turns lingering on
            // with the interval already set.
            let dont = try int() != 0
            var l = linger()
            var len = socklen_t(MemoryLayout<linger>.size)
            try? Sys.getsockopt(socket.fd, SOL_SOCKET, SO_LINGER, &l, &len)
            try setKernel(SOL_SOCKET, SO_LINGER, linger(l_onoff: dont ? 0 : 1, l_linger: l.l_linger))
        case .debug:
            // Traces the calls on this socket at the export boundary
            // (ProviderKit's Trace; README "Tracing"), to stderr unless
            // WS2SPI_TRACE names a file.
            let on = try int() != 0
            socket.state.withLock { $0.debug = on }
            Trace.setSocketDebug(s, on)
        case .groupPriority:
            let v = try int()
            try socket.state.withLock { (st) throws(WSAError) in
                guard st.group != 0 else { throw .noProtocolOption }
                guard v >= 0 else { throw .invalidArgument }
                st.groupPriority = v
            }
        case .acceptConn, .type, .flowspec, .groupID, .maxMessageSize, .protocolInfo, .providerConfig:
            throw .noProtocolOption
        }
    }
}

extension KernelSocketProvider {
    /// SO_PROTOCOL_INFO: the family's PROTOCOL_INFO for a socket kind. Its
    /// lpProtocol lives as long as the process (made once per kind).
    func protocolInfo(for kind: SocketKind) -> PROTOCOL_INFO {
        guard let p = family.kernelProtocol(kind) else { return PROTOCOL_INFO() }
        return p.entry.cInfo(description: kind == .stream ? streamName : datagramName)
    }
}
