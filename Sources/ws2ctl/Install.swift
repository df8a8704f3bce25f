// ws2ctl install NAME PATH [--protocols tcp,udp] [--protocol SPEC ...]
import ArgumentParser
import Glibc
import CWS2SPI
import WS2Catalog

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install a provider library in the catalog.",
        discussion: """
            Writes ProviderKey<i> in [Providers] and a [Provider-NAME] section with every entry \
            of the draft's §2.1.2.2 for the chosen protocols (--protocols for the TCP/IP provider's, \
            --protocol for an entry of any family), plus ProviderId. PATH is stored as \
            an absolute path. Unless --no-verify is given, PATH must be a loadable library that \
            exports every WSP entry point.
            """)

    @Argument(help: "The provider's name (its key): at most 32 characters.")
    var name: String

    @Argument(help: ArgumentHelp("The provider library (ProviderFilename).", valueName: "path"))
    var path: String

    @Option(name: .long, help: ArgumentHelp(
        "Comma-separated protocols the provider serves, by name: the TCP/IP provider's (tcp, udp) or the "
            + "AF_UNIX provider's (unix-stream, unix-dgram); "
            + "the default when no --protocol is given is tcp,udp.",
        valueName: "LIST"))
    var protocols: String?

    @Option(name: .customLong("protocol"), parsing: .singleValue, help: ArgumentHelp(
        "A PROTOCOL_INFO entry of any family (repeatable): af=N|inet|unix,type=stream|dgram|raw|rdm|seqpacket|N"
            + "[,protocol=N][,flags=N][,maxaddr=N][,minaddr=N][,msgsize=N][,desc=TEXT]; numbers may be 0x hex.",
        valueName: "SPEC"))
    var protocolSpecs: [String] = []

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
        for spec in protocolSpecs {
            let p = try ProtocolSpec.parse(spec)
            guard !list.contains(p) else { throw Failure("--protocol '\(spec)' given twice", status: Install.usage) }
            list.append(p)
        }
        let named = protocols ?? (protocolSpecs.isEmpty ? "tcp,udp" : "")
        for word in named.split(separator: ",", omittingEmptySubsequences: false) where !(named.isEmpty) {
            let w = String(word).trimmingSpaces
            guard let p = KnownProtocols.named(w) else {
                let known = KnownProtocols.names.map(\.0).joined(separator: ", ")
                throw Failure("unknown protocol '\(w)' in --protocols (known: \(known))", status: Install.usage)
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

/// `--protocol SPEC`: one PROTOCOL_INFO of any family, keys as in its fields.
enum ProtocolSpec {
    static let types: [(String, Int32)] = [("stream", WS_SOCK_STREAM), ("dgram", WS_SOCK_DGRAM), ("raw", WS_SOCK_RAW),
                                           ("rdm", WS_SOCK_RDM), ("seqpacket", WS_SOCK_SEQPACKET)]
    static let families: [(String, Int32)] = [("inet", WS_AF_INET), ("unix", WS_AF_UNIX)]

    static func parse(_ spec: String) throws -> ProtocolEntry {
        func bad(_ why: String) -> Failure { Failure("--protocol '\(spec)': \(why)", status: Install.usage) }
        var fields: [String: String] = [:]
        for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let text = String(item).trimmingSpaces
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw bad("'\(text)' is not KEY=VALUE") }
            let key = String(text[..<eq]).lowercased(), value = String(text[text.index(after: eq)...])
            guard ["af", "type", "protocol", "flags", "maxaddr", "minaddr", "msgsize", "desc"].contains(key) else {
                throw bad("unknown key '\(key)' (af, type, protocol, flags, maxaddr, minaddr, msgsize, desc)")
            }
            guard fields[key] == nil else { throw bad("'\(key)' given twice") }
            fields[key] = value
        }
        func number(_ key: String, _ text: String) throws -> Int64 {
            let t = text.lowercased()
            let v = t.hasPrefix("0x") ? Int64(t.dropFirst(2), radix: 16) : Int64(t)
            guard let v, v >= Int64(Int32.min), v <= Int64(UInt32.max) else { throw bad("\(key)=\(text) is not a number") }
            return v
        }
        func named(_ key: String, _ table: [(String, Int32)]) throws -> Int32? {
            guard let text = fields[key] else { return nil }
            if let hit = table.first(where: { $0.0 == text.lowercased() }) { return hit.1 }
            return Int32(truncatingIfNeeded: try number(key, text))
        }
        guard let af = try named("af", families) else { throw bad("af= is required") }
        guard let type = try named("type", types) else { throw bad("type= is required") }
        let stream = type == WS_SOCK_STREAM || type == WS_SOCK_SEQPACKET
        let defaultFlags = stream ? XP_GUARANTEED_DELIVERY | XP_GUARANTEED_ORDER | XP_GRACEFUL_CLOSE
                                  : XP_CONNECTIONLESS | XP_MESSAGE_ORIENTED
        let defaultAddr: Int32 = af == WS_AF_UNIX ? Int32(2 + 108) : 16
        let entry = ProtocolEntry(
            serviceFlags: UInt32(truncatingIfNeeded: try fields["flags"].map { try number("flags", $0) } ?? Int64(defaultFlags)),
            addressFamily: af,
            maxSockAddr: Int32(truncatingIfNeeded: try fields["maxaddr"].map { try number("maxaddr", $0) } ?? Int64(defaultAddr)),
            minSockAddr: Int32(truncatingIfNeeded: try fields["minaddr"].map { try number("minaddr", $0) } ?? Int64(defaultAddr)),
            socketType: type,
            protocol: Int32(truncatingIfNeeded: try fields["protocol"].map { try number("protocol", $0) } ?? 0),
            messageSize: UInt32(truncatingIfNeeded: try fields["msgsize"].map { try number("msgsize", $0) } ?? (stream ? 0 : 65535)),
            description: fields["desc"] ?? "af \(af) \(types.first { $0.1 == type }?.0 ?? "type \(type)")")
        guard entry.minSockAddr <= entry.maxSockAddr, entry.minSockAddr > 0 else { throw bad("minaddr must be 1...maxaddr") }
        return entry
    }
}
