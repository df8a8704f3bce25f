// A second provider for the tests of RULINGS §13: datagrams between its own
// sockets, in memory, with no kernel socket at all. Built from ProviderKit
// like any provider (its own .so, the WSP* exports only, linked against
// libws2_32.so.2), so a test can load it beside the TCP/IP provider and see
// that events, APCs, overlapped results and SOCKET values are the host's,
// one set per process.
//
// Family 0x7E57, SOCK_DGRAM, protocol 0. An address is a SOCKADDR whose
// sa_data[0..1] is a port (host order); WSPBind takes one, WSPSendTo sends to
// the socket bound to it. Receives: overlapped (completion routine or event,
// RULINGS §8) or non-blocking (WSAEWOULDBLOCK); WSPEventSelect reports
// FD_READ and FD_WRITE; WSPCloseSocket aborts pending receives with
// WSA_OPERATION_ABORTED. Everything else is WSAEOPNOTSUPP.
import Synchronization
import CWS2SPI
import ProviderKit

let memFamily: Int32 = 0x7E57

final class MemSocket: @unchecked Sendable {
    struct Pending { let buffer: UnsafeMutableRawPointer?; let length: Int; let completion: OverlappedCompletion }
    struct State {
        var port: UInt16 = 0
        var queue: [[UInt8]] = []
        var pending: [Pending] = []
        var event: WSAEVENT?
        var events: Int32 = 0
        var recorded: Int32 = 0
        var closed = false
    }
    let overlapped: Bool
    let state = Mutex(State())
    init(overlapped: Bool) { self.overlapped = overlapped }
}

public final class MemDgramProvider: ServiceProvider, @unchecked Sendable {
    public static let shared = MemDgramProvider()
    let startups = Atomic<Int>(0)
    let sockets = HandleTable<MemSocket>(capacity: 1024, space: ProviderSockets.space)
    let ports = Mutex<[UInt16: MemSocket]>([:])

    public var isStarted: Bool { startups.load(ordering: .relaxed) > 0 }

    public func startup(version: WORD, data: LPWSADATA?) -> Int32 {
        if case .failure = ProviderSockets.reservation { return WSAError.systemNotReady.code }
        if version & 0xFF < 1 || (version & 0xFF == 1 && version >> 8 < 1) { return WSAError.versionNotSupported.code }
        guard let data else { return WSAError.fault.code }
        data.pointee.wVersion = version & 0xFF >= 2 ? 0x0002 : version
        data.pointee.wHighVersion = 0x0002
        data.pointee.iMaxSockets = 1024
        data.pointee.iMaxUdpDg = 65535
        withUnsafeMutableBytes(of: &data.pointee.szDescription) { b in
            let text = Array("ws2spi test provider: memory datagrams".utf8)
            b.copyBytes(from: text); b[text.count] = 0
        }
        startups.add(1, ordering: .sequentiallyConsistent)
        return 0
    }

    public func cleanup(callback: LPCLEANUPPROC?, callbackData: DWORD) throws(WSAError) {
        guard startups.load(ordering: .sequentiallyConsistent) > 0 else { throw .notInitialised }
        if startups.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 {
            for s in sockets.removeAll() { abort(s) }
        }
        if let callback { HostCalls.queueCleanupCallback(callback, data: callbackData) }
    }

    func lookup(_ s: SOCKET) throws(WSAError) -> MemSocket {
        guard isStarted else { throw .notInitialised }
        guard let socket = sockets.lookup(s) else { throw .notSocket }
        return socket
    }

    public func checkSocket(_ s: SOCKET) throws(WSAError) { _ = try lookup(s) }

    public func socket(family: Int32, type: Int32, protocol: Int32, providerID: DWORD, flags: Int32) throws(WSAError) -> SOCKET {
        guard isStarted else { throw .notInitialised }
        guard family == memFamily else { throw .addressFamilyNotSupported }
        guard type == WS_SOCK_DGRAM else { throw .socketTypeNotSupported }
        guard `protocol` == 0 else { throw .protocolNotSupported }
        let socket = MemSocket(overlapped: flags & Int32(WSA_FLAG_OVERLAPPED) != 0)
        guard let handle = sockets.insert(socket) else { throw .tooManyFiles }
        return handle
    }

