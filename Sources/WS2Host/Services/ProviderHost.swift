// The host API (ws2spi.h, "Host API"): what a Winsock DLL does with the
// catalog of RULINGS §12. Read the catalog, dlopen each ProviderFilename,
// call WSPStartup once per provider (version 2.0 requested), route
// (af, type, protocol) to the provider whose PROTOCOL_INFO serves it, and
// undo it all in WS2HostCleanup. The records handed to C are allocated here
// and live until the clean-up.
import Glibc
import Synchronization
import CWS2SPI
import WS2Catalog
import WS2Base

/// One provider's C record and the C memory it owns.
final class HostedProvider: @unchecked Sendable {
    let record: UnsafeMutablePointer<WS2HOST_PROVIDER>
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private let protocols: UnsafeMutablePointer<PROTOCOL_INFO>

    init(_ p: ProviderRecord) {
        record = .allocate(capacity: 1)
        UnsafeMutableRawPointer(record).initializeMemory(as: UInt8.self, repeating: 0,
                                                         count: MemoryLayout<WS2HOST_PROVIDER>.size)
        protocols = .allocate(capacity: max(1, p.protocols.count))
        record.pointee.dwProviderId = p.id ?? 0
        record.pointee.lpszName = UnsafePointer(copy(p.name))
        record.pointee.lpszPath = UnsafePointer(copy(p.filename))
        record.pointee.lpszDescription = UnsafePointer(copy(p.description))
        for (i, entry) in p.protocols.enumerated() {
            (protocols + i).initialize(to: entry.cInfo(description: copy(entry.description)))
        }
        record.pointee.dwNumProtocols = DWORD(p.protocols.count)
        record.pointee.lpProtocols = UnsafePointer(protocols)
    }

    deinit {
        for s in strings { free(s) }
        protocols.deallocate()
        record.deallocate()
    }

    /// A C copy of `text`, freed with the record.
    private func copy(_ text: String) -> UnsafeMutablePointer<CChar> {
        let s = strdup(text)!
        strings.append(s)
        return s
    }

    /// Loaded and started: only then is hLibrary set.
    var isStarted: Bool { record.pointee.hLibrary != nil }
    var id: DWORD { record.pointee.dwProviderId }
    var path: String { String(cString: record.pointee.lpszPath) }

    func setStatus(_ code: Int32, _ text: String) {
        record.pointee.iStatus = code
        record.pointee.lpszStatus = UnsafePointer(copy(text))
    }

    /// dlopen, dlsym every entry point, WSPStartup(2.0). On failure the
    /// record says why and nothing stays loaded or started.
    func load() {
        guard !path.isEmpty else { return setStatus(WSAError.systemNotReady.code, "the catalog gives no ProviderFilename") }
        let loaded: ProviderLibrary
        do throws(ProviderLibraryError) { loaded = try ProviderLibrary.open(path) } catch {
            switch error {
            case .cannotOpen(_, let why): return setStatus(WSAError.systemNotReady.code, "cannot load the library: \(why)")
            case .notAProvider: return setStatus(WSAError.systemNotReady.code, "\(error)")
            }
        }
        let library = loaded.handle
        record.pointee.Procs = loaded.procs
        let startup = record.pointee.Procs.lpWSPStartup!
        let r = startup(ProviderHost.requestedVersion, &record.pointee.WSAData)
        guard r == 0 else {
            record.pointee.Procs = WS2HOST_PROCS()
            dlclose(library)
            return setStatus(r, "WSPStartup(2.0) failed with error \(r)")
        }
        let version = record.pointee.WSAData.wVersion
        guard ProviderHost.accepts(version) else {
            var err: Int32 = 0
            _ = record.pointee.Procs.lpWSPCleanup!(nil, 0, &err)
            record.pointee.Procs = WS2HOST_PROCS()
            dlclose(library)
            return setStatus(WSAError.versionNotSupported.code,
                             "the provider negotiated version \(version & 0xFF).\(version >> 8); the host speaks 1.1 to 2.0")
        }
        record.pointee.wVersion = version
        record.pointee.wHighVersion = record.pointee.WSAData.wHighVersion
        record.pointee.hLibrary = library
        setStatus(0, "started")
    }

    /// WSPCleanup (when started), the provider's leftover upcall handles, dlclose.
    /// Returns WSPCleanup's error, or 0.
    func unload() -> Int32 {
        guard isStarted, let library = record.pointee.hLibrary else { return 0 }
        var err: Int32 = 0
        let r = record.pointee.Procs.lpWSPCleanup!(nil, 0, &err)
        // Handles made for a provider that is gone would hold dangling contexts.
        if id != 0 { SocketHandles.closeAll(provider: id) }
        record.pointee.Procs = WS2HOST_PROCS()
        record.pointee.hLibrary = nil
        dlclose(library)
        return r == 0 ? 0 : err
    }
}

/// The providers of one WS2HostStartup, in catalog order.
final class HostSession: @unchecked Sendable {
    let providers: [HostedProvider]
    init(_ providers: [HostedProvider]) { self.providers = providers }
}

