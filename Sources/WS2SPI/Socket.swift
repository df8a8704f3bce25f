// A socket of a loaded provider: the Berkeley-style calls with typed throws.
import CWS2SPI
import Synchronization

/// A socket of a ``Provider``, closed by ``close()`` or when the last
/// reference goes away.
///
/// `Socket` is a final class, not a `~Copyable` struct: a socket is shared
/// by nature. Another thread may close it to interrupt a blocking call
/// (RULINGS §4), a callback-select closure or a completion closure may
/// capture it, servers keep many in collections, and the object is the
/// owner of the closures the provider calls back (a selection's callback
/// lives as long as the selection). Its handle never aliases another
/// socket's, so using a closed socket is an error (WSAENOTSOCK), never
/// another socket's data.
public final class Socket: @unchecked Sendable, Hashable, CustomStringConvertible {
    /// The provider it belongs to (kept alive by the socket).
    public let provider: Provider
    /// The SOCKET handle (what a ``MessageWindow/Message`` names).
    public let handle: SOCKET
    /// Stream (TCP) or datagram (UDP).
    public let type: SocketType
    /// Created with WSA_FLAG_OVERLAPPED: overlapped calls allowed, plain calls non-blocking.
    public let isOverlapped: Bool

    private enum Life { case open, closing, closed }
    private let life = Mutex(Life.open)
    /// The notification selection and the closure of a callback selection.
    let selection = Selection()

    init(provider: Provider, handle: SOCKET, type: SocketType, overlapped: Bool) {
        self.provider = provider
        self.handle = handle
        self.type = type
        self.isOverlapped = overlapped
    }

    deinit { try? close() }

    /// `Socket(handle, type)`.
    public var description: String { "Socket(\(handle), \(type))" }
    /// Identity: two `Socket` objects are equal only if they are the same object.
    public static func == (a: Socket, b: Socket) -> Bool { a === b }
    /// Hashes the object's identity.
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    var spi: SPIEntryPoints { provider.spi }

    /// Runs an SPI call that returns 0 or SOCKET_ERROR with *lpErrno.
    @inline(__always)
    private func check(_ call: (UnsafeMutablePointer<Int32>) -> Int32) throws(WSAError) {
        var err: Int32 = 0
        if call(&err) != 0 { throw WSAError(code: err) }
    }

    // MARK: life cycle

    /// True once ``close()`` succeeded (or the provider no longer knew the socket).
    public var isClosed: Bool { life.withLock { $0 == .closed } }

    /// WSPCloseSocket. A callback selection is cancelled first, so that its
    /// closure is not running when it is freed; pending overlapped
    /// operations end with WSA_OPERATION_ABORTED. Closing a closed socket
    /// does nothing. When the provider refuses (e.g. WSAEWOULDBLOCK for a
    /// lingering close of a non-blocking socket), the socket stays open and
    /// may be closed again; `deinit` closes it otherwise.
    public func close() throws(WSAError) {
        let proceed = life.withLock { life -> Bool in
            guard life == .open else { return false }
            life = .closing
            return true
        }
        guard proceed else { return }
        if selection.hasCallback { try? cancelSelection() }
        var err: Int32 = 0
        let status = spi.lpWSPCloseSocket!(handle, &err)
        // WSAENOTSOCK: the provider has closed it already (its last WSPCleanup).
        let closed = status == 0 || err == WSAENOTSOCK
        life.withLock { $0 = closed ? .closed : .open }
        OrphanedOperations.sweep()
        if status != 0 { throw WSAError(code: err) }
    }

    // MARK: addresses, connections

    /// WSPBind: gives the socket a local address (port 0: any free port).
    public func bind(_ address: SocketAddress) throws(WSAError) {
        let (status, err) = address.withWinsock { sa, len -> (Int32, Int32) in
            var err: Int32 = 0
            return (spi.lpWSPBind!(handle, sa, len, &err), err)
        }
        if status != 0 { throw WSAError(code: err) }
    }

    /// WSPListen; the backlog is clamped to [1, SOMAXCONN] by the provider.
    public func listen(backlog: Int32 = WS_SOMAXCONN) throws(WSAError) {
        try check { spi.lpWSPListen!(handle, backlog, $0) }
    }

