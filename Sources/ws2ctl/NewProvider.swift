// ws2ctl new-provider NAME DIR: writes a SwiftPM package of a provider built
// with ProviderKit, ready to build with ws2spi-build-provider, install with
// ws2ctl install and pass ws2ctl probe as it stands.
import ArgumentParser
import Glibc

struct NewProvider: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-provider",
        abstract: "Write a new provider package (Swift, ProviderKit) to start from.",
        discussion: """
            DIR gets Package.swift (a .dynamic library product NAME depending on ProviderKit), \
            Sources/NAME/Provider.swift (start-up, clean-up, sockets of one family; every other \
            SPI call answers WSAEOPNOTSUPP through ProviderKit's defaults until you write it) and \
            a README with the commands: ws2spi-build-provider --product NAME, ws2ctl install \
            NAME build/libNAME.so.2 --protocol af=FAMILY,type=dgram, ws2ctl probe NAME. \
            DIR must not exist or must be empty.
            """)

    @Argument(help: "The provider's name: a letter, then letters, digits or _ (the product and module name).")
    var name: String

    @Argument(help: ArgumentHelp("The directory to write.", valueName: "dir"))
    var dir: String

    @Option(name: .long, help: ArgumentHelp(
        "The ws2spi package the provider depends on (default: $WS2SPI_SOURCE).", valueName: "PATH"))
    var ws2spi: String?

    @Option(name: .long, help: ArgumentHelp("The address family the provider serves.", valueName: "N"))
    var family: Int32 = 0x7E58

    func validate() throws {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }),
              name.count <= 32 else {
            throw ValidationError("'\(name)' is not a provider name: a letter, then letters, digits or _ (at most 32)")
        }
        guard family > 0, family < 0xFFFF else { throw ValidationError("--family must be 1...65534") }
    }

    func run() throws {
        try reportingFailures {
            guard let source = ws2spi ?? getenv("WS2SPI_SOURCE").map({ String(cString: $0) }), !source.isEmpty else {
                throw Failure("say where the ws2spi package is: --ws2spi PATH (or $WS2SPI_SOURCE)", status: NewProvider.usage)
            }
            let package = absolutePath(source)
            guard access(package + "/Package.swift", R_OK) == 0 else {
                throw Failure("\(package) is not the ws2spi package (no Package.swift)", status: NewProvider.usage)
            }
            let root = absolutePath(dir)
            if let d = opendir(root) {
                var entries = 0
                while let e = readdir(d) {
                    let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if n != "." && n != ".." { entries += 1 }
                }
                closedir(d)
                guard entries == 0 else { throw Failure("\(root) exists and is not empty", status: Failure.refused) }
            }
            let files: [(String, String)] = [
                ("Package.swift", Template.package(name: name, ws2spi: package)),
                ("Sources/\(name)/Provider.swift", Template.provider(name: name, family: family)),
                ("README.md", Template.readme(name: name, family: family)),
                (".gitignore", ".build/\nbuild/\nPackage.resolved\n"),
            ]
            for (path, text) in files { try write(text, to: root + "/" + path) }
            say("wrote \(root): a provider '\(name)' of family \(family); next: cd \(dir) && ws2spi-build-provider --product \(name)")
        }
    }

    static let usage: Int32 = 64

    private func write(_ text: String, to path: String) throws {
        var dir = ""
        for part in path.split(separator: "/").dropLast() {
            dir += "/" + part
            if mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw Failure("cannot create \(dir): \(String(cString: strerror(errno)))", status: Failure.catalogIO)
            }
        }
        guard let f = fopen(path, "wx") else {
            throw Failure("cannot write \(path): \(String(cString: strerror(errno)))", status: Failure.catalogIO)
        }
        defer { fclose(f) }
        guard fputs(text, f) >= 0 else { throw Failure("cannot write \(path)", status: Failure.catalogIO) }
    }
}

/// The files of a new provider package.
enum Template {
    static func package(name: String, ws2spi: String) -> String {
        // A path dependency's identity is its directory's name.
        let identity = ws2spi.split(separator: "/").last.map(String.init) ?? "ws2spi"
        return """
        // swift-tools-version:6.0
        // \(name): a Winsock 2 service provider written with ProviderKit.
        // Build: ws2spi-build-provider --product \(name)   (-> build/lib\(name).so.2)
        import PackageDescription

        let package = Package(
            name: "\(name)",
            products: [.library(name: "\(name)", type: .dynamic, targets: ["\(name)"])],
            dependencies: [.package(path: "\(ws2spi)")],
            targets: [
                .target(name: "\(name)", dependencies: [.product(name: "ProviderKit", package: "\(identity)")]),
            ]
        )

        """
    }

