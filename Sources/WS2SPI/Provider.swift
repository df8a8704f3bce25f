// A service provider loaded at run time and started with WSPStartup.
import Glibc
import CWS2SPI
import Synchronization

/// A Winsock SPI version: major in the low byte, minor in the high byte of a WORD.
public struct SPIVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The major version (the low byte of the WORD).
    public var major: UInt8
    /// The minor version (the high byte of the WORD).
    public var minor: UInt8

    /// The version `major.minor`.
    public init(_ major: UInt8, _ minor: UInt8) {
        self.major = major
        self.minor = minor
    }

    init(word: WORD) { self.init(UInt8(word & 0xFF), UInt8(word >> 8)) }
    var word: WORD { ws2spi_makeword(major, minor) }

    /// 1.1, the lowest version the TCP/IP provider accepts.
    public static let v1_1 = SPIVersion(1, 1)
    /// 2.0, the version of the SPI draft.
    public static let v2_0 = SPIVersion(2, 0)

    /// `major.minor`, e.g. `2.0`.
    public var description: String { "\(major).\(minor)" }
    /// Orders by major, then minor version.
    public static func < (a: SPIVersion, b: SPIVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
}

/// What a wait or an alertable sleep ended with.
public enum WaitResult: Hashable, Sendable {
    /// An event object of the wait was signalled (its index in the list; 0 for a single event or wait-all).
    case signaled(Int)
    /// The time-out elapsed (or a sleep ran its full time).
    case timedOut
    /// The wait was alertable and ran queued completion routines / APCs (WAIT_IO_COMPLETION).
    case ioCompletion
}

/// A service provider library, loaded with `dlopen` and started with
/// `WSPStartup`; every call goes through the entry points looked up in
/// that library.
///
/// ```swift
/// let provider = try Provider.load()                     // libws2spi.so.2
/// print(provider.version, provider.description)          // 2.0 ws2spi TCP/IP ...
/// let socket = try provider.socket(.stream)
/// ```
///
/// Each `Provider` is one counted start-up; ``cleanup()`` (or the last
/// reference going away) is its `WSPCleanup`. Sockets, events and windows
/// keep their provider alive. The last clean-up of a library closes every
/// socket it still has (RULINGS §3).
public final class Provider: @unchecked Sendable, CustomStringConvertible {
    /// The library, as it was opened (a path, or a name for the dynamic linker).
    public let path: String
    /// The negotiated version (wVersion): min(requested, highest supported).
    public let version: SPIVersion
    /// The highest version the provider supports (wHighVersion).
    public let highVersion: SPIVersion
    /// szDescription: the provider's description of itself (also what `print(provider)` shows).
    public let description: String
    /// szSystemStatus.
    public let systemStatus: String
    /// iMaxSockets: how many sockets a process may open.
    public let maxSockets: Int
    /// iMaxUdpDg: the largest datagram the provider promises to carry.
    public let maxUdpDatagram: Int

    let library: LoadedLibrary
    let spi: SPIEntryPoints
    let host: HostServices
    private let started = Atomic<Bool>(true)

    private init(library: LoadedLibrary, spi: SPIEntryPoints, host: HostServices, data: WSADATA) {
        self.library = library
        self.path = library.path
        self.spi = spi
        self.host = host
        var data = data
        version = SPIVersion(word: data.wVersion)
        highVersion = SPIVersion(word: data.wHighVersion)
        description = withUnsafeBytes(of: &data.szDescription) { cString($0) }
        systemStatus = withUnsafeBytes(of: &data.szSystemStatus) { cString($0) }
        maxSockets = Int(data.iMaxSockets)
        maxUdpDatagram = Int(data.iMaxUdpDg)
    }

    /// Loads a provider library and starts it.
    ///
    /// - Parameters:
    ///   - path: the library file, or a bare name the dynamic linker finds.
    ///     nil: `$WS2SPI_LIBRARY`, else `libws2spi.so.2` from the linker's search path.
    ///   - version: the SPI version to request.
    ///   - hostLibrary: the Winsock DLL part (event objects, alertable waits,
    ///     message windows); nil: the libws2_32.so.2 the provider depends on.
    ///     Loaded once per process: the first load decides.
    public static func load(path: String? = nil, version: SPIVersion = .v2_0,
                            hostLibrary: String? = nil) throws(ProviderLoadError) -> Provider {
        let library = try LoadedLibrary.openDefault(path)
        let spi = try library.entryPoints()
        let host = try LoadedLibrary.host(hostLibrary)
        var data = WSADATA()
        let status = spi.lpWSPStartup!(version.word, &data)
        guard status == 0 else {
            throw .startupFailed(path: library.path, error: WSAError(code: status))
        }
        return Provider(library: library, spi: spi, host: host, data: data)
    }

    /// True until ``cleanup()``.
    public var isStarted: Bool { started.load(ordering: .acquiring) }

    /// WSPCleanup: undoes this provider's start-up. Called by `deinit` when
    /// not called before; a second call does nothing. When it fails (e.g.
    /// WSAEINPROGRESS from inside a blocking hook) the provider stays
    /// started, and a later call or `deinit` tries again.
    public func cleanup() throws(WSAError) {
        guard started.exchange(false, ordering: .acquiringAndReleasing) else { return }
        var err: Int32 = 0
        if spi.lpWSPCleanup!(nil, 0, &err) != 0 {
            started.store(true, ordering: .releasing)
            throw WSAError(code: err)
        }
    }

    deinit {
        try? cleanup()
    }

    // MARK: sockets

