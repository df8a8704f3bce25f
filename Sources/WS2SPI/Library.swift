// A provider library loaded at run time: dlopen by path, every entry point
// and host service looked up with dlsym on that handle (never the global
// namespace, so a program that also links a provider's Swift modules still
// calls the library it loaded).
import Glibc
import CWS2SPI
import Synchronization
import WS2Catalog

// The host services this module calls, as Swift function pointer types
// (the SPI entry points have theirs in ws2spi.h's WS2HOST_PROCS).
typealias WSACreateEventFn = @convention(c) () -> WSAEVENT?
typealias WSAEventFn = @convention(c) (WSAEVENT?) -> BOOL
typealias WSAWaitForMultipleEventsFn = @convention(c) (DWORD, UnsafePointer<WSAEVENT?>?, BOOL, DWORD, BOOL) -> DWORD
typealias WSAGetLastErrorFn = @convention(c) () -> Int32
typealias SleepExFn = @convention(c) (DWORD, BOOL) -> DWORD
typealias WS2CreateMessageWindowFn = @convention(c) () -> HWND?
typealias WS2DestroyMessageWindowFn = @convention(c) (HWND?) -> BOOL
typealias WS2GetMessageFn = @convention(c) (UnsafeMutablePointer<WS2MSG>?, HWND?, DWORD) -> BOOL
typealias WSAGetOverlappedResultFn = @convention(c) (SOCKET, LPWSAOVERLAPPED?, LPDWORD?, BOOL, LPDWORD?) -> BOOL

/// Why a provider library could not be loaded or started.
public enum ProviderLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// dlopen failed (no such file, not a shared object, missing dependency).
    case cannotOpen(path: String, reason: String)
    /// The library lacks an SPI entry point or a host service.
    case missingEntryPoint(path: String, name: String)
    /// WSPStartup refused the requested version, or failed.
    case startupFailed(path: String, error: WSAError)
    /// No provider of that name in the catalog, or the catalog is unreadable.
    case notInCatalog(name: String, reason: String)

    /// A one-line explanation, e.g. `libx.so does not export WSPStartup`.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot load \(path): \(reason)"
        case let .missingEntryPoint(path, name): return "\(path) does not export \(name)"
        case let .startupFailed(path, error): return "WSPStartup of \(path) failed: \(error)"
        case let .notInCatalog(name, reason): return "provider \"\(name)\": \(reason)"
        }
    }
}

/// The SPI entry points of one provider library: ws2spi.h's WS2HOST_PROCS,
/// filled by WS2Catalog's one loader (`ProviderLibrary`).
typealias SPIEntryPoints = WS2HOST_PROCS

/// The host services of RULINGS §6 this module uses (exported by libws2_32.so.2).
struct HostServices: @unchecked Sendable {
    let createEvent: WSACreateEventFn
    let setEvent: WSAEventFn
    let resetEvent: WSAEventFn
    let closeEvent: WSAEventFn
    let waitForMultipleEvents: WSAWaitForMultipleEventsFn
    let getLastError: WSAGetLastErrorFn
    let sleepEx: SleepExFn
    let createMessageWindow: WS2CreateMessageWindowFn
    let destroyMessageWindow: WS2DestroyMessageWindowFn
    let getMessage: WS2GetMessageFn
    let getOverlappedResult: WSAGetOverlappedResultFn
}

/// One dlopen'ed library. Never dlclose'd: completion routines, callbacks
/// and the provider's own threads may run its code until the process ends
/// (libws2spi.so is linked nodelete for the same reason).
final class LoadedLibrary: @unchecked Sendable {
    let path: String
    private let handle: UnsafeMutableRawPointer

    /// Libraries by the path they were opened with, so a library opened
    /// twice is looked up once.
    private static let opened = Mutex<[String: LoadedLibrary]>([:])

    private init(path: String, handle: UnsafeMutableRawPointer) {
        self.path = path
        self.handle = handle
    }

