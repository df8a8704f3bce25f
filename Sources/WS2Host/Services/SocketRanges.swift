// SOCKET values unique in the process (RULINGS §13). A SOCKET is
// `generation << 16 | slot + 1` (WS2Base's HandleTable); the generations with
// bit 15 clear are split into 16 ranges of 2048, and each provider library
// reserves one, once, before its first socket. A provider's handle table
// only hands out, and only finds, generations of its own range, so another
// provider's SOCKET fails the generation compare its look-up makes anyway:
// WSAENOTSOCK at no cost on the hot path. Generations with bit 15 set are the
// WPUXxxCreateSocketHandle handles (SocketHandles.swift).
import Synchronization
import CWS2SPI
import WS2Base

/// The reserved SOCKET ranges and, for each, its provider's check.
enum SocketRanges {
    /// Generations per range: a slot is reused 2047 times (after every other
    /// free slot each time) before it is retired.
    static let size = 2048
    static let count = 16

    struct Range {
        let generations: ClosedRange<UInt16>
        /// The provider's answer for a value in the range (0: a live socket).
        let check: LPWPUSOCKETCHECKPROC
    }
    private static let ranges = Mutex<[Range]>([])

    /// WPUXxxReserveSocketRange: the range of the library whose check
    /// function this is (the same one each time: a provider asks at every
    /// WSPStartup), else the next free one, for good. WSAEMFILE when all are
    /// taken (16 provider libraries in one process).
    static func reserve(check: LPWPUSOCKETCHECKPROC) throws(WSAError) -> ClosedRange<UInt16> {
        let key = unsafeBitCast(check, to: UnsafeRawPointer.self)
        return try ranges.withLock { (list) throws(WSAError) -> ClosedRange<UInt16> in
            if let known = list.first(where: { unsafeBitCast($0.check, to: UnsafeRawPointer.self) == key }) {
                return known.generations
            }
            guard list.count < count else { throw .tooManyFiles }
            let k = list.count
            // Generation 0 is left out: a handle of the first range is never
            // a bare slot number.
            let first = UInt16(max(1, k * size)), last = UInt16(k * size + size - 1)
            list.append(Range(generations: first...last, check: check))
            return first...last
        }
    }

    /// Whether `s` is a live socket of some provider, or a live upcall
    /// handle: the provider's own error (WSANOTINITIALISED, WSAENOTSOCK)
    /// otherwise. WSAENOTSOCK for a value in no reserved range.
    static func check(_ s: SOCKET) throws(WSAError) {
        if SocketHandles.isUpcallHandle(s) {
            guard SocketHandles.provider(of: s) != nil else { throw .notSocket }
            return
        }
        let generation = UInt16(truncatingIfNeeded: s >> 16)
        guard let check = ranges.withLock({ list in list.first { $0.generations.contains(generation) }?.check }) else {
            throw .notSocket
        }
        let code = check(s)
        if code != 0 { throw WSAError(code: code) }
    }
}
