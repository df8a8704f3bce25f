// Overlapped I/O with completion closures (RULINGS §8): WSPRecv, WSPSend,
// WSPRecvFrom, WSPSendTo with a WSAOVERLAPPED and a completion routine that
// is a libffi closure over the Swift closure.
import CWS2SPI

/// One pending overlapped operation: the WSAOVERLAPPED, the buffers the
/// provider fills or sends from, and the completion routine. It keeps itself
/// alive (one retain) from the post until its routine has run; then
/// everything, the routine's libffi closure included, is freed.
private final class OverlappedOperation {
    let overlapped = UnsafeMutablePointer<WSAOVERLAPPED>.allocate(capacity: 1)
    let buffer: UnsafeMutableRawBufferPointer
    let address = UnsafeMutablePointer<WS_sockaddr_in>.allocate(capacity: 1)
    let addressLength = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    let flags = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    let transferred = UnsafeMutablePointer<DWORD>.allocate(capacity: 1)
    var routine: FFICallback?
    /// Hands (operation, dwError, cbTransferred) to the caller's closure.
    var deliver: ((OverlappedOperation, DWORD, DWORD) -> Void)?
    /// The provider stays loaded and started while the operation is pending.
    let provider: Provider

    init(provider: Provider, byteCount: Int) {
        self.provider = provider
        buffer = .allocate(byteCount: max(byteCount, 1), alignment: 16)
        overlapped.initialize(to: WSAOVERLAPPED())
        address.initialize(to: WS_sockaddr_in())
        addressLength.initialize(to: SocketAddress.length)
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

    func received(_ count: DWORD) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: buffer[..<min(Int(count), buffer.count)]))
    }

    var sender: SocketAddress? { SocketAddress(winsock: address, length: addressLength.pointee) }
}

extension Socket {
    /// Overlapped WSPRecv: starts receiving up to `maxLength` bytes and
    /// returns at once. `completion` runs later on **this thread**, inside
    /// an alertable wait (``Provider/sleep(_:alertable:)``,
    /// ``Event/wait(timeout:alertable:)`` with `alertable: true`), with the
    /// bytes (empty: the peer closed) or the error (WSA_OPERATION_ABORTED
    /// when the socket was closed first).
    ///
    /// The socket must be overlapped (``Provider/socket(_:protocol:overlapped:)``),
    /// else WSAEINVAL. Throws when the operation could not be started; then
    /// `completion` never runs.
    public func recv(maxLength: Int, flags: MessageFlags = [],
                     completion: @escaping (Result<[UInt8], WSAError>) -> Void) throws(WSAError) {
        try post(byteCount: maxLength, fill: nil, deliver: { op, error, count in
            completion(error == 0 ? .success(op.received(count)) : .failure(WSAError(code: Int32(bitPattern: error))))
        }) { op, routine, err in
            op.flags.pointee = flags.rawValue
            return spi.recv(handle, op.buffer.baseAddress, DWORD(maxLength), op.transferred, op.flags, op.overlapped, routine, err)
        }
    }

    /// Overlapped WSPRecvFrom: like ``recv(maxLength:flags:completion:)``,
    /// with the sender's address.
    public func recvFrom(maxLength: Int, flags: MessageFlags = [],
                         completion: @escaping (Result<(bytes: [UInt8], from: SocketAddress?), WSAError>) -> Void) throws(WSAError) {
        try post(byteCount: maxLength, fill: nil, deliver: { op, error, count in
            completion(error == 0 ? .success((op.received(count), op.sender)) : .failure(WSAError(code: Int32(bitPattern: error))))
        }) { op, routine, err in
            op.flags.pointee = flags.rawValue
            return spi.recvFrom(handle, op.buffer.baseAddress, DWORD(maxLength), op.transferred, op.flags,
                                UnsafeMutableRawPointer(op.address), op.addressLength, op.overlapped, routine, err)
        }
    }

    /// Overlapped WSPSend: starts sending a copy of `bytes`; `completion`
    /// runs on this thread in an alertable wait with the count sent or the error.
    public func send(_ bytes: [UInt8], flags: MessageFlags = [],
                     completion: @escaping (Result<Int, WSAError>) -> Void) throws(WSAError) {
        try post(byteCount: bytes.count, fill: bytes, deliver: { _, error, count in
            completion(error == 0 ? .success(Int(count)) : .failure(WSAError(code: Int32(bitPattern: error))))
        }) { op, routine, err in
            spi.send(handle, op.buffer.baseAddress, DWORD(bytes.count), op.transferred, flags.rawValue, op.overlapped, routine, err)
        }
    }

    /// Overlapped WSPSendTo: one datagram to `address`; see ``send(_:flags:completion:)``.
    public func sendTo(_ bytes: [UInt8], address: SocketAddress, flags: MessageFlags = [],
                       completion: @escaping (Result<Int, WSAError>) -> Void) throws(WSAError) {
        try post(byteCount: bytes.count, fill: bytes, deliver: { _, error, count in
            completion(error == 0 ? .success(Int(count)) : .failure(WSAError(code: Int32(bitPattern: error))))
        }) { op, routine, err in
            op.address.pointee = address.winsock
            return spi.sendTo(handle, op.buffer.baseAddress, DWORD(bytes.count), op.transferred, flags.rawValue,
                              UnsafeMutableRawPointer(op.address), SocketAddress.length, op.overlapped, routine, err)
        }
    }

    /// Posts one operation: 0 or WSA_IO_PENDING means the routine is queued
    /// (RULINGS §8: "either way"); any other error means it never runs.
    private func post(byteCount: Int, fill: [UInt8]?,
                      deliver: @escaping (OverlappedOperation, DWORD, DWORD) -> Void,
                      start: (OverlappedOperation, LPWSAOVERLAPPED_COMPLETION_ROUTINE, UnsafeMutablePointer<Int32>) -> Int32) throws(WSAError) {
        guard isOverlapped else { throw .invalidArgument }
        guard byteCount >= 0, byteCount <= Int(Int32.max) else { throw .invalidArgument }
        let op = OverlappedOperation(provider: provider, byteCount: byteCount)
        if let fill { fill.withUnsafeBytes { op.buffer.copyMemory(from: $0) } }
        let pending = Unmanaged.passRetained(op)
        guard let routine = FFICallback.completion({ error, count, _ in
            // Runs once, in the posting thread's alertable wait: takes back
            // the retain of the post, so the operation (and this closure)
            // is freed when the caller's closure returns.
            let op = pending.takeRetainedValue()
            op.deliver?(op, error, count)
        }) else {
            pending.release()
            throw .notEnoughMemory
        }
        op.routine = routine
        op.deliver = deliver
        var err: Int32 = 0
        let status = start(op, routine.completionRoutine, &err)
        if status == 0 || err == WSA_IO_PENDING { return }
        pending.release()
        throw WSAError(code: err)
    }
}