    static func port(_ name: UnsafeRawPointer?, _ length: Int32) throws(WSAError) -> UInt16 {
        guard let name else { throw .fault }
        guard length >= 16 else { throw .fault }
        let family = name.loadUnaligned(as: UInt16.self)
        guard Int32(family) == memFamily else { throw .addressFamilyNotSupported }
        return name.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
    }

    public func bind(_ s: SOCKET, name: UnsafePointer<WS_sockaddr>?, length: Int32) throws(WSAError) {
        let socket = try lookup(s)
        let port = try MemDgramProvider.port(name, length)
        try ports.withLock { (table) throws(WSAError) in
            guard table[port] == nil else { throw .addressInUse }
            guard socket.state.withLock({ $0.port }) == 0 else { throw .invalidArgument }
            table[port] = socket
            socket.state.withLock { $0.port = port }
        }
    }

    public func closeSocket(_ s: SOCKET) throws(WSAError) {
        guard isStarted else { throw .notInitialised }
        guard let socket = sockets.remove(s) else { throw .notSocket }
        abort(socket)
    }

    private func abort(_ socket: MemSocket) {
        let (pending, port) = socket.state.withLock { st -> ([MemSocket.Pending], UInt16) in
            st.closed = true
            defer { st.pending = [] }
            return (st.pending, st.port)
        }
        if port != 0 { ports.withLock { if $0[port] === socket { $0[port] = nil } } }
        for p in pending { p.completion.complete(error: WSAError.operationAborted.code, bytes: 0, flags: 0) }
    }