    /// dlopen(path): a path with a slash is a file, a bare name is looked up
    /// in the dynamic linker's search path.
    static func open(_ path: String) throws(ProviderLoadError) -> LoadedLibrary {
        let result: Result<LoadedLibrary, ProviderLoadError> = opened.withLock { table in
            if let library = table[path] { return .success(library) }
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
                return .failure(.cannotOpen(path: path, reason: reason))
            }
            let library = LoadedLibrary(path: path, handle: handle)
            table[path] = library
            return .success(library)
        }
        return try result.get()
    }

    /// The library named by `path`, else $WS2SPI_LIBRARY, else libws2spi.so.2
    /// from the dynamic linker's search path.
    static func openDefault(_ path: String? = nil) throws(ProviderLoadError) -> LoadedLibrary {
        if let path { return try open(path) }
        if let env = getenv("WS2SPI_LIBRARY"), env.pointee != 0 { return try open(String(cString: env)) }
        return try open("libws2spi.so.2")
    }

    func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }

    func require<T>(_ name: String, as type: T.Type) throws(ProviderLoadError) -> T {
        guard let p = symbol(name) else { throw .missingEntryPoint(path: path, name: name) }
        return unsafeBitCast(p, to: type)
    }

    func entryPoints() throws(ProviderLoadError) -> SPIEntryPoints {
        do throws(ProviderLibraryError) { return try ProviderLibrary.entryPoints(handle, path: path) } catch {
            switch error {
            case let .notAProvider(path, missing): throw .missingEntryPoint(path: path, name: missing[0])
            case let .cannotOpen(path, reason): throw .cannotOpen(path: path, reason: reason)
            }
        }
    }

    func hostServices() throws(ProviderLoadError) -> HostServices {
        HostServices(
            createEvent: try require("WSACreateEvent", as: WSACreateEventFn.self),
            setEvent: try require("WSASetEvent", as: WSAEventFn.self),
            resetEvent: try require("WSAResetEvent", as: WSAEventFn.self),
            closeEvent: try require("WSACloseEvent", as: WSAEventFn.self),
            waitForMultipleEvents: try require("WSAWaitForMultipleEvents", as: WSAWaitForMultipleEventsFn.self),
            getLastError: try require("WSAGetLastError", as: WSAGetLastErrorFn.self),
            sleepEx: try require("SleepEx", as: SleepExFn.self),
            createMessageWindow: try require("WS2CreateMessageWindow", as: WS2CreateMessageWindowFn.self),
            destroyMessageWindow: try require("WS2DestroyMessageWindow", as: WS2DestroyMessageWindowFn.self),
            getMessage: try require("WS2GetMessage", as: WS2GetMessageFn.self),
            getOverlappedResult: try require("WSAGetOverlappedResult", as: WSAGetOverlappedResultFn.self))
    }

    /// The Winsock DLL part (RULINGS §13), loaded once per process: the
    /// library named by `path`, else the libws2_32.so.2 already in the
    /// process (the providers' dependency), else the one the dynamic linker
    /// finds. Its host services serve every provider.
    static func host(_ path: String? = nil) throws(ProviderLoadError) -> HostServices {
        let result: Result<HostServices, ProviderLoadError> = hostServices.withLock { cached in
            if let cached { return .success(cached) }
            let library: LoadedLibrary
            if let path {
                do throws(ProviderLoadError) { library = try open(path) } catch { return .failure(error) }
            } else if let handle = dlopen(hostSoname, RTLD_NOW | RTLD_NOLOAD) ?? dlopen(hostSoname, RTLD_NOW | RTLD_GLOBAL) {
                library = LoadedLibrary(path: hostSoname, handle: handle)
            } else {
                return .failure(.cannotOpen(path: hostSoname, reason: dlerror().map { String(cString: $0) } ?? "dlopen failed"))
            }
            do throws(ProviderLoadError) {
                let services = try library.hostServices()
                cached = services
                return .success(services)
            } catch { return .failure(error) }
        }
        return try result.get()
    }
    static let hostSoname = "libws2_32.so.2"
    private static let hostServices = Mutex<HostServices?>(nil)

}
