// TEMPORARY (merged into Syscalls.swift with the fault-injection layer).
import Glibc
import CWS2SPI

extension Sys {
    /// A non-blocking, close-on-exec eventfd.
    @inline(never) public static func eventfd() throws(Errno) -> Int32 {
        try once { ws2spi_eventfd() }
    }
    /// Makes an eventfd readable (adds 1 to its counter).
    @inline(never) public static func signalEventFD(_ fd: Int32) {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }
}
