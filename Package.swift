// swift-tools-version:6.0
// ws2spi: the Winsock 2 Service Provider Interface on Linux.
//
// Two kinds of library, as in the draft's Figure 1 (RULINGS §13): the Winsock
// DLL part, libws2_32.so.2 (product ws2_32: host services, upcalls, catalog,
// host API; one per process), and providers that export the 27 WSP* entry
// points only and call the DLL through its C functions (product ws2spi:
// libws2spi.so.2, the TCP/IP provider). The two share no Swift code at run
// time: each links its own copy of the layers below.
//
// Layers, bottom to top:
//   CWS2SPI        C shim: imports include/ws2spi.h (USE_WS_PREFIX) into Swift,
//                  inline helpers for the header's function-like macros.
//   WSACodes       the Winsock error codes: one table, shared by both sides.
//   WS2Base        what both libraries need: WSAError, the syscall layer with
//                  its fault switch, the handle table, where errors go.
//   WS2Host        libws2_32.so.2: the Winsock DLL part and its C exports.
//   ProviderKit    what every provider needs: the ServiceProvider protocol,
//                  the event engine, the WSP* export thunks, the host calls,
//                  and KernelSocketProvider, the SPI over Linux sockets of
//                  any family (KernelSockets/).
//   TCPIPProvider  the TCP/IP provider: KernelSocketProvider for AF_INET.
//   UnixProvider   libws2unix.so.2, the AF_UNIX provider (ProviderKit only).
//   SPIExports     the .so: installs the TCP/IP provider behind the exports.
//   WS2SPI         the Swift module for Swift programs: loads a provider .so
//                  with dlopen and calls its entry points (closures as C
//                  callbacks through libffi: CFFI).
import PackageDescription

let package = Package(
    name: "ws2spi",
    products: [
        // libws2_32.so, the Winsock DLL part; `make` links it with the Swift
        // runtime static, scripts/ws2_32.map and the soname libws2_32.so.2.
        .library(name: "ws2_32", type: .dynamic, targets: ["WS2Host"]),
        // libws2spi.so, the TCP/IP provider; `make` links it like ws2_32,
        // with scripts/ws2spi.map, against libws2_32.so.2.
        .library(name: "ws2spi", type: .dynamic, targets: ["SPIExports"]),
        .library(name: "ProviderKit", targets: ["ProviderKit"]),
        // libws2unix.so, the AF_UNIX provider: built from the ProviderKit
        // product alone by the shipped recipe (scripts/ws2spi-build-provider).
        .library(name: "ws2unix", type: .dynamic, targets: ["UnixProvider"]),
        // A second provider for the tests (Tests/providers/MemDgram): memory
        // datagrams; `make test-provider` links it like libws2spi.so.2.
        .library(name: "ws2memtest", type: .dynamic, targets: ["MemDgramProvider"]),
        // The Swift module for Swift programs: loads a provider .so at run time.
        .library(name: "WS2SPI", targets: ["WS2SPI"]),
        // The catalog tool; `make` builds it with the Swift runtime static.
        .executable(name: "ws2ctl", targets: ["ws2ctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target WS2SPI` (DocC).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // WS2SPI_TRACE / SO_DEBUG call tracing (ProviderKit/Trace).
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        .target(name: "CWS2SPI"),
        // The Winsock error codes (code, C name, description) and their Swift
        // names: the one table, shared by ProviderKit and WS2SPI. Pure Swift,
        // no dependencies, no C exports.
        .target(name: "WSACodes"),
        // The configuration database (WINSOCK2.INI, RULINGS §12): pure Swift,
        // no C exports, so ws2ctl and Swift programs can link it.
        .target(name: "WS2Catalog", dependencies: ["CWS2SPI", "WSACodes"]),
        // ws2ctl: install / remove / list / probe providers. Links no provider
        // code: it loads provider libraries with dlopen.
        .executableTarget(name: "ws2ctl", dependencies: [
            "WS2Catalog", "CWS2SPI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "WS2Base", dependencies: ["CWS2SPI", "WSACodes"]),
        // The Winsock DLL part. Its thunks define the C host services that
        // ProviderKit calls; a test binary links both.
        .target(name: "WS2Host", dependencies: ["CWS2SPI", "WSACodes", "WS2Base", "WS2Catalog"]),
        // Links no WS2Host code: the host services are C symbols resolved
        // against libws2_32.so.2 (or WS2Host in a test binary).
        .target(name: "ProviderKit", dependencies: [
            "CWS2SPI", "WS2Base", "WS2Catalog", "WSACodes", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TCPIPProvider", dependencies: ["ProviderKit", "CWS2SPI", "WS2Catalog"]),
        .target(name: "SPIExports", dependencies: ["ProviderKit", "TCPIPProvider", "CWS2SPI"]),
        // The AF_UNIX provider: ProviderKit only, as an outside author's would be.
        .target(name: "UnixProvider", dependencies: ["ProviderKit"]),
        .target(name: "MemDgramProvider", dependencies: ["ProviderKit", "CWS2SPI"], path: "Tests/providers/MemDgram",
                swiftSettings: [.swiftLanguageMode(.v5)]),
        // libffi: Swift closures as C callbacks (WS2SPI).
        .systemLibrary(name: "CFFI", path: "Sources/CFFI", pkgConfig: "libffi", providers: [.apt(["libffi-dev"])]),
        // The Swift API over a provider loaded with dlopen; links no provider code.
        .target(name: "WS2SPI", dependencies: ["CWS2SPI", "CFFI", "WS2Catalog", "WSACodes"]),
        // A loopback echo through libws2spi.so from Swift (`make examples`).
        .executableTarget(name: "ws2spi-swift-example", dependencies: [
            "WS2SPI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "ProviderKitTests", dependencies: ["ProviderKit", "WS2Host", "WS2Base", "CWS2SPI", "SPIExports"]),
        .testTarget(name: "WS2CatalogTests", dependencies: ["WS2Catalog", "CWS2SPI"]),
        // Loads build/lib/libws2spi.so.2 (built by `make`) through WS2SPI.
        .testTarget(name: "WS2SPITests", dependencies: ["WS2SPI", "WS2Catalog", "CWS2SPI"]),
        // SPIExports supplies ws2spi_provider_instance, which ProviderKit's
        // thunks call; WS2Host the host services ProviderKit calls.
        .testTarget(name: "TCPIPProviderTests", dependencies: ["TCPIPProvider", "ProviderKit", "CWS2SPI", "SPIExports", "WS2Host"]),
    ]
)
