// The configuration database's C entry points (RULINGS §12): one @_cdecl
// thunk each, the work is in WS2Catalog (CatalogC). None needs WSPStartup.
// A pointer below 64 KiB is WSAEFAULT (ErrorDestinations.swift, RULINGS §4).
import CWS2SPI
import WS2Base
import WS2Catalog

@_cdecl("WPUInstallProvider")
public func WPUInstallProvider(_ lpszProviderName: UnsafePointer<CChar>?, _ lpszProviderDllPath: UnsafePointer<CChar>?,
                               _ lpProtocolInfoList: UnsafePointer<PROTOCOL_INFO>?, _ dwNumberOfEntries: DWORD,
                               _ lpdwProviderId: UnsafeMutablePointer<DWORD>?, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in
        // Each entry's lpProtocol is checked where it is read (ProtocolEntry).
        try checkPointers(lpszProviderName, lpszProviderDllPath, lpProtocolInfoList, lpdwProviderId)
        do throws(CatalogError) {
            try CatalogC.install(name: lpszProviderName, path: lpszProviderDllPath, protocols: lpProtocolInfoList,
                                 count: dwNumberOfEntries, id: lpdwProviderId)
        } catch { throw error.wsaError() }
    }
}

@_cdecl("WPUDeinstallProvider")
public func WPUDeinstallProvider(_ dwProviderId: DWORD, _ lpErrno: UnsafeMutablePointer<Int32>?) -> Int32 {
    errnoStatus(lpErrno) { () throws(WSAError) in
        do throws(CatalogError) { try CatalogC.deinstall(id: dwProviderId) } catch { throw error.wsaError() }
    }
}

@_cdecl("WSAEnumProtocols")
public func WSAEnumProtocols(_ lpiProtocols: UnsafeMutablePointer<Int32>?, _ lpProtocolBuffer: UnsafeMutablePointer<PROTOCOL_INFO>?,
                             _ lpdwBufferLength: UnsafeMutablePointer<DWORD>?) -> Int32 {
    lastErrorValue(failure: -1) { () throws(WSAError) in
        try checkPointers(lpiProtocols, lpProtocolBuffer, lpdwBufferLength)
        do throws(CatalogError) {
            return try CatalogC.enumProtocols(filter: lpiProtocols, buffer: lpProtocolBuffer, length: lpdwBufferLength)
        } catch { throw error.wsaError() }
    }
}
