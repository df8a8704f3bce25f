// Overlapped I/O (RULINGS §8): WSPRecv, WSPRecvFrom, WSPSend, WSPSendTo
// with a WSAOVERLAPPED, reported in one of the draft's two ways: a
// completion routine (a libffi closure over a Swift closure, run as an APC
// on the posting thread), or an event object plus WSAGetOverlappedResult
// (``OverlappedRequest``).
import CWS2SPI

/// One overlapped operation: the WSAOVERLAPPED and the memory the provider
/// fills or sends from, which must stay put until the operation's status
/// (`Internal`) is final. Owned, until then, by its posting thread's
/// ``ThreadState`` (completion closure), its ``OverlappedRequest`` (event),
/// or the orphan list; freed after that, the routine's libffi closure too.
final class OverlappedOperation: @unchecked Sendable {
    let overlapped = UnsafeMutablePointer<WSAOVERLAPPED>.allocate(capacity: 1)
    let buffer: UnsafeMutableRawBufferPointer
    /// The byte count given to the provider (the buffer has at least one byte).
    let length: DWORD
    /// The sender's or destination's address (any family's).
    let address = UnsafeMutableRawPointer.allocate(byteCount: SocketAddress.storageLength, alignment: 8)
    let addressLength = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    let flags = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    let transferred = UnsafeMutablePointer<DWORD>.allocate(capacity: 1)
    /// The provider stays loaded and started while the operation may run.
    let provider: Provider
    /// The completion routine's libffi closure (completion-closure operations).
    var routine: FFICallback?
    /// The event object the provider sets (event operations), kept open until then.
    var event: Event?

    init(provider: Provider, byteCount: Int) {
        self.provider = provider
        length = DWORD(byteCount)
        buffer = .allocate(byteCount: max(byteCount, 1), alignment: 16)
        // Pending from the start: a provider that never writes Internal
        // leaves an orphan unfreed rather than freed under its feet.
        overlapped.initialize(to: WSAOVERLAPPED(Internal: DWORD(WSA_IO_PENDING), InternalHigh: 0, Offset: 0,
                                                OffsetHigh: 0, hEvent: nil))
        address.initializeMemory(as: UInt8.self, repeating: 0, count: SocketAddress.storageLength)
        addressLength.initialize(to: Int32(SocketAddress.storageLength))
        flags.initialize(to: 0)
        transferred.initialize(to: 0)
    }

    deinit {
        overlapped.deallocate()
        buffer.deallocate()
        address.deallocate()
        addressLength.deallocate()
        flags.deallocate()
        transferred.deallocate()
    }

    /// Internal, read atomically: the provider writes it last (RULINGS §8).
    var status: DWORD {
        ws2spi_word_load(UnsafeRawPointer(overlapped).assumingMemoryBound(to: UInt32.self))
    }

    /// The status is final: the provider touches neither the structure nor the buffers any more.
    var isFinished: Bool { status != DWORD(WSA_IO_PENDING) }

    func received(_ count: DWORD) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: buffer[..<min(Int(count), Int(length))]))
    }

    var sender: SocketAddress? { SocketAddress(winsock: address, length: addressLength.pointee) }
}

/// An overlapped operation that reports its end through an event object
/// rather than a closure: the provider sets ``event`` when it completes,
/// and ``result(wait:)`` (`WSAGetOverlappedResult`) gives its value.
///
/// ```swift
/// let event = try provider.makeEvent()
/// let request = try socket.recv(maxLength: 4096, event: event)
/// try event.wait(timeout: 5000)
/// let bytes = try request.result()          // or: throws the operation's error
/// ```
///
/// The request owns the operation's buffers. Dropping it before the
/// operation completed is safe: the memory is kept until the provider is
/// done with it (the socket's closing ends every pending operation).
public final class OverlappedRequest<Value: Sendable>: @unchecked Sendable {
    /// The event object the provider sets when the operation completes (hEvent).
    public let event: Event
    /// The socket the operation runs on.
    public let socket: Socket
    private let operation: OverlappedOperation
    private let value: (OverlappedOperation, DWORD) -> Value

    init(socket: Socket, operation: OverlappedOperation, event: Event, value: @escaping (OverlappedOperation, DWORD) -> Value) {
        self.socket = socket
        self.operation = operation
        self.event = event
        self.value = value
    }

    deinit {
        if !operation.isFinished { OrphanedOperations.adopt([operation]) }
    }

    /// True once the operation has completed: ``result(wait:)`` then returns at once.
    public var isCompleted: Bool { operation.isFinished }

