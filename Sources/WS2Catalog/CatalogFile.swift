// The catalog file: where it is, reading it, and updating it atomically
// under a lock that serialises threads and processes.
//
// An update holds `<catalog>.lock` (flock, released by the kernel when a
// process dies), reads the file, edits it, writes `<catalog>.tmp.<pid>` in
// the same directory, fsyncs it, renames it over the catalog and fsyncs the
// directory. A process killed at any point leaves the old file or the new
// one; readers take no lock because rename is atomic.
//
// The flock alone serialises threads too: each update opens the lock file
// anew, and flock locks belong to the open file description, so two opens
// in one process conflict like two processes. There is deliberately no
// in-process mutex: a fork() while another thread updates would leave the
// child a mutex locked for ever (its owner does not exist there).
import Glibc

/// The catalog file (RULINGS §12).
public struct CatalogFile: Sendable {
    /// The file when `$WINSOCK2_INI` is unset or empty.
    public static let defaultPath = "/etc/winsock2.ini"

    /// `$WINSOCK2_INI` when set and not empty, else ``defaultPath``.
    public static func resolvedPath() -> String {
        if let env = getenv("WINSOCK2_INI"), env.pointee != 0 { return String(cString: env) }
        return defaultPath
    }

    public let path: String

    /// The catalog at `path`; nil: ``resolvedPath()``, read now.
    public init(path: String? = nil) {
        self.path = path ?? CatalogFile.resolvedPath()
    }

    /// The providers as the file has them now; a missing file is an empty catalog.
    public func read() throws(CatalogError) -> Catalog {
        Catalog(path: path, providers: INIDocument(bytes: try readFile(path) ?? []).providerRecords())
    }

    /// Installs a provider and returns its record, with its new unique id.
    ///
    /// - Parameters:
    ///   - name: the provider key: 1 to 32 bytes, no control characters, `[`, `]`, `=` or `"`.
    ///   - path: ProviderFilename, what hosts pass to dlopen.
    ///   - protocols: at least one entry; ProviderDomain is the first one's family,
    ///     ProviderAddrLength the longest maxSockAddr.
    ///   - description: ProviderDescription; the name when nil.
    ///   - extraEntries: more entries for the section (e.g. ListenBacklogLimit).
    ///   - lockTimeout: how long to wait for another process's update; nil waits for ever.
    public func install(name: String, path: String, protocols: [ProtocolEntry], description: String? = nil,
                        extraEntries: [ProviderRecord.Entry] = [],
                        lockTimeout: Duration? = nil) throws(CatalogError) -> ProviderRecord {
        try Validate.name(name)
        try Validate.text(path, what: "the provider path", emptyOK: false)
        let description = description ?? name
        try Validate.text(description, what: "the description", emptyOK: true)
        guard !protocols.isEmpty else { throw .invalidArgument("a provider needs at least one protocol") }
        guard protocols.count <= Validate.maxProtocols else {
            throw .invalidArgument("more than \(Validate.maxProtocols) protocols")
        }
        for p in protocols { try Validate.text(p.description, what: "a protocol description", emptyOK: true) }
        for e in extraEntries { try Validate.entry(e) }
        return try update(lockTimeout: lockTimeout) { (doc) throws(CatalogError) in
            _ = try doc.install(name: name, path: path, description: description, protocols: protocols,
                                extraEntries: extraEntries)
            // The new ProviderKey has the highest index: it is the last provider.
            return doc.record(name: name, index: doc.providerKeys().count - 1)
        }
    }

    /// Removes the provider with this ProviderId; returns what was removed.
    public func remove(id: UInt32, lockTimeout: Duration? = nil) throws(CatalogError) -> ProviderRecord {
        try update(lockTimeout: lockTimeout) { (doc) throws(CatalogError) in
            guard let p = doc.providerRecords().first(where: { $0.id == id }) else { throw .unknownProvider("with id \(id)") }
            doc.remove(name: p.name)
            return p
        }
    }

    /// Removes the provider with this name (case-insensitive); returns what was removed.
    public func remove(name: String, lockTimeout: Duration? = nil) throws(CatalogError) -> ProviderRecord {
        try update(lockTimeout: lockTimeout) { (doc) throws(CatalogError) in
            guard let p = doc.providerRecords().first(where: { sameName($0.name, name) }) else {
                throw .unknownProvider("named '\(name)'")
            }
            doc.remove(name: p.name)
            return p
        }
    }

