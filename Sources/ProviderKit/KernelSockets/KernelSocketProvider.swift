// A service provider over Linux kernel sockets, for one family (KernelFamily):
// start-up, clean-up, and the socket table. The TCP/IP provider and the
// AF_UNIX provider are each one of these.
import Glibc
import Synchronization
import CWS2SPI

/// A provider over Linux kernel sockets of one family: stream and datagram
/// sockets with the whole SPI. One instance serves the whole process; the
/// library's `ws2spi_provider_instance` returns it.
public final class KernelSocketProvider: ServiceProvider, @unchecked Sendable {
    /// The family it serves, and how it differs from the others.
    public let family: KernelFamily

    /// Versions this provider speaks: 1.1 through 2.0 (RULINGS §3).
    static let lowestVersion: (major: UInt8, minor: UInt8) = (1, 1)
    static let highestVersion: (major: UInt8, minor: UInt8) = (2, 0)

    /// Start-ups not yet undone by WSPCleanup; entry points need it > 0.
    let startups = Atomic<Int>(0)
    /// WSPListen's largest backlog, read from the catalog at the first start-up.
    let backlogLimit = Atomic<Int32>(WS_SOMAXCONN)
    /// Serialises start-up and clean-up against each other.
    let lifecycle = Mutex<Void>(())

    /// The sockets, with SOCKET values from the range the Winsock DLL
    /// reserved for this library (RULINGS §13).
    let sockets = HandleTable<KernelSocket>(space: ProviderSockets.space)
    let groups = GroupTable()

    public init(family: KernelFamily) {
        self.family = family
        options = Options(family: family)
        streamName = family.stream.map { strdup($0.entry.description) }
        datagramName = family.datagram.map { strdup($0.entry.description) }
    }

    /// SO_PROTOCOL_INFO's lpProtocol strings (live as long as the process).
    let streamName: UnsafeMutablePointer<CChar>?
    let datagramName: UnsafeMutablePointer<CChar>?

    /// The option table: SOL_SOCKET's and the family's (Options.swift).
    let options: Options

    // MARK: start-up and clean-up

    public func startup(version: WORD, data: LPWSADATA?) -> Int32 {
        initializeGlobals()
        SyscallFaults.armFromEnvironment()   // tests: WS2SPI_FAULTS, see SyscallFaults
        // No SOCKET range from the Winsock DLL: 16 provider libraries already.
        if case .failure = ProviderSockets.reservation { return WSAError.systemNotReady.code }
        let major = UInt8(version & 0xFF), minor = UInt8(version >> 8)
        if (major, minor) < KernelSocketProvider.lowestVersion { return WSAError.versionNotSupported.code }
        guard let data else { return WSAError.fault.code }
        let use: (major: UInt8, minor: UInt8) = (major, minor) < KernelSocketProvider.highestVersion ? (major, minor) : KernelSocketProvider.highestVersion
        lifecycle.withLock { _ in
            data.pointee.wVersion = ws2spi_makeword(use.major, use.minor)
            data.pointee.wHighVersion = ws2spi_makeword(KernelSocketProvider.highestVersion.major, KernelSocketProvider.highestVersion.minor)
            withUnsafeMutableBytes(of: &data.pointee.szDescription) { copyCString(family.description, into: $0) }
            withUnsafeMutableBytes(of: &data.pointee.szSystemStatus) { copyCString("Running", into: $0) }
            data.pointee.iMaxSockets = UInt16(min(UInt64(sockets.capacity), Sys.getrlimitNoFile()))
            data.pointee.iMaxUdpDg = 512
            data.pointee.lpVendorInfo = nil
            if startups.load(ordering: .relaxed) == 0 {
                backlogLimit.store(KernelSocketProvider.catalogListenBacklogLimit(), ordering: .relaxed)
            }
            startups.add(1, ordering: .sequentiallyConsistent)
        }
        return 0
    }

    public func cleanup(callback: LPCLEANUPPROC?, callbackData: DWORD) throws(WSAError) {
        try lifecycle.withLock { (_) throws(WSAError) in
            guard startups.load(ordering: .sequentiallyConsistent) > 0 else { throw .notInitialised }
            if startups.subtract(1, ordering: .sequentiallyConsistent).newValue > 0 { return }
            // The last clean-up: reset connections, close every socket.
            for socket in sockets.removeAll() {
                let reset = socket.kind == .stream && socket.current.contains(.connected)
                socket.markClosed(abortive: reset)
                unwatch(socket)
                groups.leave(socket)
            }
            Reactor.shared.stop()
            // The callback runs as an APC in this thread's next alertable wait.
            if let callback { HostCalls.queueCleanupCallback(callback, data: callbackData) }
        }
    }

    /// This provider's globals the engine thread shares with callers,
    /// initialised while no engine thread runs (fork safety; the kit's own,
    /// ProviderKitGlobals, are made by the WSPStartup thunk before this).
    private func initializeGlobals() {
        _ = (Translation.shutdownHow, Translation.receiveFlags, Translation.sendFlags, Options.common.count)
    }

    // MARK: the socket table

    /// The socket behind a handle: WSANOTINITIALISED before start-up,
    /// WSAENOTSOCK for a handle that is closed or was never ours.
    @inline(__always)
    func lookup(_ s: SOCKET) throws(WSAError) -> KernelSocket {
        guard startups.load(ordering: .relaxed) > 0 else { throw .notInitialised }
        guard let socket = sockets.lookup(s) else { throw .notSocket }
        return socket
    }

    public var isStarted: Bool { startups.load(ordering: .relaxed) > 0 }

    @inline(__always)
    func requireStarted() throws(WSAError) {
        guard startups.load(ordering: .relaxed) > 0 else { throw .notInitialised }
    }

    /// Gives a socket its handle; WSAEMFILE when the table is full.
    func register(_ socket: KernelSocket) throws(WSAError) -> SOCKET {
        guard let handle = sockets.insert(socket) else { throw .tooManyFiles }
        return handle
    }
}

/// Copies `text` as a NUL-terminated string into a fixed char array.
func copyCString(_ text: String, into buffer: UnsafeMutableRawBufferPointer) {
    let bytes = Array(text.utf8.prefix(buffer.count - 1))
    buffer.copyBytes(from: bytes)
    buffer[bytes.count] = 0
}
