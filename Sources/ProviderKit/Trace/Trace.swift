// Call tracing at the export boundary, as Winsock porters know it from
// Wine's WINEDEBUG=+winsock: one line per entry-point call, with its
// arguments by name, its result and its error name, the thread and a time.
//
// Two switches (README "Tracing"):
//   WS2SPI_TRACE   read at every WSPStartup: 1 (or "stderr") traces every call
//                  of the process to stderr, a path appends them to that file,
//                  0 stops; unset or empty leaves the setting as it was.
//   SO_DEBUG       set on a socket, traces the calls on that socket (to the
//                  same place: stderr unless WS2SPI_TRACE names a file).
//
// The state is C static storage (ws2spi_trace.h): `ws2spi_trace_flags`, which
// every thunk loads first and which is zero while nothing is traced, and one
// word per handle slot holding the handle while it has SO_DEBUG. The lines
// go through swift-log: a `Logger` whose handler (TraceLogHandler) writes
// each line with one write(2) to stderr or the file.
import CWS2SPI
import Glibc
import Logging
import Synchronization

public enum Trace {
    /// Nonzero while some call may be traced: the one load a thunk makes
    /// before anything else.
    @inline(__always) public static var isOn: Bool { ws2spi_trace_mode() != 0 }

    /// True when a call on socket `s` is traced: every call is, or `s` has SO_DEBUG.
    @inline(__always) public static func wants(_ s: SOCKET) -> Bool {
        let mode = ws2spi_trace_mode()
        if mode & Int32(WS2SPI_TRACE_ALL) != 0 { return true }
        return mode & Int32(WS2SPI_TRACE_SOCKETS) != 0 && ws2spi_trace_socket_is_on(s) != 0
    }

    /// True when calls that name no socket are traced (WS2SPI_TRACE).
    @inline(__always) public static var wantsAll: Bool { ws2spi_trace_mode() & Int32(WS2SPI_TRACE_ALL) != 0 }

    // MARK: SO_DEBUG

    /// Records SO_DEBUG for socket `s`: a provider calls it when the option
    /// is set or cleared; from then on the calls on `s` are traced. The
    /// export layer forgets the handle when the socket is closed, and gives
    /// an accepted socket its listener's setting.
    public static func setSocketDebug(_ s: SOCKET, _ on: Bool) {
        ws2spi_trace_socket_set(s, on ? 1 : 0)
    }

    /// True while socket `s` has SO_DEBUG (as far as tracing knows).
    public static func socketDebug(_ s: SOCKET) -> Bool { ws2spi_trace_socket_is_on(s) != 0 }

    /// How many sockets have SO_DEBUG.
    public static var debugSocketCount: Int { Int(ws2spi_trace_socket_count()) }

    static func socketClosed(_ s: SOCKET) { ws2spi_trace_socket_closed(s) }
    static func allSocketsClosed() { ws2spi_trace_sockets_clear() }

    // MARK: the destination

    /// Where the lines go, as configured.
    public enum Destination: Equatable, Sendable {
        case standardError
        case file(String)
    }

    /// The configured destination and whether every call is traced.
    struct Setting: Equatable {
        var all = false
        var destination = Destination.standardError
    }
    static let setting = Mutex(Setting())

    /// Applies `WS2SPI_TRACE` when it is set and not empty; WSPStartup calls
    /// it (every start-up, like WS2SPI_FAULTS), before anything else, so the
    /// start-up that turns tracing on is traced itself.
    public static func configureFromEnvironment() {
        ws2spi_trace_clock_start()
        // The Swift globals of the trace, initialised while no engine thread
        // exists (see Globals.swift on fork safety).
        _ = TraceSink.shared
        _ = logger
        setting.withLock { _ in }
        TraceFormat.initializeGlobals()
        guard let raw = getenv("WS2SPI_TRACE"), raw.pointee != 0 else { return }
        configure(String(cString: raw))
    }

    /// Applies a `WS2SPI_TRACE` value: "0" (or "off") stops tracing every
    /// call, "1" (or "stderr") traces every call to stderr, anything else is
    /// a file every call is appended to. SO_DEBUG sockets are traced to the
    /// same place in every case.
    public static func configure(_ value: String) {
        setting.withLock { current in
            var next = current
            switch value {
            case "0", "off", "no", "false":
                next.all = false
            case "1", "on", "yes", "true", "stderr", "-":
                next.all = true
                next.destination = .standardError
            default:
                next.all = true
                next.destination = .file(value)
            }
            if next.destination != current.destination { TraceSink.shared.open(next.destination) }
            current = next
            ws2spi_trace_set_all(next.all ? 1 : 0)
        }
    }

    /// Stops tracing every call and sends lines to stderr again (tests).
    public static func reset() {
        setting.withLock { current in
            current = Setting()
            TraceSink.shared.open(.standardError)
            ws2spi_trace_set_all(0)
        }
    }

    // MARK: output

    /// The logger the lines go through (swift-log), with ws2spi's own handler.
    static let logger: Logger = {
        var logger = Logger(label: "ws2spi.trace") { label in TraceLogHandler(label: label, sink: TraceSink.shared) }
        logger.logLevel = .trace
        return logger
    }()

    /// Writes one line (the handler adds the time stamp and the thread).
    static func emit(_ line: String) {
        logger.trace(Logger.Message(stringLiteral: line))
    }
}