    /// `WSAGetOverlappedResult`: the operation's value (bytes received, or
    /// bytes sent), or the operation's error (WSA_OPERATION_ABORTED when the
    /// socket was closed first).
    ///
    /// - Parameter wait: while the operation is pending, wait for it; when
    ///   false, throw WSA_IO_INCOMPLETE instead.
    public func result(wait: Bool = true) throws(WSAError) -> Value {
        let provider = operation.provider
        var count: DWORD = 0
        var flags: DWORD = 0
        if provider.host.getOverlappedResult(socket.handle, operation.overlapped, &count, wait ? 1 : 0, &flags) != 0 {
            return value(operation, count)
        }
        let error = provider.lastHostError(or: .invalidParameter)
        // A closed socket (or a provider whose sockets the host library does
        // not know) answers WSAENOTSOCK: read the status fields ourselves.
        guard error == .notSocket else { throw error }
        while !operation.isFinished {
            guard wait else { throw .ioIncomplete }
            _ = try event.wait(timeout: 100)
        }
        let status = operation.status
        guard status == 0 else { throw WSAError(code: Int32(bitPattern: status)) }
        return value(operation, operation.overlapped.pointee.InternalHigh)
    }
}

extension Socket {
    /// One SPI call that starts an operation: (operation, routine, lpErrno) -> status.
    private typealias Start = (OverlappedOperation, LPWSAOVERLAPPED_COMPLETION_ROUTINE?, UnsafeMutablePointer<Int32>) -> Int32

    // MARK: completion closures

    /// Overlapped WSPRecv: starts receiving up to `maxLength` bytes and
    /// returns at once. `completion` runs later on **this thread**, inside
    /// an alertable wait (``Provider/sleep(_:alertable:)``,
    /// ``Event/wait(timeout:alertable:)`` with `alertable: true`), with the
    /// bytes (empty: the peer closed) or the error (WSA_OPERATION_ABORTED
    /// when the socket was closed first).
    ///
    /// The socket must be overlapped (``Provider/socket(_:protocol:overlapped:)``),
    /// else WSAEINVAL. Throws when the operation could not be started; then
    /// `completion` never runs. If this thread exits before an alertable
    /// wait, `completion` never runs either; its memory is freed once the
    /// operation has ended.
    public func recv(maxLength: Int, flags: MessageFlags = [],
                     completion: @escaping (Result<[UInt8], WSAError>) -> Void) throws(WSAError) {
        try post(maxLength, fill: nil, start: receive(flags), deliver: { op, error, count in
            completion(error == 0 ? .success(op.received(count)) : .failure(WSAError(code: Int32(bitPattern: error))))
        })
    }

    /// Overlapped WSPRecvFrom: like ``recv(maxLength:flags:completion:)``,
    /// with the sender's address.
    public func recvFrom(maxLength: Int, flags: MessageFlags = [],
                         completion: @escaping (Result<(bytes: [UInt8], sender: SocketAddress?), WSAError>) -> Void) throws(WSAError) {
        try post(maxLength, fill: nil, start: receiveFrom(flags), deliver: { op, error, count in
            completion(error == 0 ? .success((op.received(count), op.sender)) : .failure(WSAError(code: Int32(bitPattern: error))))
        })
    }

    /// Overlapped WSPSend: starts sending a copy of `bytes`; `completion`
    /// runs on this thread in an alertable wait with the count sent or the
    /// error (see ``recv(maxLength:flags:completion:)``).
    public func send(_ bytes: [UInt8], flags: MessageFlags = [],
                     completion: @escaping (Result<Int, WSAError>) -> Void) throws(WSAError) {
        try post(bytes.count, fill: bytes, start: transmit(flags), deliver: { _, error, count in
            completion(error == 0 ? .success(Int(count)) : .failure(WSAError(code: Int32(bitPattern: error))))
        })
    }

    /// Overlapped WSPSendTo: one datagram to `address`; see ``send(_:flags:completion:)``.
    public func send(_ bytes: [UInt8], to address: SocketAddress, flags: MessageFlags = [],
                     completion: @escaping (Result<Int, WSAError>) -> Void) throws(WSAError) {
        try post(bytes.count, fill: bytes, start: transmit(to: address, flags), deliver: { _, error, count in
            completion(error == 0 ? .success(Int(count)) : .failure(WSAError(code: Int32(bitPattern: error))))
        })
    }

    // MARK: event objects

    /// Overlapped WSPRecv reported through `event`: the provider sets it when
    /// the operation completes; ``OverlappedRequest/result(wait:)`` gives the
    /// bytes (empty: the peer closed) or the error. See ``OverlappedRequest``.
    public func recv(maxLength: Int, flags: MessageFlags = [], event: Event) throws(WSAError) -> OverlappedRequest<[UInt8]> {
        try request(maxLength, fill: nil, event: event, start: receive(flags)) { op, count in op.received(count) }
    }

    /// Overlapped WSPRecvFrom reported through `event`: the datagram and its sender.
    public func recvFrom(maxLength: Int, flags: MessageFlags = [],
                         event: Event) throws(WSAError) -> OverlappedRequest<(bytes: [UInt8], sender: SocketAddress?)> {
        try request(maxLength, fill: nil, event: event, start: receiveFrom(flags)) { op, count in (op.received(count), op.sender) }
    }

