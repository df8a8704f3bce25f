// Shared helpers of the WS2SPI tests: the library under test and socket pairs.
import XCTest
import Glibc
@testable import WS2SPI

/// build/lib/libws2spi.so.2 of this checkout (built by `make`, which
/// `make test` runs before `swift test`).
let libraryPath: String = {
    var url = "\(#filePath)"
    for _ in 0..<3 { url = String(url[..<url.lastIndex(of: "/")!]) }   // Tests/WS2SPITests/Support.swift -> root
    return url + "/build/lib/libws2spi.so.2"
}()

/// Loads and starts a provider library this checkout builds (`make` target
/// `how`), failing loudly when it was not built.
func loadBuilt(_ path: String, how: String, file: StaticString = #filePath, line: UInt = #line) throws -> Provider {
    guard access(path, R_OK) == 0 else {
        XCTFail("\(path) is missing: run `\(how)` (make test builds it before swift test)", file: file, line: line)
        throw ProviderLoadError.cannotOpen(path: path, reason: "not built")
    }
    return try Provider.load(path: path)
}

/// Loads and starts the library under test, failing loudly when it was not built.
func loadProvider(version: SPIVersion = .v2_0, file: StaticString = #filePath, line: UInt = #line) throws -> Provider {
    guard access(libraryPath, R_OK) == 0 else {
        XCTFail("\(libraryPath) is missing: run `make` first (make test builds it before swift test)", file: file, line: line)
        throw ProviderLoadError.cannotOpen(path: libraryPath, reason: "not built")
    }
    return try Provider.load(path: libraryPath, version: version)
}

/// A listening TCP socket on 127.0.0.1 and its address.
func listener(_ provider: Provider, overlapped: Bool = false) throws -> (Socket, SocketAddress) {
    let l = try provider.socket(.stream, overlapped: overlapped)
    try l.bind(.loopback())
    try l.listen()
    return (l, try l.localAddress())
}

/// A connected TCP pair (client, server side).
func connectedPair(_ provider: Provider, overlapped: Bool = false) throws -> (client: Socket, server: Socket) {
    let (l, address) = try listener(provider, overlapped: overlapped)
    let client = try provider.socket(.stream, overlapped: overlapped)
    if overlapped {
        // Overlapped sockets are non-blocking for plain calls (RULINGS §8).
        do { try client.connect(to: address) } catch {
            if error != .wouldBlock { throw error }
        }
    } else {
        try client.connect(to: address)
    }
    let (server, _) = try acceptRetrying(l)
    if overlapped { try waitWritable(provider, client) }
    return (client, server)
}

/// accept, retried while a non-blocking listener has nothing yet.
func acceptRetrying(_ l: Socket) throws -> (socket: Socket, peer: SocketAddress) {
    for _ in 0..<500 {
        switch Result(catching: { () throws(WSAError) in try l.accept() }) {
        case .success(let accepted): return accepted
        case .failure(let error) where error == .wouldBlock: usleep(2000)
        case .failure(let error): throw error
        }
    }
    throw WSAError.timedOut
}

func waitWritable(_ provider: Provider, _ s: Socket) throws {
    let ready = try provider.select(write: [s], timeout: 2000)
    XCTAssertEqual(ready.write.count, 1, "connect did not complete")
}

/// Receives exactly `count` bytes from a blocking stream socket.
func recvAll(_ s: Socket, _ count: Int) throws -> [UInt8] {
    var got: [UInt8] = []
    while got.count < count {
        let chunk = try s.recv(maxLength: count - got.count)
        if chunk.isEmpty { break }
        got += chunk
    }
    return got
}

/// Polls `condition` for up to `seconds`.
func eventually(_ seconds: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = Double(monotonicNanoseconds()) / 1e9 + seconds
    while Double(monotonicNanoseconds()) / 1e9 < deadline {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}
