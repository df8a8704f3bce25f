// Blocking hooks (RULINGS §5) as Swift closures.
import Glibc
import CWS2SPI
import Synchronization

/// A blocking hook: the function a provider calls repeatedly while a
/// blocking call of the thread that installed it waits (`WSPSetBlockingHook32`).
///
/// Made from a closure, it owns a libffi closure: the C function pointer the
/// provider calls. It is freed when the hook is no longer installed and
/// nobody holds the object (after ``Provider/unhookBlockingHook()`` or a
/// replacement whose returned previous hook was dropped).
/// A hook returned as "previous" that was installed by C code wraps that
/// C function pointer and can be reinstalled the same way.
public final class BlockingHook: @unchecked Sendable {
    let proc: LPBLOCKINGPROC
    private let callback: FFICallback?

    /// A hook that runs `body`. The closure returns true to be called again
    /// at once (it did some work, e.g. dispatched a message), false to let
    /// the provider wait a little before the next call.
    public init(_ body: @escaping () -> Bool) throws(WSAError) {
        guard let callback = FFICallback.blocking(body) else { throw .notEnoughMemory }
        self.callback = callback
        self.proc = callback.blockingProc
    }

    /// A hook some other code installed (a C function pointer).
    init(foreign proc: LPBLOCKINGPROC) {
        self.callback = nil
        self.proc = proc
    }

    /// True for a hook made from a Swift closure.
    public var isClosure: Bool { callback != nil }
}

/// The hooks this module installed in one library, per thread: the library
/// keeps only C function pointers, so the closures behind them are kept
/// here while installed. Hooks are per thread in the library, so this table
/// belongs to the library, not to one Provider.
final class InstalledBlockingHooks: @unchecked Sendable {
    private let byThread = Mutex<[pthread_t: BlockingHook]>([:])

    func install(_ hook: BlockingHook, spi: SPIEntryPoints) throws(WSAError) -> BlockingHook? {
        let thread = pthread_self()
        var err: Int32 = 0
        let previous = spi.setBlockingHook(hook.proc, &err)
        // NULL is both "no previous hook" and the failure value; the error tells them apart.
        if previous == nil, err != 0 { throw WSAError(code: err) }
        let replaced = byThread.withLock { table -> BlockingHook? in
            let old = table[thread]
            table[thread] = hook
            return old
        }
        guard let previous else { return nil }
        if let replaced, unsafeBitCast(replaced.proc, to: UnsafeRawPointer.self) == unsafeBitCast(previous, to: UnsafeRawPointer.self) {
            return replaced
        }
        return BlockingHook(foreign: previous)
    }

    func unhook(spi: SPIEntryPoints) throws(WSAError) {
        var err: Int32 = 0
        if spi.unhookBlockingHook(&err) != 0 { throw WSAError(code: err) }
        let thread = pthread_self()
        let removed = byThread.withLock { $0.removeValue(forKey: thread) }
        _ = removed   // released here, outside the lock: frees the closure unless the caller holds it
    }
}