    /// WSPConnect (no connect data, no QOS, no group). A non-blocking
    /// socket throws WSAEWOULDBLOCK and completes in the background (watch
    /// for writability or FD_CONNECT).
    public func connect(to address: SocketAddress) throws(WSAError) {
        let (status, err) = address.withWinsock { sa, len -> (Int32, Int32) in
            var err: Int32 = 0
            return (spi.lpWSPConnect!(handle, sa, len, nil, nil, 0, nil, nil, &err), err)
        }
        if status != 0 { throw WSAError(code: err) }
    }

    /// WSPAccept without a condition function: the next connection and its peer.
    public func accept() throws(WSAError) -> (socket: Socket, peer: SocketAddress) {
        try accept(conditionProc: nil)
    }

    /// WSPAccept with a condition function: `condition` decides, before the
    /// connection is accepted, from the caller's and callee's addresses.
    ///
    /// ``AcceptDecision/reject`` resets the connection and throws
    /// WSAECONNREFUSED; ``AcceptDecision/deferred`` leaves it queued and
    /// throws WSATRY_AGAIN. The closure runs on this thread, during this
    /// call; its C function pointer is freed when the call returns.
    public func accept(condition: (ConnectionRequest) -> AcceptDecision) throws(WSAError) -> (socket: Socket, peer: SocketAddress) {
        let outcome: Result<(socket: Socket, peer: SocketAddress), WSAError> = withoutActuallyEscaping(condition) { condition in
            guard let callback = FFICallback.condition({ callerId, callerData, calleeId, _, group in
                let request = ConnectionRequest(callerId: callerId, callerData: callerData, calleeId: calleeId)
                let decision = condition(request)
                if case .acceptInto(let g) = decision { group?.pointee = g }
                return decision.code
            }) else { return .failure(.notEnoughMemory) }
            return withExtendedLifetime(callback) {
                Result { () throws(WSAError) in try accept(conditionProc: callback.conditionProc) }
            }
        }
        return try outcome.get()
    }

    private func accept(conditionProc: LPCONDITIONPROC?) throws(WSAError) -> (socket: Socket, peer: SocketAddress) {
        var err: Int32 = 0
        let (s, peer) = SocketAddress.receiving { spi.lpWSPAccept!(handle, $0, $1, conditionProc, 0, &err) }
        guard s != INVALID_SOCKET else { throw WSAError(code: err) }
        return (Socket(provider: provider, handle: s, type: type, overlapped: isOverlapped), peer ?? .any())
    }

    /// WSPShutdown: ends receiving, sending or both.
    public func shutdown(_ how: ShutdownDirection) throws(WSAError) {
        try check { spi.lpWSPShutdown!(handle, how.rawValue, $0) }
    }

    /// WSPGetSockName: the local address.
    public func localAddress() throws(WSAError) -> SocketAddress { try name(\.lpWSPGetSockName) }

    /// WSPGetPeerName: the connected peer's address.
    public func peerAddress() throws(WSAError) -> SocketAddress { try name(\.lpWSPGetPeerName) }

