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
            let removed: ProviderRecord
            if let id = UInt32(provider), try file.read().provider(id: id) != nil {
                removed = try file.remove(id: id, lockTimeout: lock.duration)
            } else {
                removed = try file.remove(name: provider, lockTimeout: lock.duration)
            }
            say("removed '\(removed.name)' (id \(removed.id.map(String.init) ?? "-")) from \(file.path)")
        }
    }
}
