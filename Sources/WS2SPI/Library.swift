// A provider library loaded at run time: dlopen by path, every entry point
// and host service looked up with dlsym on that handle (never the global
// namespace, so a program that also links a provider's Swift modules still
// calls the library it loaded).
import Glibc
import CWS2SPI
import Synchronization
import WS2Catalog

// The C signatures of ws2spi.h (USE_WS_PREFIX spelling), as Swift function
// pointer types. Pointer parameters are optional: C may pass NULL.
typealias WSPStartupFn = @convention(c) (WORD, LPWSADATA?) -> Int32
typealias WSPCleanupFn = @convention(c) (LPCLEANUPPROC?, DWORD, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPSocketFn = @convention(c) (Int32, Int32, Int32, DWORD, Int32, UnsafeMutablePointer<Int32>?) -> SOCKET
typealias WSPCloseSocketFn = @convention(c) (SOCKET, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPBindFn = @convention(c) (SOCKET, UnsafePointer<WS_sockaddr>?, Int32, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPListenFn = @convention(c) (SOCKET, Int32, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPAcceptFn = @convention(c) (SOCKET, UnsafeMutablePointer<WS_sockaddr>?, UnsafeMutablePointer<Int32>?,
                                        LPCONDITIONPROC?, DWORD, UnsafeMutablePointer<Int32>?) -> SOCKET
typealias WSPConnectFn = @convention(c) (SOCKET, UnsafePointer<WS_sockaddr>?, Int32, LPWSABUF?, LPWSABUF?, GROUP,
                                         LPQOS?, LPQOS?, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPNameFn = @convention(c) (SOCKET, UnsafeMutablePointer<WS_sockaddr>?, UnsafeMutablePointer<Int32>?,
                                      UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPGetSockOptFn = @convention(c) (SOCKET, Int32, Int32, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<Int32>?,
                                            UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPSetSockOptFn = @convention(c) (SOCKET, Int32, Int32, UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPIoctlSocketFn = @convention(c) (SOCKET, Int32, UnsafeMutablePointer<WS_u_long>?, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPShutdownFn = @convention(c) (SOCKET, Int32, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPSelectFn = @convention(c) (Int32, UnsafeMutablePointer<WS_fd_set>?, UnsafeMutablePointer<WS_fd_set>?,
                                        UnsafeMutablePointer<WS_fd_set>?, UnsafePointer<WS_timeval>?, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPRecvFn = @convention(c) (SOCKET, LPVOID?, DWORD, LPDWORD?, LPINT?, LPWSAOVERLAPPED?,
                                      LPWSAOVERLAPPED_COMPLETION_ROUTINE?, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPRecvFromFn = @convention(c) (SOCKET, LPVOID?, DWORD, LPDWORD?, LPINT?, LPVOID?, LPINT?, LPWSAOVERLAPPED?,
                                          LPWSAOVERLAPPED_COMPLETION_ROUTINE?, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPSendFn = @convention(c) (SOCKET, LPVOID?, DWORD, LPDWORD?, Int32, LPWSAOVERLAPPED?,
                                      LPWSAOVERLAPPED_COMPLETION_ROUTINE?, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPSendToFn = @convention(c) (SOCKET, LPVOID?, DWORD, LPDWORD?, Int32, LPVOID?, Int32, LPWSAOVERLAPPED?,
                                        LPWSAOVERLAPPED_COMPLETION_ROUTINE?, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPEventSelectFn = @convention(c) (SOCKET, WSAEVENT?, Int32, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPEnumNetworkEventsFn = @convention(c) (SOCKET, WSAEVENT?, LPWSANETWORKEVENT?, LPINT?, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPAsyncSelect32Fn = @convention(c) (SOCKET, HWND?, UInt32, Int32, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPCallbackSelect16Fn = @convention(c) (SOCKET, LPSELECTPROC?, DWORD, Int32, UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPSetBlockingHook32Fn = @convention(c) (LPBLOCKINGPROC?, UnsafeMutablePointer<Int32>?) -> LPBLOCKINGPROC?
typealias WSPErrnoOnlyFn = @convention(c) (UnsafeMutablePointer<Int32>?) -> Int32
typealias WSPIsBlocking32Fn = @convention(c) () -> BOOL

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

/// The SPI entry points of one provider library (RULINGS §1: all 27, one
/// field per name of `ProviderEntryPoints.names`).
struct SPIEntryPoints: @unchecked Sendable {
    let startup: WSPStartupFn
    let cleanup: WSPCleanupFn
    let socket: WSPSocketFn
    let closeSocket: WSPCloseSocketFn
    let bind: WSPBindFn
    let listen: WSPListenFn
    let accept: WSPAcceptFn
    let connect: WSPConnectFn
    let getSockName: WSPNameFn
    let getPeerName: WSPNameFn
    let getSockOpt: WSPGetSockOptFn
    let setSockOpt: WSPSetSockOptFn
    let ioctlSocket: WSPIoctlSocketFn
    let shutdown: WSPShutdownFn
    let select: WSPSelectFn
    let recv: WSPRecvFn
    let recvFrom: WSPRecvFromFn
    let send: WSPSendFn
    let sendTo: WSPSendToFn
    let eventSelect: WSPEventSelectFn
    let enumNetworkEvents: WSPEnumNetworkEventsFn
    let asyncSelect: WSPAsyncSelect32Fn
    let callbackSelect: WSPCallbackSelect16Fn
    let setBlockingHook: WSPSetBlockingHook32Fn
    let unhookBlockingHook: WSPErrnoOnlyFn
    let cancelBlockingCall: WSPErrnoOnlyFn
    let isBlocking: WSPIsBlocking32Fn
}

/// The host services of RULINGS §6 this module uses (exported by libws2spi.so).
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
        // The package's one list of the names first: a library that lacks
        // several is reported by the first in that list.
        if let missing = ProviderEntryPoints.names.first(where: { symbol($0) == nil }) {
            throw .missingEntryPoint(path: path, name: missing)
        }
        return SPIEntryPoints(
            startup: try require("WSPStartup", as: WSPStartupFn.self),
            cleanup: try require("WSPCleanup", as: WSPCleanupFn.self),
            socket: try require("WSPSocket", as: WSPSocketFn.self),
            closeSocket: try require("WSPCloseSocket", as: WSPCloseSocketFn.self),
            bind: try require("WSPBind", as: WSPBindFn.self),
            listen: try require("WSPListen", as: WSPListenFn.self),
            accept: try require("WSPAccept", as: WSPAcceptFn.self),
            connect: try require("WSPConnect", as: WSPConnectFn.self),
            getSockName: try require("WSPGetSockName", as: WSPNameFn.self),
            getPeerName: try require("WSPGetPeerName", as: WSPNameFn.self),
            getSockOpt: try require("WSPGetSockOpt", as: WSPGetSockOptFn.self),
            setSockOpt: try require("WSPSetSockOpt", as: WSPSetSockOptFn.self),
            ioctlSocket: try require("WSPIoctlSocket", as: WSPIoctlSocketFn.self),
            shutdown: try require("WSPShutdown", as: WSPShutdownFn.self),
            select: try require("WSPSelect", as: WSPSelectFn.self),
            recv: try require("WSPRecv", as: WSPRecvFn.self),
            recvFrom: try require("WSPRecvFrom", as: WSPRecvFromFn.self),
            send: try require("WSPSend", as: WSPSendFn.self),
            sendTo: try require("WSPSendTo", as: WSPSendToFn.self),
            eventSelect: try require("WSPEventSelect", as: WSPEventSelectFn.self),
            enumNetworkEvents: try require("WSPEnumNetworkEvents", as: WSPEnumNetworkEventsFn.self),
            asyncSelect: try require("WSPAsyncSelect32", as: WSPAsyncSelect32Fn.self),
            callbackSelect: try require("WSPCallbackSelect16", as: WSPCallbackSelect16Fn.self),
            setBlockingHook: try require("WSPSetBlockingHook32", as: WSPSetBlockingHook32Fn.self),
            unhookBlockingHook: try require("WSPUnhookBlockingHook32", as: WSPErrnoOnlyFn.self),
            cancelBlockingCall: try require("WSPCancelBlockingCall32", as: WSPErrnoOnlyFn.self),
            isBlocking: try require("WSPIsBlocking32", as: WSPIsBlocking32Fn.self))
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

    /// True when the library carries the host services itself.
    var hasHostServices: Bool { symbol("WSACreateEvent") != nil && symbol("SleepEx") != nil }
}