    private func name(_ entry: KeyPath<SPIEntryPoints, (@convention(c) (SOCKET, UnsafeMutablePointer<WS_sockaddr>?,
                                                                UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> Int32)?>)
        throws(WSAError) -> SocketAddress {
        let call = spi[keyPath: entry]!
        var err: Int32 = 0
        let (status, address) = SocketAddress.receiving { call(handle, $0, $1, &err) }
        guard status == 0 else { throw WSAError(code: err) }
        guard let address else { throw .addressFamilyNotSupported }
        return address
    }

    // MARK: data

    /// WSPSend: sends from a buffer; returns the bytes sent (all of them on a
    /// blocking stream socket).
    public func send(_ buffer: UnsafeRawBufferPointer, flags: MessageFlags = []) throws(WSAError) -> Int {
        var sent: DWORD = 0
        var err: Int32 = 0
        let status = spi.lpWSPSend!(handle, UnsafeMutableRawPointer(mutating: buffer.baseAddress), DWORD(clamping: buffer.count), &sent,
                              flags.rawValue, nil, nil, &err)
        guard status == 0 else { throw WSAError(code: err) }
        return Int(sent)
    }

    /// WSPSend of some bytes.
    @discardableResult
    public func send(_ bytes: [UInt8], flags: MessageFlags = []) throws(WSAError) -> Int {
        let result: Result<Int, WSAError> = bytes.withUnsafeBytes { buffer in
            do throws(WSAError) { return .success(try send(buffer, flags: flags)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// WSPRecv into a buffer: the bytes received, 0 when a stream's peer
    /// closed gracefully.
    public func recv(into buffer: UnsafeMutableRawBufferPointer, flags: MessageFlags = []) throws(WSAError) -> Int {
        var got: DWORD = 0
        var inOutFlags = flags.rawValue
        var err: Int32 = 0
        let status = spi.lpWSPRecv!(handle, buffer.baseAddress, DWORD(clamping: buffer.count), &got, &inOutFlags, nil, nil, &err)
        guard status == 0 else { throw WSAError(code: err) }
        return Int(got)
    }

    /// WSPRecv of at most `maxLength` bytes; empty when a stream's peer
    /// closed gracefully. A negative or larger than 2 GiB `maxLength` is WSAEINVAL.
    public func recv(maxLength: Int = 65536, flags: MessageFlags = []) throws(WSAError) -> [UInt8] {
        guard maxLength >= 0, maxLength <= Int(Int32.max) else { throw .invalidArgument }
        var bytes = [UInt8](repeating: 0, count: maxLength)
        let result: Result<Int, WSAError> = bytes.withUnsafeMutableBytes { buffer in
            do throws(WSAError) { return .success(try recv(into: buffer, flags: flags)) } catch { return .failure(error) }
        }
        bytes.removeSubrange(min(try result.get(), bytes.count)...)
        return bytes
    }

    /// WSPSendTo: one datagram to `address` (or data on a connected stream
    /// socket, where the address is ignored); returns the bytes sent.
    @discardableResult
    public func send(_ bytes: [UInt8], to address: SocketAddress, flags: MessageFlags = []) throws(WSAError) -> Int {
        var sent: DWORD = 0
        var err: Int32 = 0
        let status = bytes.withUnsafeBytes { buffer in
            address.withWinsock { to, length in
                spi.lpWSPSendTo!(handle, UnsafeMutableRawPointer(mutating: buffer.baseAddress), DWORD(clamping: buffer.count), &sent,
                           flags.rawValue, UnsafeMutableRawPointer(mutating: to), length, nil, nil, &err)
            }
        }
        guard status == 0 else { throw WSAError(code: err) }
        return Int(sent)
    }

    /// WSPRecvFrom: one datagram of at most `maxLength` bytes and its sender
    /// (nil when it is neither an IPv4 nor an AF_UNIX address). A longer datagram is truncated
    /// and throws WSAEMSGSIZE. A negative or larger than 2 GiB `maxLength` is WSAEINVAL.
    public func recvFrom(maxLength: Int = 65536, flags: MessageFlags = []) throws(WSAError) -> (bytes: [UInt8], sender: SocketAddress?) {
        guard maxLength >= 0, maxLength <= Int(Int32.max) else { throw .invalidArgument }
        var bytes = [UInt8](repeating: 0, count: maxLength)
        var got: DWORD = 0
        var inOutFlags = flags.rawValue
        var err: Int32 = 0
        let (status, from) = bytes.withUnsafeMutableBytes { buffer in
            SocketAddress.receiving { sa, len in
                spi.lpWSPRecvFrom!(handle, buffer.baseAddress, DWORD(clamping: buffer.count), &got, &inOutFlags,
                                   UnsafeMutableRawPointer(sa), len, nil, nil, &err)
            }
        }
        guard status == 0 else { throw WSAError(code: err) }
        bytes.removeSubrange(min(Int(got), bytes.count)...)
        return (bytes, from)
    }

    // MARK: ioctls

    /// WSPIoctlSocket(FIONBIO): non-blocking calls fail with WSAEWOULDBLOCK
    /// instead of waiting.
    public func setNonBlocking(_ on: Bool) throws(WSAError) {
        var arg: WS_u_long = on ? 1 : 0
        try check { spi.lpWSPIoctlSocket!(handle, Int32(bitPattern: UInt32(WS_FIONBIO)), &arg, $0) }
    }

    /// WSPIoctlSocket(FIONREAD): bytes that a recv would return now.
    public func availableBytes() throws(WSAError) -> Int {
        var arg: WS_u_long = 0
        try check { spi.lpWSPIoctlSocket!(handle, Int32(bitPattern: UInt32(WS_FIONREAD)), &arg, $0) }
        return Int(arg)
    }

    /// WSPIoctlSocket(SIOCATMARK): true when no out-of-band data is waiting to be read.
    public func isAtOutOfBandMark() throws(WSAError) -> Bool {
        var arg: WS_u_long = 0
        try check { spi.lpWSPIoctlSocket!(handle, Int32(bitPattern: UInt32(WS_SIOCATMARK)), &arg, $0) }
        return arg != 0
    }
}

/// Which direction ``Socket/shutdown(_:)`` ends.
public enum ShutdownDirection: RawRepresentable, Sendable {
    /// SD_RECEIVE: no more receives.
    case receive
    /// SD_SEND: no more sends (a stream's peer reads end of file).
    case send
    /// SD_BOTH: neither.
    case both

    /// The header's number: SD_RECEIVE, SD_SEND or SD_BOTH.
    public var rawValue: Int32 {
        switch self {
        case .receive: SD_RECEIVE
        case .send: SD_SEND
        case .both: SD_BOTH
        }
    }

    public init?(rawValue: Int32) {
        switch rawValue {
        case SD_RECEIVE: self = .receive
        case SD_SEND: self = .send
        case SD_BOTH: self = .both
        default: return nil
        }
    }
}

/// The flags of send and receive calls: MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_PARTIAL.
public struct MessageFlags: OptionSet, Hashable, Sendable {
    /// The MSG_* bits.
    public let rawValue: Int32
    /// Flags from MSG_* bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// MSG_OOB: send or receive out-of-band data.
    public static let outOfBand = MessageFlags(rawValue: WS_MSG_OOB)
    /// MSG_PEEK: receive without removing the data from the queue.
    public static let peek = MessageFlags(rawValue: WS_MSG_PEEK)
    /// MSG_DONTROUTE: send without routing (the provider may ignore it).
    public static let dontRoute = MessageFlags(rawValue: WS_MSG_DONTROUTE)
    /// MSG_PARTIAL: the message is (or was received as) a part of a larger one.
    public static let partial = MessageFlags(rawValue: WS_MSG_PARTIAL)
}

/// What an accept condition sees of a connection request (the TCP/IP
/// provider carries no connect data, so ``callerData`` is empty there).
public struct ConnectionRequest: Sendable {
    /// The caller's address (lpCallerId), when it is an IPv4 or AF_UNIX address.
    public let caller: SocketAddress?
    /// The local address the caller connected to (lpCalleeId).
    public let callee: SocketAddress?
    /// Connect data the caller sent (lpCallerData).
    public let callerData: [UInt8]

    init(callerId: LPWSABUF?, callerData: LPWSABUF?, calleeId: LPWSABUF?) {
        caller = ConnectionRequest.address(callerId)
        callee = ConnectionRequest.address(calleeId)
        self.callerData = ConnectionRequest.bytes(callerData)
    }

    private static func bytes(_ b: LPWSABUF?) -> [UInt8] {
        guard let b, let buf = b.pointee.buf, b.pointee.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: buf, count: Int(b.pointee.len)))
    }

    private static func address(_ b: LPWSABUF?) -> SocketAddress? {
        guard let b, let buf = b.pointee.buf else { return nil }
        return SocketAddress(winsock: buf, length: b.pointee.len)
    }
}

/// The answer of an accept condition (CF_ACCEPT, CF_REJECT, CF_DEFER).
public enum AcceptDecision: Hashable, Sendable {
    /// CF_ACCEPT.
    case accept
    /// CF_ACCEPT, joining the new socket to a group (SG_UNCONSTRAINED_GROUP,
    /// SG_CONSTRAINED_GROUP or an existing group id).
    case acceptInto(group: UInt32)
    /// CF_REJECT: the caller's connection is reset; accept throws WSAECONNREFUSED.
    case reject
    /// CF_DEFER: the connection stays queued; accept throws WSATRY_AGAIN.
    case deferred

    var code: Int32 {
        switch self {
        case .accept, .acceptInto: return CF_ACCEPT
        case .reject: return CF_REJECT
        case .deferred: return CF_DEFER
        }
    }
}
