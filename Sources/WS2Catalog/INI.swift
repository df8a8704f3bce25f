// An INI document kept byte for byte: lines the catalog does not change are
// written back exactly as read (other software's sections, comments, blank
// lines, "Key = Value" spacing, quoting, CRLF, bytes that are not UTF-8), so
// a rewrite never loses anything it did not mean to change.

/// One line of an INI file.
struct INILine: Sendable {
    enum Kind: Sendable, Equatable { case blank, comment, header, entry, other }

    /// The line without its "\n" (a "\r" before it stays here).
    var raw: [UInt8]
    var kind: Kind
    /// header: the section name; entry: the key. Trimmed, as written.
    var name: String
    /// entry: the value, trimmed, without one pair of enclosing quotes.
    var value: [UInt8]

    init(raw: [UInt8], first: Bool = false) {
        self.raw = raw
        var content = raw[...]
        if first, content.starts(with: INILine.bom) { content = content.dropFirst(3) }
        if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
        let text = INILine.trim(content)
        kind = .other; name = ""; value = []
        guard let c = text.first else { kind = .blank; return }
        if c == UInt8(ascii: ";") || c == UInt8(ascii: "#") { kind = .comment; return }
        if c == UInt8(ascii: "[") {
            guard let close = text.firstIndex(of: UInt8(ascii: "]")) else { return }
            kind = .header
            name = String(decoding: INILine.trim(text[text.index(after: text.startIndex)..<close]), as: UTF8.self)
            return
        }
        guard let eq = text.firstIndex(of: UInt8(ascii: "=")) else { return }
        let key = INILine.trim(text[..<eq])
        guard !key.isEmpty else { return }
        kind = .entry
        name = String(decoding: key, as: UTF8.self)
        value = Array(INILine.unquote(INILine.trim(text[text.index(after: eq)...])))
    }

    /// A new `Key=Value` line in the draft's style: strings quoted, numbers bare.
    static func entry(_ key: String, _ value: String, quoted: Bool, crlf: Bool) -> INILine {
        var raw = Array(key.utf8) + [UInt8(ascii: "=")]
        raw += quoted ? [UInt8(ascii: "\"")] + Array(value.utf8) + [UInt8(ascii: "\"")] : Array(value.utf8)
        if crlf { raw.append(UInt8(ascii: "\r")) }
        return INILine(raw: raw)
    }

    static func text(_ s: String, crlf: Bool) -> INILine {
        INILine(raw: Array(s.utf8) + (crlf ? [UInt8(ascii: "\r")] : []))
    }

    var valueString: String { String(decoding: value, as: UTF8.self) }

    /// The line with a new value, keeping the key's spelling, the spacing
    /// around "=", the quoting style of the old value and a trailing "\r".
    func replacingValue(_ newValue: String) -> INILine {
        guard kind == .entry, let eq = raw.firstIndex(of: UInt8(ascii: "=")) else { return self }
        var head = Array(raw[...eq])
        var i = raw.index(after: eq)
        while i < raw.endIndex, raw[i] == 0x20 || raw[i] == 0x09 { head.append(raw[i]); i += 1 }
        let rest = raw[i...]
        let cr = rest.last == UInt8(ascii: "\r")
        let oldValue = INILine.trim(cr ? rest.dropLast() : rest)
        var quote: UInt8? = nil
        if oldValue.count >= 2, let f = oldValue.first, f == oldValue.last, f == 0x22 || f == 0x27 { quote = f }
        var out = head
        if let quote { out.append(quote) }
        out += Array(newValue.utf8)
        if let quote { out.append(quote) }
        if cr { out.append(UInt8(ascii: "\r")) }
        return INILine(raw: out)
    }

    /// The line with its key renamed, keeping everything else.
    func renamingKey(_ newKey: String) -> INILine {
        guard kind == .entry, let eq = raw.firstIndex(of: UInt8(ascii: "=")) else { return self }
        var start = raw.startIndex
        while start < eq, raw[start] == 0x20 || raw[start] == 0x09 { start += 1 }
        var end = eq
        while end > start, raw[end - 1] == 0x20 || raw[end - 1] == 0x09 { end -= 1 }
        return INILine(raw: Array(raw[..<start]) + Array(newKey.utf8) + Array(raw[end...]))
    }

    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while let c = s.first, c == 0x20 || c == 0x09 { s = s.dropFirst() }
        while let c = s.last, c == 0x20 || c == 0x09 { s = s.dropLast() }
        return s
    }

    /// Without one pair of enclosing double or single quotes (as Windows'
    /// profile functions read them); quotes inside are part of the value.
    static func unquote(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if s.count >= 2, let f = s.first, f == s.last, f == 0x22 || f == 0x27 { return s.dropFirst().dropLast() }
        return s
    }
}