    public func send(_ s: SOCKET, buffer: UnsafeRawPointer?, length: DWORD, sent: LPDWORD?, flags: Int32,
                     to: UnsafeRawPointer?, toLength: Int32?, overlapped: LPWSAOVERLAPPED?,
                     completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        _ = try lookup(s)
        guard let toLength else { throw .notConnected }
        let port = try MemDgramProvider.port(to, toLength)
        guard let sent else { throw .fault }
        if length > 0 && buffer == nil { throw .fault }
        let bytes = length == 0 ? [] : Array(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
        // A datagram to no one is lost, as UDP's.
        if let target = ports.withLock({ $0[port] }) { deliver(bytes, to: target) }
        sent.pointee = length
        if let overlapped { OverlappedCompletion(overlapped: overlapped, routine: completion).complete(error: 0, bytes: Int(length), flags: 0) }
    }

    private func deliver(_ bytes: [UInt8], to target: MemSocket) {
        enum Action { case complete(MemSocket.Pending), signal(WSAEVENT), none }
        let action: Action = target.state.withLock { st in
            if st.closed { return .none }
            if !st.pending.isEmpty { return .complete(st.pending.removeFirst()) }
            st.queue.append(bytes)
            if st.events & Int32(FD_READ) != 0, st.recorded & Int32(FD_READ) == 0, let e = st.event {
                st.recorded |= Int32(FD_READ)
                return .signal(e)
            }
            return .none
        }
        switch action {
        case .complete(let p):
            let n = min(p.length, bytes.count)
            if n > 0 { bytes.withUnsafeBytes { p.buffer!.copyMemory(from: $0.baseAddress!, byteCount: n) } }
            p.completion.complete(error: n < bytes.count ? WSAError.messageSize.code : 0, bytes: n, flags: 0)
        case .signal(let e): HostCalls.setEvent(e)
        case .none: break
        }
    }

    public func receive(_ s: SOCKET, buffer: UnsafeMutableRawPointer?, length: DWORD, received: LPDWORD?, flags: LPINT?,
                        from: UnsafeMutableRawPointer?, fromLength: LPINT?, overlapped: LPWSAOVERLAPPED?,
                        completion: LPWSAOVERLAPPED_COMPLETION_ROUTINE?) throws(WSAError) {
        let socket = try lookup(s)
        guard let received, let flags else { throw .fault }
        if length > 0 && buffer == nil { throw .fault }
        let ov = socket.overlapped ? overlapped : nil
        let taken: [UInt8]? = socket.state.withLock { st in
            if st.queue.isEmpty {
                if let ov { st.pending.append(.init(buffer: buffer, length: Int(length), completion: OverlappedCompletion(overlapped: ov, routine: completion))) }
                return nil
            }
            st.recorded &= ~Int32(FD_READ)
            let d = st.queue.removeFirst()
            if !st.queue.isEmpty, st.events & Int32(FD_READ) != 0, let e = st.event {
                st.recorded |= Int32(FD_READ)
                HostCalls.setEvent(e)
            }
            return d
        }
        guard let taken else { throw ov != nil ? .ioPending : .wouldBlock }
        let n = min(Int(length), taken.count)
        if n > 0 { taken.withUnsafeBytes { buffer!.copyMemory(from: $0.baseAddress!, byteCount: n) } }
        received.pointee = DWORD(n)
        flags.pointee = 0
        let error = n < taken.count ? WSAError.messageSize.code : 0
        if let ov { OverlappedCompletion(overlapped: ov, routine: completion).complete(error: error, bytes: n, flags: 0) }
        if error != 0 { throw WSAError(code: error) }
    }

    public func eventSelect(_ s: SOCKET, event: WSAEVENT?, events: Int32) throws(WSAError) {
        let socket = try lookup(s)
        if events != 0 { guard let event, HostCalls.isEvent(event) else { throw .invalidArgument } }
        // FD_WRITE holds at once: a datagram socket can always send.
        var signal: WSAEVENT?
        socket.state.withLock { st in
            st.event = events == 0 ? nil : event
            st.events = events
            st.recorded = 0
            if events & Int32(FD_WRITE) != 0 { st.recorded |= Int32(FD_WRITE) }
            if events & Int32(FD_READ) != 0, !st.queue.isEmpty { st.recorded |= Int32(FD_READ) }
            if st.recorded != 0 { signal = event }
        }
        if let signal { HostCalls.setEvent(signal) }
    }

    public func enumNetworkEvents(_ s: SOCKET, event: WSAEVENT?, records: LPWSANETWORKEVENT?, count: LPINT?) throws(WSAError) {
        let socket = try lookup(s)
        guard let records, let count else { throw .fault }
        if let event, !HostCalls.isEvent(event) { throw .invalidArgument }
        let recorded = socket.state.withLock { st -> Int32 in defer { st.recorded = 0 }; return st.recorded }
        let n = min(Int(count.pointee), 10)
        for bit in 0..<n { records[bit] = WSANETWORKEVENT(Fired: recorded & (1 << bit) != 0 ? 1 : 0, ErrorCode: 0) }
        count.pointee = Int32(n)
        if let event { HostCalls.resetEvent(event) }
    }

    public func getSockName(_ s: SOCKET, name: UnsafeMutablePointer<WS_sockaddr>?, length: UnsafeMutablePointer<Int32>?) throws(WSAError) {
        let socket = try lookup(s)
        guard let name, let length, length.pointee >= 16 else { throw .fault }
        let port = socket.state.withLock { $0.port }
        guard port != 0 else { throw .invalidArgument }
        let raw = UnsafeMutableRawPointer(name)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 16)
        raw.storeBytes(of: UInt16(memFamily), as: UInt16.self)
        raw.storeBytes(of: port, toByteOffset: 2, as: UInt16.self)
        length.pointee = 16
    }

    // Everything else: ProviderKit's defaults (WSANOTINITIALISED before
    // start-up, else WSAEOPNOTSUPP).
}

@_cdecl("ws2spi_provider_instance")
public func ws2spi_provider_instance() -> UnsafeMutableRawPointer {
    Unmanaged.passUnretained(MemDgramProvider.shared as AnyObject).toOpaque()
}
