// The WINSOCK2.INI layout of the draft's §2.1.2 over an INIDocument:
// reading the providers, and the edits of an install and a removal.

/// Entry names of the layout, spelled as in the draft.
enum Key {
    static let providers = "Providers"
    static let numProviders = "NumProviders"
    static let providerKey = "ProviderKey"
    static let sectionPrefix = "Provider-"
    static let filename = "ProviderFilename"
    static let description = "ProviderDescription"
    static let domain = "ProviderDomain"
    static let addrLength = "ProviderAddrLength"
    static let numSockets = "NumSockets"
    static let socketType = "SocketType"
    static let addressFamily = "AddressFamily"
    static let `protocol` = "Protocol"
    static let minLength = "MinimumAddressLength"
    static let maxLength = "MaximumAddressLength"
    static let attributes = "ProtocolAttributes"
    static let socketDescription = "ProtocolSocketDescription"
    /// The draft's example spells one description this way.
    static let oldSocketDescription = "SocketDescription"
    /// Private entries: dwMessageSize has no entry in §2.1.2.2, and the id.
    static let messageSize = "MessageSize"
    static let providerId = "ProviderId"

    /// Entries an install writes itself; extra entries may not use them.
    static func isStandard(_ key: String) -> Bool {
        let fixed = [filename, description, domain, addrLength, numSockets, providerId]
        if fixed.contains(where: { sameName($0, key) }) { return true }
        let indexed = [socketType, addressFamily, `protocol`, minLength, maxLength, attributes,
                       socketDescription, messageSize]
        return indexed.contains { indexSuffix(key, prefix: $0) != nil }
    }
}

/// The number after `prefix` in `key` ("ProviderKey12" -> 12), or nil.
func indexSuffix(_ key: String, prefix: String) -> Int? {
    let k = Array(key.utf8), p = Array(prefix.utf8)
    guard k.count > p.count, k.count - p.count <= 9, zip(k, p).allSatisfy({ lower($0) == lower($1) }) else { return nil }
    var n = 0
    for c in k[p.count...] {
        guard c >= 0x30 && c <= 0x39 else { return nil }
        n = n * 10 + Int(c - 0x30)
    }
    return n
}

/// A number as the profile functions read one: decimal, or hex after 0x;
/// negative decimals too. Values past 32 bits keep their low 32 bits.
func parseNumber(_ bytes: [UInt8]) -> UInt32? {
    var s = bytes[...]
    var negative = false
    if s.first == UInt8(ascii: "-") { negative = true; s = s.dropFirst() }
    var radix: UInt64 = 10
    if s.count > 2, s.first == UInt8(ascii: "0"), lower(s[s.startIndex + 1]) == UInt8(ascii: "x") {
        radix = 16; s = s.dropFirst(2)
    }
    guard !s.isEmpty, s.count <= 20 else { return nil }
    var n: UInt64 = 0
    for c in s {
        let d: UInt64
        switch lower(c) {
        case 0x30...0x39: d = UInt64(c - 0x30)
        case 0x61...0x66 where radix == 16: d = UInt64(lower(c) - 0x61 + 10)
        default: return nil
        }
        n = n &* radix &+ d
    }
    let v = UInt32(truncatingIfNeeded: n)
    return negative ? 0 &- v : v
}

