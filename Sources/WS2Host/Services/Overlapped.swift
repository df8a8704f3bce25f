// How an overlapped operation of any provider reports its end (RULINGS §8,
// §13): the WSAOVERLAPPED fields, the completion routine as an APC to the
// posting thread, or the event object; and WSAGetOverlappedResult.
//
// The fields: Internal is the status (WSA_IO_PENDING while the operation is
// pending), InternalHigh the bytes transferred, Offset the result flags
// (sockets ignore Offset and OffsetHigh, so the provider may use them).
// Internal is written last: once it is not WSA_IO_PENDING the caller owns
// the structure again, and the provider touches neither it nor the buffers.
import Synchronization
import CWS2SPI
import WS2Base

/// The end of one overlapped operation, as a provider reports it through
/// WPUXxxCompleteOverlappedRequest (the provider captured the posting
/// thread, or hEvent, when the operation was posted).
enum OverlappedReport {
    /// Fields, then the event or the routine's APC; then WSAGetOverlappedResult
    /// may report it. False when the routine's thread has exited (the APC is
    /// dropped, like every APC of an exited thread, RULINGS §6).
    @inline(__always)
    static func complete(_ o: LPWSAOVERLAPPED, error: DWORD, bytes: DWORD, flags: DWORD, event: WSAEVENT?,
                         routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE?, thread tid: DWORD) -> Bool {
        o.pointee.InternalHigh = bytes
        o.pointee.Offset = flags
        // Until `finish`, WSAGetOverlappedResult waits even though Internal
        // is final: a caller that reuses hEvent after it returned must not
        // see this completion's set land on the next operation.
        let stripe = OverlappedStatus.begin(o)
        OverlappedStatus.store(o, error)
        var delivered = true
        if let routine {
            delivered = HostThreads.live(tid)?.enqueue(.completion(routine, error, bytes, o)) ?? false
        } else if let event {
            _ = EventObjects.set(event)
        }
        OverlappedStatus.finish(stripe, o)
        return delivered
    }
}

/// The status word (Internal), the completions in progress, and the threads
/// waiting in WSAGetOverlappedResult.
enum OverlappedStatus {
    /// Threads in WSAGetOverlappedResult that wait. A completion makes
    /// futex wake-ups only while there are some, so the data path pays
    /// nothing for a wait nobody makes.
    private static let waiters = Atomic<Int>(0)

    /// Completions between writing Internal and having set the event or
    /// queued the APC, counted per stripe (a hash of the WSAOVERLAPPED's
    /// address; two operations sharing a stripe only make a waiter wait for
    /// both). One cache line per stripe.
    private static let stripeCount = 64
    private static let stripeWords = 16
    @inline(__always) private static var stripes: UnsafeMutablePointer<UInt32> { ws2spi_overlapped_stripes() }

    /// Part of `HostGlobals.initialize()`.
    static func initializeGlobals() { _ = waiters.load(ordering: .relaxed) }

    @inline(__always)
    private static func stripe(_ o: LPWSAOVERLAPPED) -> UnsafeMutablePointer<UInt32> {
        let a = UInt(bitPattern: o)
        return stripes + Int(((a >> 3) ^ (a >> 11)) & UInt(stripeCount - 1)) * stripeWords
    }

    @inline(__always)
    static func word(_ o: LPWSAOVERLAPPED) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutableRawPointer(o).assumingMemoryBound(to: UInt32.self)   // Internal is the first field
    }

    @inline(__always)
    static func store(_ o: LPWSAOVERLAPPED, _ status: DWORD) { ws2spi_word_store(word(o), status) }

    @inline(__always)
    static func load(_ o: LPWSAOVERLAPPED) -> DWORD { ws2spi_word_load(word(o)) }

    @inline(__always)
    static func begin(_ o: LPWSAOVERLAPPED) -> UnsafeMutablePointer<UInt32> {
        let s = stripe(o)
        _ = ws2spi_word_add(s, 1)
        return s
    }

    /// The completion is fully reported; `o` is used as an address only
    /// (the caller may already have reused the memory).
    @inline(__always)
    static func finish(_ s: UnsafeMutablePointer<UInt32>, _ o: LPWSAOVERLAPPED) {
        _ = ws2spi_word_add(s, UInt32.max)   // - 1
        if waiters.load(ordering: .sequentiallyConsistent) > 0 {
            Sys.futexWake(word(o), Int32.max)
            Sys.futexWake(s, Int32.max)
        }
    }

    /// WSAGetOverlappedResult once the socket is known to be valid: returns
    /// with the bytes and flags, or throws the operation's error;
    /// WSA_IO_INCOMPLETE while pending and not `wait`. A result is reported
    /// only once its completion has set the event or queued the APC.
    static func result(_ o: LPWSAOVERLAPPED?, transferred: LPDWORD?, wait: Bool, flags: LPDWORD?) throws(WSAError) {
        guard let o, let transferred, let flags else { throw .fault }
        let pending = DWORD(WSA_IO_PENDING)
        var status = load(o)
        if status == pending && !wait { throw .ioIncomplete }
        let s = stripe(o)
        var inProgress = ws2spi_word_load(s)
        if status == pending || inProgress != 0 {
            waiters.add(1, ordering: .sequentiallyConsistent)
            while true {
                status = load(o)
                if status == pending {
                    _ = Sys.futexWait(word(o), pending, -1)
                    continue
                }
                // Final, but the event or APC may still be on its way (a
                // window of a few instructions on another thread).
                inProgress = ws2spi_word_load(s)
                if inProgress == 0 { break }
                _ = Sys.futexWait(s, inProgress, -1)
            }
            waiters.subtract(1, ordering: .sequentiallyConsistent)
        }
        transferred.pointee = o.pointee.InternalHigh
        flags.pointee = o.pointee.Offset
        if status != 0 { throw WSAError(code: Int32(bitPattern: status)) }
    }
}
