// Typed socket options over WSPGetSockOpt / WSPSetSockOpt.
import CWS2SPI

/// A socket option with its Swift value type: level, Winsock option number,
/// and how the value is laid out in the optval buffer.
///
/// ```swift
/// try socket.setOption(.reuseAddress, true)
/// try socket.setOption(.linger, Linger(enabled: true, seconds: 0))
/// let size = try socket.option(.receiveBuffer)
/// ```
public struct SocketOption<Value>: Sendable {
    /// The level (`SOL_SOCKET`, `IPPROTO_TCP`), Winsock's number.
    public let level: Int32
    /// The option (`SO_REUSEADDR`, `TCP_NODELAY`, …), Winsock's number.
    public let name: Int32
    let size: Int
    let encode: @Sendable (Value, UnsafeMutableRawBufferPointer) -> Void
    let decode: @Sendable (UnsafeRawBufferPointer) -> Value

    init(level: Int32, name: Int32, size: Int,
         encode: @escaping @Sendable (Value, UnsafeMutableRawBufferPointer) -> Void,
         decode: @escaping @Sendable (UnsafeRawBufferPointer) -> Value) {
        self.level = level
        self.name = name
        self.size = size
        self.encode = encode
        self.decode = decode
    }
}

extension SocketOption where Value == Bool {
    /// A BOOL option (a 32-bit int, non-zero = on).
    public static func boolean(level: Int32, name: Int32) -> SocketOption<Bool> {
        SocketOption(level: level, name: name, size: 4,
                     encode: { v, b in b.storeBytes(of: Int32(v ? 1 : 0), as: Int32.self) },
                     decode: { b in b.count >= 1 && b.contains { $0 != 0 } })
    }
    /// SO_REUSEADDR.
    public static var reuseAddress: SocketOption<Bool> { .boolean(level: WS_SOL_SOCKET, name: WS_SO_REUSEADDR) }
    /// SO_KEEPALIVE.
    public static var keepAlive: SocketOption<Bool> { .boolean(level: WS_SOL_SOCKET, name: WS_SO_KEEPALIVE) }
    /// SO_BROADCAST.
    public static var broadcast: SocketOption<Bool> { .boolean(level: WS_SOL_SOCKET, name: WS_SO_BROADCAST) }
    /// SO_OOBINLINE.
    public static var outOfBandInline: SocketOption<Bool> { .boolean(level: WS_SOL_SOCKET, name: WS_SO_OOBINLINE) }
    /// SO_ACCEPTCONN (get only): listen was called.
    public static var acceptsConnections: SocketOption<Bool> { .boolean(level: WS_SOL_SOCKET, name: WS_SO_ACCEPTCONN) }
    /// TCP_NODELAY: disables the Nagle algorithm.
    public static var noDelay: SocketOption<Bool> { .boolean(level: WS_IPPROTO_TCP, name: WS_TCP_NODELAY) }
}

extension SocketOption where Value == Int32 {
    /// An int option.
    public static func integer(level: Int32, name: Int32) -> SocketOption<Int32> {
        SocketOption(level: level, name: name, size: 4,
                     encode: { v, b in b.storeBytes(of: v, as: Int32.self) },
                     decode: { b in b.count >= 4 ? b.loadUnaligned(as: Int32.self) : 0 })
    }
    /// SO_RCVBUF: the receive buffer size in bytes.
    public static var receiveBuffer: SocketOption<Int32> { .integer(level: WS_SOL_SOCKET, name: WS_SO_RCVBUF) }
    /// SO_SNDBUF: the send buffer size in bytes.
    public static var sendBuffer: SocketOption<Int32> { .integer(level: WS_SOL_SOCKET, name: WS_SO_SNDBUF) }
    /// SO_TYPE (get only): SOCK_STREAM or SOCK_DGRAM.
    public static var socketType: SocketOption<Int32> { .integer(level: WS_SOL_SOCKET, name: WS_SO_TYPE) }
    /// SO_MAX_MSGDG_SIZE (get only): the largest datagram.
    public static var maxDatagramSize: SocketOption<Int32> { .integer(level: WS_SOL_SOCKET, name: WS_SO_MAX_DG_SIZE) }
}

/// SO_LINGER's value (struct linger with u_short fields).
public struct Linger: Hashable, Sendable {
    /// l_onoff: linger on close.
    public var enabled: Bool
    /// l_linger: seconds; 0 with `enabled` resets the connection on close.
    public var seconds: UInt16

    /// A linger setting: `enabled` with `seconds` of waiting for unsent data on close.
    public init(enabled: Bool, seconds: UInt16) {
        self.enabled = enabled
        self.seconds = seconds
    }
}

extension SocketOption where Value == Linger {
    /// SO_LINGER.
    public static var linger: SocketOption<Linger> {
        SocketOption(level: WS_SOL_SOCKET, name: WS_SO_LINGER, size: MemoryLayout<WS_linger>.size,
                     encode: { v, b in b.storeBytes(of: WS_linger(l_onoff: v.enabled ? 1 : 0, l_linger: v.seconds), as: WS_linger.self) },
                     decode: { b in
                         let l = b.count >= MemoryLayout<WS_linger>.size ? b.loadUnaligned(as: WS_linger.self) : WS_linger()
                         return Linger(enabled: l.l_onoff != 0, seconds: l.l_linger)
                     })
    }
}

extension Socket {
    /// WSPGetSockOpt.
    public func option<Value>(_ option: SocketOption<Value>) throws(WSAError) -> Value {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(option.size, 1), alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        var length = Int32(option.size)
        var err: Int32 = 0
        let status = spi.lpWSPGetSockOpt!(handle, option.level, option.name, buffer.baseAddress!.assumingMemoryBound(to: CChar.self),
                                    &length, &err)
        guard status == 0 else { throw WSAError(code: err) }
        return option.decode(UnsafeRawBufferPointer(rebasing: buffer[..<max(0, min(Int(length), option.size))]))
    }

    /// WSPSetSockOpt.
    public func setOption<Value>(_ option: SocketOption<Value>, _ value: Value) throws(WSAError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(option.size, 1), alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        option.encode(value, buffer)
        var err: Int32 = 0
        let status = spi.lpWSPSetSockOpt!(handle, option.level, option.name,
                                    UnsafePointer(buffer.baseAddress!.assumingMemoryBound(to: CChar.self)), Int32(option.size), &err)
        guard status == 0 else { throw WSAError(code: err) }
    }
}