extension INIDocument {
    /// The `ProviderKey<i>` lines of [Providers], sorted by i (file order
    /// among equal i): the providers in catalog order.
    func providerKeys() -> [(line: Int, index: Int, name: String)] {
        guard let range = section(named: Key.providers) else { return [] }
        return entries(in: range)
            .compactMap { e in indexSuffix(e.key, prefix: Key.providerKey).map { (e.line, $0, String(decoding: e.value, as: UTF8.self)) } }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    /// The providers of the file, in catalog order.
    func providerRecords() -> [ProviderRecord] {
        providerKeys().enumerated().map { (order, key) in record(name: key.name, index: order) }
    }

    func record(name: String, index: Int) -> ProviderRecord {
        guard let range = section(named: Key.sectionPrefix + name) else {
            return ProviderRecord(name: name, index: index, id: nil, filename: "", description: "", domain: 0,
                                  addressLength: 0, protocols: [], hasSection: false, entries: [])
        }
        func text(_ key: String) -> String? { value(key, in: range).map { String(decoding: $0, as: UTF8.self) } }
        func number(_ key: String) -> UInt32? { value(key, in: range).flatMap(parseNumber) }
        func int(_ key: String) -> Int32? { number(key).map { Int32(bitPattern: $0) } }
        let domain = int(Key.domain) ?? 0
        let addrLength = int(Key.addrLength) ?? 0
        // NumSockets is capped: a garbage count must not allocate gigabytes.
        let count = Int(min(number(Key.numSockets) ?? 0, 4096))
        let protocols = (0..<count).map { i in
            ProtocolEntry(
                serviceFlags: number("\(Key.attributes)\(i)") ?? 0,
                addressFamily: int("\(Key.addressFamily)\(i)") ?? domain,
                maxSockAddr: int("\(Key.maxLength)\(i)") ?? addrLength,
                minSockAddr: int("\(Key.minLength)\(i)") ?? addrLength,
                socketType: int("\(Key.socketType)\(i)") ?? 0,
                protocol: int("\(Key.protocol)\(i)") ?? 0,
                messageSize: number("\(Key.messageSize)\(i)") ?? 0,
                description: text("\(Key.socketDescription)\(i)") ?? text("\(Key.oldSocketDescription)\(i)") ?? "")
        }
        return ProviderRecord(
            name: name, index: index, id: number(Key.providerId), filename: text(Key.filename) ?? "",
            description: text(Key.description) ?? "", domain: domain, addressLength: addrLength,
            protocols: protocols, hasSection: true,
            entries: entries(in: range).map { .init(key: $0.key, value: String(decoding: $0.value, as: UTF8.self)) })
    }

    /// Every ProviderId of every [Provider-*] section, listed or not.
    func usedIds() -> [UInt32] {
        sections.filter { $0.name.utf8.count > Key.sectionPrefix.utf8.count && sameName(String($0.name.prefix(Key.sectionPrefix.count)), Key.sectionPrefix) }
            .compactMap { value(Key.providerId, in: $0.range).flatMap(parseNumber) }
    }

    // MARK: edits

    /// Adds a provider: its ProviderKey line, NumProviders, and its section.
    /// Returns the new id.
    mutating func install(name: String, path: String, description: String, protocols: [ProtocolEntry],
                          extraEntries: [ProviderRecord.Entry]) throws(CatalogError) -> UInt32 {
        let keys = providerKeys()
        if keys.contains(where: { sameName($0.name, name) }) || section(named: Key.sectionPrefix + name) != nil {
            throw .duplicateName(name)
        }
        let used = usedIds()
        let (id, overflow) = (used.max() ?? 0).addingReportingOverflow(1)
        guard !overflow else { throw .invalidArgument("no provider id left") }

        // [Providers]: renumber what is there, add ProviderKey<n>, set NumProviders.
        if section(named: Key.providers) == nil {
            appendSection(Key.providers, [.entry(Key.numProviders, "0", quoted: false, crlf: crlf)])
        }
        renumberProviderKeys()
        let range = section(named: Key.providers)!
        let last = providerKeys().map(\.line).max() ?? entries(in: range).first { sameName($0.key, Key.numProviders) }?.line
        let at = last.map { $0 + 1 } ?? insertionPoint(in: range)
        lines.insert(.entry("\(Key.providerKey)\(keys.count)", name, quoted: true, crlf: crlf), at: at)
        setNumProviders(keys.count + 1)

        // [Provider-<name>]: every entry of §2.1.2.2, then the private ones.
        var body: [INILine] = []
        func add(_ k: String, _ v: String, quoted: Bool = false) { body.append(.entry(k, v, quoted: quoted, crlf: crlf)) }
        add(Key.filename, path, quoted: true)
        add(Key.description, description, quoted: true)
        add(Key.domain, "\(protocols[0].addressFamily)")
        add(Key.addrLength, "\(protocols.map(\.maxSockAddr).max()!)")
        add(Key.numSockets, "\(protocols.count)")
        for (i, p) in protocols.enumerated() {
            add("\(Key.socketType)\(i)", "\(p.socketType)")
            add("\(Key.addressFamily)\(i)", "\(p.addressFamily)")
            add("\(Key.protocol)\(i)", "\(p.protocol)")
            add("\(Key.minLength)\(i)", "\(p.minSockAddr)")
            add("\(Key.maxLength)\(i)", "\(p.maxSockAddr)")
            add("\(Key.attributes)\(i)", hex8(p.serviceFlags))
            add("\(Key.socketDescription)\(i)", p.description, quoted: true)
            add("\(Key.messageSize)\(i)", "\(p.messageSize)")
        }
        add(Key.providerId, "\(id)")
        for e in extraEntries { add(e.key, e.value, quoted: parseNumber(Array(e.value.utf8)) == nil) }
        appendSection(Key.sectionPrefix + name, body)
        return id
    }

    /// Removes a provider's ProviderKey line and section, renumbers the
    /// others and sets NumProviders.
    mutating func remove(name: String) {
        for key in providerKeys().reversed() where sameName(key.name, name) { lines.remove(at: key.line) }
        while let range = section(named: Key.sectionPrefix + name) { removeSection(range) }
        renumberProviderKeys()
        setNumProviders(providerKeys().count)
    }

    /// ProviderKey<i> becomes ProviderKey0...n-1 in catalog order; a line
    /// whose number is already right is not touched.
    mutating func renumberProviderKeys() {
        for (i, key) in providerKeys().enumerated() where key.index != i {
            let spelled = lines[key.line].name
            let prefix = String(spelled.utf8.prefix(Key.providerKey.utf8.count))!
            lines[key.line] = lines[key.line].renamingKey("\(prefix)\(i)")
        }
    }

    mutating func setNumProviders(_ n: Int) {
        guard let range = section(named: Key.providers) else { return }
        if let e = entries(in: range).first(where: { sameName($0.key, Key.numProviders) }) {
            if parseNumber(e.value) != UInt32(n) { lines[e.line] = lines[e.line].replacingValue("\(n)") }
        } else {
            lines.insert(.entry(Key.numProviders, "\(n)", quoted: false, crlf: crlf), at: range.lowerBound + 1)
        }
    }
}

/// 0x00001066: attributes as the draft writes them.
func hex8(_ v: UInt32) -> String {
    let digits = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
