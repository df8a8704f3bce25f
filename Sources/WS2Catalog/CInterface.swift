// The C entry points' work at the pointer level (WPUInstallProvider,
// WPUDeinstallProvider, WSAEnumProtocols), so that the @_cdecl thunks in
// ProviderKit stay one line each and this logic is testable from Swift.
import CWS2SPI

public enum CatalogC {
    /// WPUInstallProvider: NULL pointers are `.fault`, the rest as
    /// ``CatalogFile/install(name:path:protocols:description:extraEntries:lockTimeout:)``.
    /// Waits for other processes' updates without a timeout.
    public static func install(name: UnsafePointer<CChar>?, path: UnsafePointer<CChar>?,
                               protocols: UnsafePointer<PROTOCOL_INFO>?, count: UInt32,
                               id: UnsafeMutablePointer<UInt32>?) throws(CatalogError) {
        guard let name else { throw .fault("lpszProviderName") }
        guard let path else { throw .fault("lpszProviderDllPath") }
        guard let id else { throw .fault("lpdwProviderId") }
        guard count > 0 else { throw .invalidArgument("dwNumberOfEntries is 0") }
        guard count <= UInt32(Validate.maxProtocols) else { throw .invalidArgument("dwNumberOfEntries is too large") }
        guard let protocols else { throw .fault("lpProtocolInfoList") }
        // Not repaired with U+FFFD: the file would name another provider or library.
        guard let nameText = String(validatingCString: name) else { throw .invalidArgument("the provider name is not UTF-8") }
        guard let pathText = String(validatingCString: path) else { throw .invalidArgument("the provider path is not UTF-8") }
        var entries: [ProtocolEntry] = []
        for i in 0..<Int(count) { entries.append(try ProtocolEntry(protocols[i])) }
        let record = try CatalogFile().install(name: nameText, path: pathText, protocols: entries)
        id.pointee = record.id!
    }

    /// WPUDeinstallProvider.
    public static func deinstall(id: UInt32) throws(CatalogError) {
        _ = try CatalogFile().remove(id: id)
    }

    /// WSAEnumProtocols (RULINGS §12): the matching PROTOCOL_INFOs, then
    /// their lpProtocol strings, in one buffer; returns the count. A NULL or
    /// short buffer sets *length to the size needed and throws `.noBuffers`.
    public static func enumProtocols(filter: UnsafePointer<Int32>?, buffer: UnsafeMutablePointer<PROTOCOL_INFO>?,
                                     length: UnsafeMutablePointer<UInt32>?) throws(CatalogError) -> Int32 {
        guard let length else { throw .fault("lpdwBufferLength") }
        var wanted: [Int32]? = nil
        if let filter {
            var list: [Int32] = []
            var i = 0
            while filter[i] != 0 { list.append(filter[i]); i += 1 }
            wanted = list
        }
        let protocols = try CatalogFile().read().protocols.filter { p in wanted?.contains(p.protocol) ?? true }
        let arrayBytes = protocols.count * MemoryLayout<PROTOCOL_INFO>.stride
        let needed = protocols.reduce(arrayBytes) { $0 + $1.description.utf8.count + 1 }
        guard needed <= Int(UInt32.max) else { throw .noBuffers(needed: needed) }
        // A NULL buffer always answers with the size (RULINGS §12 "too small
        // (or NULL)"), also when that size is 0: the usual size query.
        if needed > Int(length.pointee) || buffer == nil {
            length.pointee = UInt32(needed)
            throw .noBuffers(needed: needed)
        }
        guard let buffer else { throw .noBuffers(needed: needed) }   // unreachable: checked above
        // Byte copies: the caller's buffer need not be aligned for PROTOCOL_INFO.
        let raw = UnsafeMutableRawPointer(buffer)
        var strings = arrayBytes
        for (i, p) in protocols.enumerated() {
            let text = raw + strings
            let utf8 = Array(p.description.utf8) + [0]
            utf8.withUnsafeBytes { text.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            strings += utf8.count
            var info = p.cInfo(description: text.assumingMemoryBound(to: CChar.self))
            withUnsafeBytes(of: &info) {
                (raw + i * MemoryLayout<PROTOCOL_INFO>.stride).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
        }
        return Int32(protocols.count)
    }
}
