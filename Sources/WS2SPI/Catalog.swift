// Loading a provider by its name in the configuration database (RULINGS §12).
import WS2Catalog

extension Provider {
    /// Loads the provider installed under `catalogName` (compared without
    /// case) and starts it: its ProviderFilename is dlopen'ed.
    ///
    /// - Parameters:
    ///   - catalogName: the provider's name (its ProviderKey).
    ///   - catalog: the catalog file; nil: `$WINSOCK2_INI`, else `/etc/winsock2.ini`.
    ///   - version: the SPI version to request.
    ///   - hostLibrary: as for ``load(path:version:hostLibrary:)``.
    public static func load(catalogName: String, catalog: String? = nil, version: SPIVersion = .v2_0,
                            hostLibrary: String? = nil) throws(ProviderLoadError) -> Provider {
        let file = CatalogFile(path: catalog)
        let snapshot: Catalog
        do { snapshot = try file.read() } catch {
            throw .notInCatalog(name: catalogName, reason: "cannot read \(file.path): \(error)")
        }
        guard let record = snapshot.provider(named: catalogName) else {
            throw .notInCatalog(name: catalogName, reason: "not installed in \(file.path)")
        }
        guard record.hasSection, !record.filename.isEmpty else {
            throw .notInCatalog(name: catalogName, reason: "no ProviderFilename in \(file.path)")
        }
        return try load(path: record.filename, version: version, hostLibrary: hostLibrary)
    }
}
