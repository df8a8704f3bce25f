// What a kernel-socket provider reads from its catalog section (RULINGS §10, §12).
import CWS2SPI
import WS2Catalog

extension KernelSocketProvider {
    /// The catalog entry that raises WSPListen's backlog limit.
    static let listenBacklogLimitKey = "ListenBacklogLimit"

    /// The backlog limit for this start-up: SOMAXCONN, raised by
    /// `ListenBacklogLimit=N` in this provider's section. This provider's
    /// sections are those whose ProviderFilename is the library this code
    /// runs from (the same file, found with dladdr); with several, the first
    /// in catalog order that has a valid N wins. N is decimal; values that
    /// are not numbers, are below 1 or do not fit 32 bits are ignored, and N
    /// below SOMAXCONN does not lower the limit. An unreadable catalog
    /// leaves SOMAXCONN.
    static func catalogListenBacklogLimit() -> Int32 {
        guard let file = ws2spi_sys_object_path(#dsohandle),
              let catalog = try? CatalogFile().read() else { return WS_SOMAXCONN }
        for provider in catalog.providers(forLibrary: String(cString: file)) {
            guard let text = provider.value(forKey: listenBacklogLimitKey), let n = Int32(text), n >= 1 else { continue }
            return max(n, WS_SOMAXCONN)
        }
        return WS_SOMAXCONN
    }
}