/// ASCII case-insensitive equality: INI section and key names.
func sameName(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    for (p, q) in zip(x, y) where lower(p) != lower(q) { return false }
    return true
}

@inline(__always) func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }

/// A whole INI file as lines.
struct INIDocument: Sendable {
    var lines: [INILine]
    /// Whether the last line ended with "\n".
    var finalNewline: Bool
    /// New lines end in "\r\n" when the file's first line did.
    var crlf: Bool

    init(bytes: [UInt8]) {
        var lines: [INILine] = []
        var start = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
            lines.append(INILine(raw: Array(bytes[start..<i]), first: lines.isEmpty))
            start = i + 1
        }
        finalNewline = start == bytes.count && !bytes.isEmpty
        if start < bytes.count { lines.append(INILine(raw: Array(bytes[start...]), first: lines.isEmpty)) }
        self.lines = lines
        crlf = lines.first?.raw.last == UInt8(ascii: "\r")
    }

    init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + $1.raw.count + 1 })
        for (i, line) in lines.enumerated() {
            out += line.raw
            if i < lines.count - 1 || finalNewline { out.append(UInt8(ascii: "\n")) }
        }
        return out
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Every section as the range of its lines: the header, then its body up
    /// to the next header.
    var sections: [(name: String, range: Range<Int>)] {
        var result: [(name: String, range: Range<Int>)] = []
        for (i, line) in lines.enumerated() where line.kind == .header {
            if let last = result.popLast() { result.append((last.name, last.range.lowerBound..<i)) }
            result.append((line.name, i..<i + 1))
        }
        if let last = result.popLast() { result.append((last.name, last.range.lowerBound..<lines.count)) }
        return result
    }

    /// The first section with this name (case-insensitive), as Windows reads it.
    func section(named name: String) -> Range<Int>? {
        sections.first { sameName($0.name, name) }?.range
    }

    /// The entries of a section, in file order.
    func entries(in range: Range<Int>) -> [(line: Int, key: String, value: [UInt8])] {
        range.compactMap { i in lines[i].kind == .entry ? (i, lines[i].name, lines[i].value) : nil }
    }

    /// The first entry `key` of a section.
    func value(_ key: String, in range: Range<Int>) -> [UInt8]? {
        for i in range where lines[i].kind == .entry && sameName(lines[i].name, key) { return lines[i].value }
        return nil
    }

    /// The index after the section's last entry: where a new entry goes,
    /// before the blank lines and comments that lead to the next section.
    func insertionPoint(in range: Range<Int>) -> Int {
        var i = range.upperBound
        while i > range.lowerBound + 1, lines[i - 1].kind != .entry, lines[i - 1].kind != .header { i -= 1 }
        return i
    }

    /// Appends a section at the end of the file, after one blank line.
    mutating func appendSection(_ header: String, _ body: [INILine]) {
        if let last = lines.last, last.kind != .blank { lines.append(.text("", crlf: crlf)) }
        lines.append(.text("[\(header)]", crlf: crlf))
        lines += body
        finalNewline = true
    }

    /// Removes a section. Comment lines after its last entry stay: they
    /// usually introduce the next section and may not be this one's.
    mutating func removeSection(_ range: Range<Int>) {
        let atEnd = range.upperBound == lines.count
        let lastContent = range.last { lines[$0].kind != .blank && lines[$0].kind != .comment } ?? range.lowerBound
        let tail = lastContent + 1..<range.upperBound
        var replacement = tail.filter { lines[$0].kind == .comment }.map { lines[$0] }
        // Keep the blank line that separated this section from the next.
        if !atEnd || !replacement.isEmpty, tail.contains(where: { lines[$0].kind == .blank }),
           range.lowerBound > 0, lines[range.lowerBound - 1].kind != .blank {
            replacement.insert(.text("", crlf: crlf), at: 0)
        }
        lines.replaceSubrange(range, with: replacement)
        // The last section of the file takes the blank lines before it along.
        if atEnd && replacement.isEmpty {
            while let last = lines.last, last.kind == .blank { lines.removeLast() }
        }
    }
}
