// The swift-log handler of the trace: plain text on stderr or appended to a
// file, one write(2) per line (O_APPEND: lines of threads and processes
// never interleave), no Foundation. Each line starts with the time since the
// trace clock started (the first WSPStartup) and the Linux thread id:
//
//   0000.004211 tid 81234 WSPRecv(s=0x10002, len=4096, flags=MSG_PEEK) -> 0 (bytes=12)
import CWS2SPI
import Glibc
import Logging
import Synchronization

/// Where trace lines are written: a file descriptor, 2 (stderr) unless
/// WS2SPI_TRACE names a file.
final class TraceSink: Sendable {
    static let shared = TraceSink()

    let fd = Atomic<Int32>(2)

    /// Sends the lines to `destination`. A file replaced by another stays
    /// open (a thread may be writing to it); a file that cannot be opened
    /// is reported on stderr and the lines go to stderr.
    func open(_ destination: Trace.Destination) {
        switch destination {
        case .standardError:
            fd.store(2, ordering: .releasing)
        case .file(let path):
            let opened = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if opened < 0 {
                let reason = String(cString: strerror(errno))
                write("ws2spi: WS2SPI_TRACE: cannot open \(path): \(reason); tracing to stderr\n", to: 2)
                fd.store(2, ordering: .releasing)
            } else {
                fd.store(opened, ordering: .releasing)
            }
        }
    }

    /// Writes `text` with one write(2) (again for what a short write left).
    func write(_ text: String, to target: Int32? = nil) {
        let out = target ?? fd.load(ordering: .acquiring)
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(out, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                done += n
            }
        }
    }

    /// "SSSS.uuuuuu tid N ": seconds and microseconds since the trace clock
    /// started, and the calling thread's Linux id.
    static func prefix() -> String {
        let us = ws2spi_trace_elapsed_us()
        var text = pad(String(us / 1_000_000), 4)
        text += "."
        text += pad(String(us % 1_000_000), 6)
        text += " tid "
        text += String(ws2spi_sys_gettid())
        text += " "
        return text
    }

    private static func pad(_ digits: String, _ width: Int) -> String {
        digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A `LogHandler` that writes each message as one trace line: the prefix of
/// `TraceSink`, the message, the metadata (if any) as ` key=value`, a newline.
struct TraceLogHandler: LogHandler {
    let label: String
    let sink: TraceSink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(label: String, sink: TraceSink) {
        self.label = label
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var text = TraceSink.prefix()
        text += event.message.description
        let all = event.metadata.map { self.metadata.merging($0) { $1 } } ?? self.metadata
        for key in all.keys.sorted() { text += " \(key)=\(all[key]!)" }
        text += "\n"
        sink.write(text)
    }
}
