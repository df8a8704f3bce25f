// Winsock <-> Linux numbers, one table per kind (Wine's ws2_32 style): adding
// a flag or direction is one line. The Winsock numbers are ws2spi.h's
// (CWS2SPI); a family's numbers are its KernelFamily's, option numbers live
// in Options.swift, errno -> WSA in WS2Base's WSAError.
import Glibc
import CWS2SPI

/// A two-column table with lookups both ways.
struct NumberMap: Sendable {
    let pairs: [(winsock: Int32, linux: Int32)]
    func linux(_ winsock: Int32) -> Int32? { pairs.first { $0.winsock == winsock }?.linux }
    func winsock(_ linux: Int32) -> Int32? { pairs.first { $0.linux == linux }?.winsock }
}

enum Translation {
    static let shutdownHow = NumberMap(pairs: [
        (SD_RECEIVE, Int32(SHUT_RD)),
        (SD_SEND, Int32(SHUT_WR)),
        (SD_BOTH, Int32(SHUT_RDWR)),
    ])
    /// Receive flags the provider passes to the kernel.
    static let receiveFlags = NumberMap(pairs: [
        (WS_MSG_OOB, Int32(MSG_OOB)),
        (WS_MSG_PEEK, Int32(MSG_PEEK)),
    ])
    /// Send flags the provider passes to the kernel. MSG_PARTIAL and
    /// MSG_INTERRUPT are accepted and have no kernel meaning (0).
    static let sendFlags = NumberMap(pairs: [
        (WS_MSG_OOB, Int32(MSG_OOB)),
        (WS_MSG_DONTROUTE, Int32(MSG_DONTROUTE)),
        (WS_MSG_PARTIAL, 0),
        (WS_MSG_INTERRUPT, 0),
    ])

    /// Translates a flag word bit by bit; nil if a bit is not in the table.
    @inline(__always)
    static func flags(_ winsock: Int32, _ map: NumberMap) -> Int32? {
        var rest = winsock
        var out: Int32 = 0
        if rest == 0 { return 0 }
        for (w, l) in map.pairs where rest & w != 0 {
            out |= l
            rest &= ~w
        }
        return rest == 0 ? out : nil
    }
}