    /// WSPSocket: a new AF_INET socket.
    ///
    /// - Parameters:
    ///   - type: stream (TCP) or datagram (UDP).
    ///   - family: the address family, AF_INET (2) unless the provider
    ///     serves another.
    ///   - protocol: 0 for the type's protocol, or `IPPROTO_TCP` / `IPPROTO_UDP` (6, 17).
    ///   - overlapped: WSA_FLAG_OVERLAPPED, for the overlapped calls of ``Socket``.
    public func socket(_ type: SocketType, family: Int32 = WS_AF_INET, protocol: Int32 = 0,
                       overlapped: Bool = false) throws(WSAError) -> Socket {
        var err: Int32 = 0
        let s = spi.lpWSPSocket!(family, type.rawValue, `protocol`, 0, overlapped ? Int32(WSA_FLAG_OVERLAPPED) : 0, &err)
        guard s != INVALID_SOCKET else { throw WSAError(code: err) }
        return Socket(provider: self, handle: s, type: type, overlapped: overlapped)
    }

    /// WSPSelect: which sockets are readable, writable or have an exception
    /// (out-of-band data, a failed connect). At most 64 sockets per list.
    ///
    /// - Parameters:
    ///   - read: sockets to check for data, a connection to accept, or a close.
    ///   - write: sockets to check for room to send, or a completed connect.
    ///   - except: sockets to check for out-of-band data, or a failed connect.
    ///   - timeout: milliseconds; nil blocks until one is ready, 0 polls.
    public func select(read: [Socket] = [], write: [Socket] = [], except: [Socket] = [],
                       timeout: UInt32? = nil) throws(WSAError) -> (read: [Socket], write: [Socket], except: [Socket]) {
        let limit = Int(WS_FD_SETSIZE)
        guard read.count <= limit, write.count <= limit, except.count <= limit else { throw .invalidArgument }
        var sets = (WS_fd_set(), WS_fd_set(), WS_fd_set())
        for s in read { ws2spi_fd_set(s.handle, &sets.0) }
        for s in write { ws2spi_fd_set(s.handle, &sets.1) }
        for s in except { ws2spi_fd_set(s.handle, &sets.2) }
        var tv = WS_timeval(tv_sec: Int32((timeout ?? 0) / 1000), tv_usec: Int32((timeout ?? 0) % 1000) * 1000)
        var err: Int32 = 0
        let n = timeout == nil
            ? spi.lpWSPSelect!(0, &sets.0, &sets.1, &sets.2, nil, &err)
            : spi.lpWSPSelect!(0, &sets.0, &sets.1, &sets.2, &tv, &err)
        guard n >= 0 else { throw WSAError(code: err) }
        return (read.filter { contains(&sets.0, $0.handle) },
                write.filter { contains(&sets.1, $0.handle) },
                except.filter { contains(&sets.2, $0.handle) })
    }

    private func contains(_ set: inout WS_fd_set, _ s: SOCKET) -> Bool {
        let count = Int(set.fd_count)
        return withUnsafeBytes(of: &set.fd_array) { raw in
            raw.bindMemory(to: SOCKET.self).prefix(count).contains(s)
        }
    }

    // MARK: host services

    /// WSACreateEvent: a manual-reset event object, not signalled.
    public func makeEvent() throws(WSAError) -> Event {
        guard let h = host.createEvent() else { throw lastHostError(or: .notEnoughMemory) }
        return Event(provider: self, handle: h)
    }

    /// WS2CreateMessageWindow: a message window for ``Socket/asyncSelect(_:message:events:)``.
    public func makeMessageWindow() throws(WSAError) -> MessageWindow {
        guard let w = host.createMessageWindow() else { throw lastHostError(or: .notEnoughMemory) }
        return MessageWindow(provider: self, handle: w)
    }

    /// SleepEx: sleeps `milliseconds` (`UInt32.max`: forever). Alertable, it
    /// returns early once it has run the calling thread's queued completion
    /// routines and APCs (``WaitResult/ioCompletion``); otherwise ``WaitResult/timedOut``.
    @discardableResult
    public func sleep(_ milliseconds: UInt32, alertable: Bool = true) -> WaitResult {
        host.sleepEx(milliseconds, alertable ? 1 : 0) == WAIT_IO_COMPLETION ? .ioCompletion : .timedOut
    }

    /// The calling thread's last host-service error, or `fallback` if none was set.
    func lastHostError(or fallback: WSAError) -> WSAError {
        let code = host.getLastError()
        return code == 0 ? fallback : WSAError(code: code)
    }
}

/// The text of a NUL-terminated char array.
func cString(_ raw: UnsafeRawBufferPointer) -> String {
    let bytes = raw.prefix { $0 != 0 }
    return String(decoding: bytes, as: UTF8.self)
}

/// Stream (TCP) or datagram (UDP), Winsock's numbers.
public enum SocketType: RawRepresentable, Sendable {
    /// SOCK_STREAM: a TCP connection.
    case stream
    /// SOCK_DGRAM: UDP datagrams.
    case datagram

    /// The header's number (a Swift raw value must be a literal, so the
    /// cases are mapped here instead): WS_SOCK_STREAM or WS_SOCK_DGRAM.
    public var rawValue: Int32 {
        switch self {
        case .stream: WS_SOCK_STREAM
        case .datagram: WS_SOCK_DGRAM
        }
    }

    public init?(rawValue: Int32) {
        switch rawValue {
        case WS_SOCK_STREAM: self = .stream
        case WS_SOCK_DGRAM: self = .datagram
        default: return nil
        }
    }
}
