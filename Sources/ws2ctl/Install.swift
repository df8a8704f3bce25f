// ws2ctl install NAME PATH [--protocols tcp,udp]
import ArgumentParser
import Glibc
import WS2Catalog

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install a provider library in the catalog.",
        discussion: """
            Writes ProviderKey<i> in [Providers] and a [Provider-NAME] section with every entry \
            of the draft's §2.1.2.2 for the chosen protocols, plus ProviderId. PATH is stored as \
            an absolute path. Unless --no-verify is given, PATH must be a loadable library that \
            exports every WSP entry point.
            """)

    @Argument(help: "The provider's name (its key): at most 32 characters.")
    var name: String

    @Argument(help: ArgumentHelp("The provider library (ProviderFilename).", valueName: "path"))
    var path: String

    @Option(name: .long, help: ArgumentHelp(
        "Comma-separated protocols the provider serves, with the TCP/IP provider's PROTOCOL_INFO (tcp, udp).",
        valueName: "LIST"))
    var protocols: String = "tcp,udp"

    @Option(name: .long, help: "ProviderDescription (default: the name).")
    var description: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp(
        "An extra entry for the provider's section, e.g. ListenBacklogLimit=64 (repeatable).",
        valueName: "KEY=VALUE"))
    var entry: [String] = []

    @Flag(name: .long, help: "Do not load PATH to check that it is a provider.")
    var noVerify = false

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var lock: LockOptions

    static let usage: Int32 = 64

    func parsedProtocols() throws -> [ProtocolEntry] {
        var list: [ProtocolEntry] = []
        for word in protocols.split(separator: ",", omittingEmptySubsequences: false) {
            let w = String(word).trimmingSpaces
            guard let p = TCPIPProtocols.named(w) else {
                throw Failure("unknown protocol '\(w)' in --protocols (known: tcp, udp)", status: Install.usage)
            }
            guard !list.contains(p) else { throw Failure("protocol '\(w)' given twice in --protocols", status: Install.usage) }
            list.append(p)
        }
        return list
    }

    func parsedEntries() throws -> [ProviderRecord.Entry] {
        try entry.map { text in
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw Failure("--entry '\(text)' is not KEY=VALUE", status: Install.usage)
            }
            return ProviderRecord.Entry(key: String(text[..<eq]), value: String(text[text.index(after: eq)...]))
        }
    }

    func run() throws {
        try reportingFailures {
            let protocols = try parsedProtocols(), entries = try parsedEntries()
            let absolute = absolutePath(path)
            if !noVerify { try Library.verify(absolute) }
            let record = try catalog.file.install(name: name, path: absolute, protocols: protocols,
                                                  description: description, extraEntries: entries,
                                                  lockTimeout: lock.duration)
            say("installed '\(record.name)' (id \(record.id.map(String.init) ?? "-")): \(record.filename), "
                + "protocols \(record.protocols.map(protocolLabel).joined(separator: ", ")), in \(catalog.file.path)")
        }
    }
}

/// `path` from the current directory, unless it is absolute.
func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    guard let dir = getcwd(nil, 0) else { return path }
    defer { free(dir) }
    let cwd = String(cString: dir)
    let rest = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    return cwd == "/" ? "/" + rest : cwd + "/" + rest
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
