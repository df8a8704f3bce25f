// ws2ctl list [--json]
import ArgumentParser
import CWS2SPI
import WS2Catalog

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the installed providers, in catalog order.",
        discussion: "A missing catalog file lists no providers.")

    @Flag(name: .long, help: "Print JSON: the catalog path and every provider with its protocols and entries.")
    var json = false

    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        try reportingFailures {
            let snapshot = try catalog.file.read()
            say(json ? jsonText(snapshot) : table(snapshot))
        }
    }

    func table(_ c: Catalog) -> String {
        guard !c.providers.isEmpty else { return "no providers installed in \(c.path)" }
        let header = ["ID", "NAME", "PROTOCOLS", "FILENAME"]
        let rows = c.providers.map { p in
            [p.id.map(String.init) ?? "-", p.name,
             p.protocols.isEmpty ? "-" : p.protocols.map(protocolLabel).joined(separator: ","),
             p.hasSection ? p.filename : "(no [Provider-\(p.name)] section)"]
        }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    func jsonText(_ c: Catalog) -> String {
        let providers = c.providers.map { p -> String in
            let protocols = p.protocols.map { e in
                JSON.object([("description", JSON.string(e.description)), ("serviceFlags", "\(e.serviceFlags)"),
                             ("addressFamily", "\(e.addressFamily)"), ("socketType", "\(e.socketType)"),
                             ("protocol", "\(e.protocol)"), ("minSockAddr", "\(e.minSockAddr)"),
                             ("maxSockAddr", "\(e.maxSockAddr)"), ("messageSize", "\(e.messageSize)")], indent: 4)
            }
            let entries = p.entries.map { JSON.object([("key", JSON.string($0.key)), ("value", JSON.string($0.value))], indent: 4) }
            return JSON.object([
                ("index", "\(p.index)"), ("name", JSON.string(p.name)), ("id", p.id.map(String.init) ?? "null"),
                ("filename", JSON.string(p.filename)), ("description", JSON.string(p.description)),
                ("domain", "\(p.domain)"), ("addressLength", "\(p.addressLength)"),
                ("hasSection", p.hasSection ? "true" : "false"),
                ("protocols", JSON.array(protocols, indent: 3)), ("entries", JSON.array(entries, indent: 3)),
            ], indent: 2)
        }
        return JSON.object([("catalog", JSON.string(c.path)), ("providers", JSON.array(providers, indent: 1))], indent: 0)
    }
}

/// "tcp" / "udp" for the TCP/IP provider's protocols, else type:protocol
/// (e.g. "stream:2", "raw:255") with the address family if not AF_INET.
func protocolLabel(_ p: ProtocolEntry) -> String {
    // tcp, udp, unix-stream, unix-dgram: the names --protocols takes.
    if let known = KnownProtocols.names.first(where: {
        $0.1.addressFamily == p.addressFamily && $0.1.socketType == p.socketType && $0.1.protocol == p.protocol
    }) { return known.0 }
    let types = [WS_SOCK_STREAM: "stream", WS_SOCK_DGRAM: "dgram", WS_SOCK_RAW: "raw", WS_SOCK_RDM: "rdm",
                 WS_SOCK_SEQPACKET: "seqpacket"]
    let label = "\(types[p.socketType] ?? "type\(p.socketType)"):\(p.protocol)"
    return p.addressFamily == WS_AF_INET ? label : "af\(p.addressFamily)/" + label
}

/// Just enough JSON writing for `list --json` (no Foundation).
enum JSON {
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func object(_ members: [(String, String)], indent: Int) -> String {
        guard !members.isEmpty else { return "{}" }
        let pad = String(repeating: "  ", count: indent + 1)
        return "{\n" + members.map { pad + string($0.0) + ": " + $0.1 }.joined(separator: ",\n")
            + "\n" + String(repeating: "  ", count: indent) + "}"
    }

    static func array(_ items: [String], indent: Int) -> String {
        guard !items.isEmpty else { return "[]" }
        let pad = String(repeating: "  ", count: indent + 1)
        return "[\n" + items.map { pad + $0 }.joined(separator: ",\n") + "\n" + String(repeating: "  ", count: indent) + "]"
    }
}