    // MARK: the update protocol

    /// Runs `edit` on the current file under the lock and replaces the file
    /// with the result (when `edit` returns).
    func update(lockTimeout: Duration?,
                _ edit: (inout INIDocument) throws(CatalogError) -> ProviderRecord) throws(CatalogError) -> ProviderRecord {
        let target = resolveLinks(path)
        let lock = try FileLock(path: target + ".lock", timeout: lockTimeout, catalog: path)
        defer { lock.release() }
        removeStaleTemporaries(of: target)
        let original = try readFileAndMode(target)
        // The rename would replace a file we may not write (the directory
        // is what rename checks): refuse as writing in place would.
        if original != nil, faccessat(AT_FDCWD, target, W_OK, AT_EACCESS) != 0 {
            throw .io(path: target, operation: "write", errno: errno)
        }
        var doc = INIDocument(bytes: original?.bytes ?? [])
        let value = try edit(&doc)
        try writeAtomically(target, doc.bytes, like: original?.info)
        return value
    }
}

/// Checks of what an install writes: nothing may break the file's syntax.
enum Validate {
    static let maxNameBytes = 32
    static let maxProtocols = 1024

    static func name(_ name: String) throws(CatalogError) {
        guard !name.isEmpty else { throw .invalidArgument("the provider name is empty") }
        guard name.utf8.count <= maxNameBytes else {
            throw .invalidArgument("the provider name '\(name)' is longer than \(maxNameBytes) characters")
        }
        for c in name.utf8 where c < 0x20 || c == 0x7F || c == UInt8(ascii: "[") || c == UInt8(ascii: "]")
            || c == UInt8(ascii: "=") || c == UInt8(ascii: "\"") {
            throw .invalidArgument("the provider name '\(name)' contains a control character, '[', ']', '=' or '\"'")
        }
        if name.utf8.first == 0x20 || name.utf8.last == 0x20 {
            throw .invalidArgument("the provider name '\(name)' begins or ends with a space")
        }
    }

    static func text(_ s: String, what: String, emptyOK: Bool) throws(CatalogError) {
        guard emptyOK || !s.isEmpty else { throw .invalidArgument("\(what) is empty") }
        guard !s.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else {
            throw .invalidArgument("\(what) contains a line break")
        }
    }

    static func entry(_ e: ProviderRecord.Entry) throws(CatalogError) {
        let k = e.key.utf8
        guard let first = k.first, let last = k.last, first != 0x20, last != 0x20, first != 0x09, last != 0x09,
              first != UInt8(ascii: ";"), first != UInt8(ascii: "#"), first != UInt8(ascii: "["),
              !k.contains(UInt8(ascii: "=")) else {
            throw .invalidArgument("'\(e.key)' is not a valid entry name")
        }
        try text(e.key, what: "the entry name '\(e.key)'", emptyOK: false)
        try text(e.value, what: "the value of \(e.key)", emptyOK: true)
        if Key.isStandard(e.key) { throw .invalidArgument("\(e.key) is written by the install itself") }
    }
}

// MARK: files

/// The file's bytes, or nil when it does not exist.
func readFile(_ path: String) throws(CatalogError) -> [UInt8]? {
    try readFileAndMode(path)?.bytes
}

func readFileAndMode(_ path: String) throws(CatalogError) -> (bytes: [UInt8], info: stat)? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
        if errno == ENOENT { return nil }
        throw .io(path: path, operation: "open", errno: errno)
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw .io(path: path, operation: "stat", errno: errno) }
    guard st.st_mode & S_IFMT != S_IFDIR else { throw .io(path: path, operation: "read", errno: EISDIR) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw .io(path: path, operation: "read", errno: errno)
        }
        if n == 0 { break }
        bytes += chunk[..<n]
    }
    return (bytes, st)
}