    /// Overlapped WSPSend reported through `event`: the count sent.
    public func send(_ bytes: [UInt8], flags: MessageFlags = [], event: Event) throws(WSAError) -> OverlappedRequest<Int> {
        try request(bytes.count, fill: bytes, event: event, start: transmit(flags)) { _, count in Int(count) }
    }

    /// Overlapped WSPSendTo reported through `event`: one datagram to `address`.
    public func send(_ bytes: [UInt8], to address: SocketAddress, flags: MessageFlags = [],
                     event: Event) throws(WSAError) -> OverlappedRequest<Int> {
        try request(bytes.count, fill: bytes, event: event, start: transmit(to: address, flags)) { _, count in Int(count) }
    }

    // MARK: the four SPI calls

    private func receive(_ flags: MessageFlags) -> Start {
        { [spi, handle] op, routine, err in
            op.flags.pointee = flags.rawValue
            return spi.lpWSPRecv!(handle, op.buffer.baseAddress, op.length, op.transferred, op.flags, op.overlapped, routine, err)
        }
    }

    private func receiveFrom(_ flags: MessageFlags) -> Start {
        { [spi, handle] op, routine, err in
            op.flags.pointee = flags.rawValue
            return spi.lpWSPRecvFrom!(handle, op.buffer.baseAddress, op.length, op.transferred, op.flags,
                                op.address, op.addressLength, op.overlapped, routine, err)
        }
    }

    private func transmit(_ flags: MessageFlags) -> Start {
        { [spi, handle] op, routine, err in
            spi.lpWSPSend!(handle, op.buffer.baseAddress, op.length, op.transferred, flags.rawValue, op.overlapped, routine, err)
        }
    }

    private func transmit(to address: SocketAddress, _ flags: MessageFlags) -> Start {
        { [spi, handle] op, routine, err in
            let length = address.write(to: op.address)
            return spi.lpWSPSendTo!(handle, op.buffer.baseAddress, op.length, op.transferred, flags.rawValue,
                              op.address, length, op.overlapped, routine, err)
        }
    }

    // MARK: posting

    /// A fresh operation of `byteCount` bytes (a copy of `fill` for a send).
    private func prepare(_ byteCount: Int, fill: [UInt8]?) throws(WSAError) -> OverlappedOperation {
        guard isOverlapped else { throw .invalidArgument }
        guard byteCount >= 0, byteCount <= Int(Int32.max) else { throw .invalidArgument }
        OrphanedOperations.sweep()
        let op = OverlappedOperation(provider: provider, byteCount: byteCount)
        if let fill { fill.withUnsafeBytes { op.buffer.copyMemory(from: $0) } }
        return op
    }

    /// Calls the provider: 0 or WSA_IO_PENDING means it now has the
    /// operation and will report its end (RULINGS §8: "either way"); any
    /// other error means it never will.
    private func start(_ op: OverlappedOperation, routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?, _ call: Start) throws(WSAError) {
        var err: Int32 = 0
        if call(op, routine, &err) == 0 || err == WSA_IO_PENDING { return }
        throw WSAError(code: err)
    }

    /// Posts with a completion closure. The posting thread's table keeps the
    /// operation until its routine has run there; then everything, the
    /// routine's libffi closure included, is freed.
    private func post(_ byteCount: Int, fill: [UInt8]?, start call: Start,
                      deliver: @escaping (OverlappedOperation, DWORD, DWORD) -> Void) throws(WSAError) {
        let op = try prepare(byteCount, fill: fill)
        let thread = ThreadState.current
        let unowned = Unmanaged.passUnretained(op)
        guard let routine = FFICallback.completion({ error, count, _ in
            // Alive: the thread's table holds it until `finish`, and this
            // reference until the caller's closure has returned.
            let op = unowned.takeUnretainedValue()
            thread.finish(op)
            deliver(op, error, count)
        }) else { throw .notEnoughMemory }
        op.routine = routine
        thread.track(op)
        do throws(WSAError) {
            try start(op, routine: routine.completionRoutine, call)
        } catch {
            thread.finish(op)
            throw error
        }
    }

    /// Posts with an event object as hEvent and no routine.
    private func request<Value>(_ byteCount: Int, fill: [UInt8]?, event: Event, start call: Start,
                                value: @escaping (OverlappedOperation, DWORD) -> Value) throws(WSAError) -> OverlappedRequest<Value> {
        let op = try prepare(byteCount, fill: fill)
        op.event = event
        op.overlapped.pointee.hEvent = event.handle
        try start(op, routine: nil, call)
        return OverlappedRequest(socket: self, operation: op, event: event, value: value)
    }
}
