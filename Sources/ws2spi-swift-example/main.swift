// ws2spi-swift-example: a loopback echo through a provider loaded at run
// time, with the WS2SPI Swift module.
//
// One thread does everything. The server side uses event select: the
// listener and the accepted socket signal event objects, and
// enumNetworkEvents says what happened. The client side is an overlapped
// socket: each echo is received by an overlapped recv whose completion
// closure runs on this thread inside the same alertable wait that watches
// the server's events. Prints each step; exits 0 when every echo came back.
import ArgumentParser
import Glibc
import WS2SPI

struct Example: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws2spi-swift-example",
        abstract: "Loopback echo through libws2spi.so from Swift: event select and overlapped I/O with completion closures.")

    @Option(name: .long, help: "The provider library (default: $WS2SPI_LIBRARY, else libws2spi.so.2 from the library search path).")
    var library: String?

    @Option(name: .long, help: "Load the provider installed under this name in the catalog ($WINSOCK2_INI or /etc/winsock2.ini) instead.")
    var provider: String?

    @Option(name: .long, help: "How many messages to echo.")
    var messages: Int = 5

    mutating func run() throws {
        do {
            try echo()
            print("PASS: \(messages) messages echoed")
        } catch {
            print("FAIL: \(error)")
            throw ExitCode.failure
        }
    }

    func echo() throws {
        let p = try provider.map { try Provider.load(catalogName: $0) } ?? Provider.load(path: library)
        print("loaded \(p.path): SPI \(p.version) (high \(p.highVersion)), \"\(p.description)\", max \(p.maxSockets) sockets, UDP datagrams up to \(p.maxUdpDatagram) bytes")

        // Server: a listener whose FD_ACCEPT sets an event object.
        let listener = try p.socket(.stream)
        try listener.bind(.loopback())
        try listener.listen()
        let address = try listener.localAddress()
        let acceptEvent = try p.makeEvent()
        try listener.eventSelect(acceptEvent, events: [.accept])
        print("server listening on \(address) (event select: FD_ACCEPT)")

        // Client: an overlapped socket; its plain calls are non-blocking.
        let client = try p.socket(.stream, overlapped: true)
        do { try client.connect(to: address) } catch { if error != .wouldBlock { throw error } }
        guard case .signaled = try acceptEvent.wait(timeout: 5000) else { throw ExampleError("no FD_ACCEPT within 5 s") }
        print("FD_ACCEPT: \(try listener.enumNetworkEvents(resetting: acceptEvent))")
        let (server, peer) = try listener.accept()
        print("accepted \(peer)")
        guard try p.select(write: [client], timeout: 5000).write == [client] else { throw ExampleError("connect did not complete") }

        // The accepted socket inherits the listener's selection; select its own events.
        let serverEvent = try p.makeEvent()
        try server.eventSelect(serverEvent, events: [.read, .close])

        for i in 1...max(messages, 1) {
            let message = Array("message \(i) through the SPI".utf8)
            var echo: Result<[UInt8], WSAError>?
            // The completion closure: a libffi closure the provider calls as
            // an APC on this thread; freed after it ran.
            try client.recv(maxLength: 256) { echo = $0 }
            try client.send(message) { result in
                if case .failure(let error) = result { print("send \(i) failed: \(error)") }
            }
            while echo == nil {
                // One alertable wait for both models: the server's event, or
                // the client's completion routines (WAIT_IO_COMPLETION).
                switch try Event.wait(for: [serverEvent], timeout: 5000, alertable: true) {
                case .signaled:
                    let record = try server.enumNetworkEvents(resetting: serverEvent)
                    if record.events.contains(.read) {
                        // The socket is non-blocking (event select made it so); an
                        // FD_READ whose data an earlier recv already took reads
                        // as WSAEWOULDBLOCK, as in Winsock: nothing to echo.
                        let bytes: [UInt8]
                        do { bytes = try server.recv(maxLength: 4096) } catch {
                            if error != .wouldBlock { throw error }
                            continue
                        }
                        try server.send(bytes)
                        print("server: FD_READ, echoed \(bytes.count) bytes")
                    }
                case .ioCompletion:
                    break
                case .timedOut:
                    throw ExampleError("no echo of message \(i) within 5 s")
                }
            }
            guard let echo else { throw ExampleError("no echo of message \(i)") }
            let bytes = try echo.get()
            guard bytes == message else { throw ExampleError("message \(i) came back as \(bytes.count) other bytes") }
            print("client: overlapped recv completed with \(bytes.count) bytes: \"\(String(decoding: bytes, as: UTF8.self))\"")
        }

        // The client closes; the server sees FD_CLOSE once everything is read.
        try client.close()
        var closed = false
        for _ in 0..<10 where !closed {
            guard case .signaled = try serverEvent.wait(timeout: 5000, alertable: true) else { continue }
            let record = try server.enumNetworkEvents(resetting: serverEvent)
            if record.events.contains(.read), (try? server.recv())?.isEmpty == true { closed = true }
            if record.events.contains(.close) {
                print("server: \(record)")
                closed = true
            }
        }
        guard closed else { throw ExampleError("no FD_CLOSE") }
        try server.close()
        try listener.close()
        try p.cleanup()
        print("cleaned up")
    }
}

struct ExampleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

Example.main()
