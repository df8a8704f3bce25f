// The host API (ws2spi.h, "Host API"), one @_cdecl thunk each with the exact
// C signature; Services/ProviderHost.swift does the work. Errors go to *lpErrno
// (which may be NULL); a pointer below 64 KiB is WSAEFAULT (WS2Base's ErrorDestinations.swift).
import CWS2SPI
import WS2Base

@_cdecl("WS2HostStartup")
public func WS2HostStartup(_ lpszCatalogPath: UnsafePointer<CChar>?, _ lpdwNumProviders: UnsafeMutablePointer<DWORD>?,
                           _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in
        try checkPointers(lpszCatalogPath, lpdwNumProviders)
        let n = try ProviderHost.startup(catalogPath: lpszCatalogPath)
        lpdwNumProviders?.pointee = n
    }
}

@_cdecl("WS2HostCleanup")
public func WS2HostCleanup(_ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in try ProviderHost.cleanup() }
}

@_cdecl("WS2HostGetProvider")
public func WS2HostGetProvider(_ dwIndex: DWORD, _ lpErrno: UnsafeMutablePointer<Int32>?) -> UnsafePointer<WS2HOST_PROVIDER>? {
    errnoValue(lpErrno, failure: nil) { () throws(WSAError) in try ProviderHost.provider(at: dwIndex) }
}

@_cdecl("WS2HostRoute")
public func WS2HostRoute(_ af: Int32, _ type: Int32, _ protocol: Int32,
                         _ lplpProtocolInfo: UnsafeMutablePointer<UnsafePointer<PROTOCOL_INFO>?>?,
                         _ lpErrno: UnsafeMutablePointer<Int32>?) -> UnsafePointer<WS2HOST_PROVIDER>? {
    errnoValue(lpErrno, failure: nil) { () throws(WSAError) in
        try checkPointers(lplpProtocolInfo)
        let (provider, entry) = try ProviderHost.route(af: af, type: type, protocol: `protocol`)
        lplpProtocolInfo?.pointee = entry
        return UnsafePointer(provider.record)
    }
}

@_cdecl("WS2HostSocket")
public func WS2HostSocket(_ af: Int32, _ type: Int32, _ protocol: Int32, _ nFlags: Int32,
                          _ lplpProvider: UnsafeMutablePointer<UnsafePointer<WS2HOST_PROVIDER>?>?,
                          _ lpErrno: UnsafeMutablePointer<Int32>?) -> SOCKET {
    errnoValue(lpErrno, failure: invalidSocket) { () throws(WSAError) in
        try checkPointers(lplpProvider)
        return try ProviderHost.socket(af: af, type: type, protocol: `protocol`, flags: nFlags, provider: lplpProvider)
    }
}