/// Writes `bytes` to a temporary file beside `path`, fsyncs it and renames
/// it over `path`; `like` gives the mode and owner to keep.
func writeAtomically(_ path: String, _ bytes: [UInt8], like original: stat?) throws(CatalogError) {
    let temp = temporaryName(of: path)
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .io(path: temp, operation: "create", errno: errno) }
    var ok = false
    defer { if !ok { unlink(temp) } }
    do {
        defer { close(fd) }
        if let original {
            _ = fchmod(fd, original.st_mode & 0o7777)
            _ = fchown(fd, original.st_uid, original.st_gid)   // only root may; the mode is what matters
        }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: temp, operation: "write", errno: errno)
            }
            done += n
        }
        guard fsync(fd) == 0 else { throw .io(path: temp, operation: "sync", errno: errno) }
    }
    guard rename(temp, path) == 0 else { throw .io(path: path, operation: "replace", errno: errno) }
    ok = true
    // The rename itself reaches the disk with the directory.
    let dir = open(directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dir >= 0 { _ = fsync(dir); close(dir) }
}

/// `<catalog>.tmp.<pid>`: one writer at a time holds the lock, so the pid
/// keeps two processes apart and anything else with the prefix is stale.
func temporaryName(of path: String) -> String { "\(path).tmp.\(getpid())" }

/// Removes temporary files of processes killed mid-update (called under the lock).
func removeStaleTemporaries(of path: String) {
    let dirPath = directory(of: path)
    let prefix = Array((baseName(of: path) + ".tmp.").utf8)
    guard let dir = opendir(dirPath) else { return }
    defer { closedir(dir) }
    var stale: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name.utf8.starts(with: prefix) { stale.append(name) }
    }
    for name in stale { unlink(dirPath + "/" + name) }
}

func directory(of path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
    if slash == path.utf8.startIndex { return "/" }
    return String(path[..<slash])
}

func baseName(of path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
    return String(path[path.utf8.index(after: slash)...])
}

/// The file a path finally names when it is a symlink (the rename must
/// replace the target, not the link).
func resolveLinks(_ path: String) -> String {
    var current = path
    for _ in 0..<40 {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(current, &buffer, buffer.count - 1)
        guard n > 0 else { return current }
        let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        current = target.hasPrefix("/") ? target : directory(of: current) + "/" + target
    }
    return current
}

/// An exclusive flock on the lock file, waited for up to a timeout.
struct FileLock {
    let fd: Int32

    init(path: String, timeout: Duration?, catalog: String) throws(CatalogError) {
        let deadline = timeout.map { monotonicNanoseconds() + nanoseconds($0) }
        while true {
            let fd = try FileLock.acquire(path: path, deadline: deadline, catalog: catalog)
            // The lock file was unlinked while we waited (by a holder that
            // cleaned it up): a lock on that inode serialises nothing any
            // more, so lock the file the path names now.
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_dev == named.st_dev, held.st_ino == named.st_ino {
                self.fd = fd
                return
            }
            close(fd)
        }
    }

    /// An open descriptor of the lock file with the exclusive flock taken,
    /// waiting until `deadline` (nil: for ever).
    private static func acquire(path: String, deadline: Int64?, catalog: String) throws(CatalogError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "open the lock file", errno: errno) }
        guard let deadline else {
            while flock(fd, LOCK_EX) != 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                throw .io(path: path, operation: "lock", errno: e)
            }
            return fd
        }
        var pause: Int64 = 1_000_000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            guard e == EWOULDBLOCK || e == EINTR else { close(fd); throw .io(path: path, operation: "lock", errno: e) }
            let left = deadline - monotonicNanoseconds()
            guard left > 0 else { close(fd); throw .locked(path: catalog) }
            var ts = timespec(tv_sec: 0, tv_nsec: Int(min(pause, left)))
            nanosleep(&ts, nil)
            pause = min(pause * 2, 50_000_000)
        }
        return fd
    }

    /// Unlocks before closing: a child forked during the update shares the
    /// open file description, and closing only our descriptor would leave
    /// the lock held for as long as that child lives.
    func release() {
        _ = flock(fd, LOCK_UN)
        close(fd)
    }
}

func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

func nanoseconds(_ d: Duration) -> Int64 {
    let (s, atto) = d.components
    return min(max(0, s), 1_000_000_000) * 1_000_000_000 + max(0, atto) / 1_000_000_000
}
