// swift-tools-version:6.0
// ws2spi: the Winsock 2 Service Provider Interface on Linux.
//
// Layers, bottom to top:
//   CWS2SPI        C shim: imports include/ws2spi.h (USE_WS_PREFIX) into Swift,
//                  inline helpers for the header's function-like macros.
//   ProviderKit    what every provider needs: errors, syscalls, handle table,
//                  the ServiceProvider protocol and the C export thunks.
//   TCPIPProvider  the TCP/IP provider over Linux kernel sockets.
//   SPIExports     the .so: installs the TCP/IP provider behind the exports.
import PackageDescription

let package = Package(
    name: "ws2spi",
    products: [
        // libws2spi.so; `make` links it with the Swift runtime static, a
        // version script and the soname libws2spi.so.2.
        .library(name: "ws2spi", type: .dynamic, targets: ["SPIExports"]),
        .library(name: "ProviderKit", targets: ["ProviderKit"]),
    ],
    targets: [
        .target(name: "CWS2SPI"),
        .target(name: "ProviderKit", dependencies: ["CWS2SPI"]),
        .target(name: "TCPIPProvider", dependencies: ["ProviderKit", "CWS2SPI"]),
        .target(name: "SPIExports", dependencies: ["ProviderKit", "TCPIPProvider", "CWS2SPI"]),
        .testTarget(name: "ProviderKitTests", dependencies: ["ProviderKit", "CWS2SPI"]),
        // SPIExports supplies ws2spi_provider_instance, which ProviderKit's thunks call.
        .testTarget(name: "TCPIPProviderTests", dependencies: ["TCPIPProvider", "ProviderKit", "CWS2SPI", "SPIExports"]),
    ]
)
