// ws2ctl remove NAME|ID
import ArgumentParser
import WS2Catalog

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a provider from the catalog, by name or id.",
        discussion: """
            Removes ProviderKey<i> and the provider's section, and renumbers the other \
            ProviderKey entries. A number is taken as a ProviderId when a provider has that id, \
            else as a name.
            """)

    @Argument(help: ArgumentHelp("The provider's name or ProviderId.", valueName: "name|id"))
    var provider: String

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var lock: LockOptions

    func run() throws {
        try reportingFailures {
            let file = catalog.file
            let removed = try remove(from: file)
            say("removed '\(removed.name)' (id \(removed.id.map(String.init) ?? "-")) from \(file.path)")
        }
    }

    /// An id first, else a name; each attempt is one locked update (no
    /// read-then-remove race with other installers).
    func remove(from file: CatalogFile) throws -> ProviderRecord {
        if let id = UInt32(provider) {
            switch Result(catching: { () throws(CatalogError) in try file.remove(id: id, lockTimeout: lock.duration) }) {
            case .success(let record): return record
            case .failure(.unknownProvider): break
            case .failure(let error): throw error
            }
        }
        switch Result(catching: { () throws(CatalogError) in try file.remove(name: provider, lockTimeout: lock.duration) }) {
        case .success(let record): return record
        case .failure(.unknownProvider):
            let what = UInt32(provider) == nil ? "named '\(provider)'" : "with id or name '\(provider)'"
            throw Failure("no installed provider \(what) in \(file.path)", status: Failure.refused)
        case .failure(let error): throw error
        }
    }
}