    static func provider(name: String, family: Int32) -> String {
        """
        // \(name): a Winsock 2 service provider written with ProviderKit
        // (see its DocC article "Writing a provider"). It starts, cleans up,
        // and makes and closes datagram sockets of family \(family); every
        // other SPI call answers WSAEOPNOTSUPP (WSANOTINITIALISED before
        // start-up) through ProviderKit's defaults until you implement it.
        import Synchronization
        import ProviderKit

        final class \(name)Socket: Sendable {
            let type: Int32
            init(type: Int32) { self.type = type }
        }

        public final class \(name)Provider: ServiceProvider, @unchecked Sendable {
            public static let shared = \(name)Provider()
            public static let family: Int32 = \(family)
            let startups = Atomic<Int>(0)
            /// SOCKET values from the range the Winsock DLL reserved for this library.
            let sockets = HandleTable<\(name)Socket>(capacity: 1024, space: ProviderSockets.space)

            public var isStarted: Bool { startups.load(ordering: .relaxed) > 0 }

            public func startup(version: WORD, data: LPWSADATA?) -> Int32 {
                if case .failure = ProviderSockets.reservation { return WSAError.systemNotReady.code }
                let major = version & 0xFF, minor = version >> 8
                if major < 1 || (major == 1 && minor < 1) { return WSAError.versionNotSupported.code }
                guard let data else { return WSAError.fault.code }
                data.pointee.wVersion = major >= 2 ? ws2spi_makeword(2, 0) : version
                data.pointee.wHighVersion = ws2spi_makeword(2, 0)
                data.pointee.iMaxSockets = 1024
                data.pointee.iMaxUdpDg = 0
                withUnsafeMutableBytes(of: &data.pointee.szDescription) { b in
                    let text = Array("\(name) service provider".utf8.prefix(b.count - 1))
                    b.copyBytes(from: text)
                    b[text.count] = 0
                }
                startups.add(1, ordering: .sequentiallyConsistent)
                return 0
            }

            public func cleanup(callback: LPCLEANUPPROC?, callbackData: DWORD) throws(WSAError) {
                guard startups.load(ordering: .sequentiallyConsistent) > 0 else { throw .notInitialised }
                if startups.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { _ = sockets.removeAll() }
                if let callback { HostCalls.queueCleanupCallback(callback, data: callbackData) }
            }

            public func socket(family: Int32, type: Int32, protocol: Int32, providerID: DWORD, flags: Int32) throws(WSAError) -> SOCKET {
                guard isStarted else { throw .notInitialised }
                guard family == Self.family else { throw .addressFamilyNotSupported }
                guard type == WS_SOCK_DGRAM else { throw .socketTypeNotSupported }
                guard `protocol` == 0 else { throw .protocolNotSupported }
                guard let s = sockets.insert(\(name)Socket(type: type)) else { throw .tooManyFiles }
                return s
            }

            public func closeSocket(_ s: SOCKET) throws(WSAError) {
                guard isStarted else { throw .notInitialised }
                guard sockets.remove(s) != nil else { throw .notSocket }
            }

            public func checkSocket(_ s: SOCKET) throws(WSAError) {
                guard isStarted else { throw .notInitialised }
                guard sockets.lookup(s) != nil else { throw .notSocket }
            }
        }

        /// The registration the export thunks look for (ws2spi-build-provider checks it).
        @_cdecl("ws2spi_provider_instance")
        public func ws2spi_provider_instance() -> UnsafeMutableRawPointer {
            Unmanaged.passUnretained(\(name)Provider.shared as AnyObject).toOpaque()
        }

        """
    }

    static func readme(name: String, family: Int32) -> String {
        """
        # \(name)

        A Winsock 2 service provider written in Swift with ProviderKit.

        ```sh
        ws2spi-build-provider --product \(name)                # -> build/lib\(name).so.2
        ws2ctl install \(name) $PWD/build/lib\(name).so.2 --protocol af=\(family),type=dgram
        ws2ctl probe \(name)
        ```

        `Sources/\(name)/Provider.swift` is the provider. ProviderKit's DocC
        article "Writing a provider" says what each part is for.

        """
    }
}