/// The host API's state: one session between WS2HostStartup and WS2HostCleanup.
public enum ProviderHost {
    /// MAKEWORD(2, 0): the version the host asks every provider for.
    static let requestedVersion: WORD = ws2spi_makeword(2, 0)
    private static let session = Mutex<HostSession?>(nil)

    /// Versions the host accepts from WSPStartup: 1.1 through 2.0
    /// (low byte major, high byte minor).
    static func accepts(_ version: WORD) -> Bool {
        let v = (major: version & 0xFF, minor: version >> 8)
        return (v.major, v.minor) >= (1, 1) && (v.major, v.minor) <= (2, 0)
    }

    /// WS2HostStartup: loads the catalog's providers; returns how many are
    /// listed (started or not). WSAEINVAL when already started or for an
    /// empty path; the catalog's read errors (WSAEACCES, WSASYSNOTREADY).
    static func startup(catalogPath: UnsafePointer<CChar>?) throws(WSAError) -> DWORD {
        try session.withLock { (current) throws(WSAError) -> DWORD in
            guard current == nil else { throw .invalidArgument }
            let path = catalogPath.map { String(cString: $0) }
            if path?.isEmpty == true { throw .invalidArgument }
            let catalog: Catalog
            do throws(CatalogError) { catalog = try CatalogFile(path: path).read() } catch { throw error.wsaError() }
            let providers = catalog.providers.map(HostedProvider.init)
            for (p, record) in zip(providers, catalog.providers) {
                if record.hasSection { p.load() } else {
                    p.setStatus(WSAError.systemNotReady.code, "[Providers] names \(record.name), whose section is missing")
                }
            }
            current = HostSession(providers)
            return DWORD(providers.count)
        }
    }

    /// WS2HostCleanup: unloads every provider (last first). The session
    /// ends even when a WSPCleanup fails; its error is then thrown.
    static func cleanup() throws(WSAError) {
        guard let ended = session.withLock({ current -> HostSession? in
            defer { current = nil }
            return current
        }) else { throw .notInitialised }
        var first: Int32 = 0
        for p in ended.providers.reversed() {
            let r = p.unload()
            if first == 0 { first = r }
        }
        if first != 0 { throw WSAError(code: first) }
    }

    private static func current() throws(WSAError) -> HostSession {
        guard let s = session.withLock({ $0 }) else { throw .notInitialised }
        return s
    }

    /// WS2HostGetProvider: the record at `index`; WSAEINVAL past the end.
    static func provider(at index: DWORD) throws(WSAError) -> UnsafePointer<WS2HOST_PROVIDER> {
        let s = try current()
        guard Int(index) < s.providers.count else { throw .invalidArgument }
        return UnsafePointer(s.providers[Int(index)].record)
    }

    /// WS2HostRoute: the first started provider, in catalog order, with an
    /// entry for (af, type, protocol); protocol 0 takes the first entry of
    /// that af and type. The error says which part found no provider.
    static func route(af: Int32, type: Int32, protocol: Int32) throws(WSAError)
        -> (provider: HostedProvider, entry: UnsafePointer<PROTOCOL_INFO>) {
        try route(in: try current(), af: af, type: type, protocol: `protocol`)
    }

    private static func route(in s: HostSession, af: Int32, type: Int32, protocol: Int32) throws(WSAError)
        -> (provider: HostedProvider, entry: UnsafePointer<PROTOCOL_INFO>) {
        var familyServed = false, typeServed = false
        for p in s.providers where p.isStarted {
            let entries = p.record.pointee.lpProtocols!
            for i in 0..<Int(p.record.pointee.dwNumProtocols) {
                let e = entries[i]
                guard e.iAddressFamily == af else { continue }
                familyServed = true
                guard e.iSocketType == type else { continue }
                typeServed = true
                if `protocol` == 0 || e.iProtocol == `protocol` { return (p, entries + i) }
            }
        }
        throw !familyServed ? .addressFamilyNotSupported : !typeServed ? .socketTypeNotSupported : .protocolNotSupported
    }

    /// WS2HostSocket: routes, then calls that provider's WSPSocket with the
    /// entry's protocol and the provider's id. WSAEFAULT for a NULL
    /// lplpProvider; WSPSocket's own errors as it reports them. Runs under
    /// the session lock, so a concurrent WS2HostCleanup cannot unload the
    /// provider in the middle (WSPSocket is short; it never blocks).
    static func socket(af: Int32, type: Int32, protocol: Int32, flags: Int32,
                       provider lplpProvider: UnsafeMutablePointer<UnsafePointer<WS2HOST_PROVIDER>?>?) throws(WSAError) -> SOCKET {
        guard let lplpProvider else { throw .fault }
        lplpProvider.pointee = nil
        return try session.withLock { (current) throws(WSAError) -> SOCKET in
            guard let current else { throw .notInitialised }
            let (p, entry) = try route(in: current, af: af, type: type, protocol: `protocol`)
            var err: Int32 = 0
            let s = p.record.pointee.Procs.lpWSPSocket!(af, type, entry.pointee.iProtocol, p.id, flags, &err)
            guard s != INVALID_SOCKET else { throw WSAError(code: err) }
            lplpProvider.pointee = UnsafePointer(p.record)
            return s
        }
    }
}
