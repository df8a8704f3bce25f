// Blocking hooks (RULINGS §5) as Swift closures.
import CWS2SPI

/// A blocking hook: the function a provider calls repeatedly while a
/// blocking call of the thread that installed it waits (`WSPSetBlockingHook32`).
///
/// Made from a closure, it owns a libffi closure: the C function pointer the
/// provider calls. It is freed when the hook is no longer installed and
/// nobody holds the object: after ``Provider/unhookBlockingHook()``, after
/// a replacement whose returned previous hook was dropped, or when the
/// thread that installed it exits.
/// A hook returned as "previous" that was installed by C code wraps that
/// C function pointer and can be reinstalled the same way.
///
/// Not `Sendable`: the provider calls a hook only on the thread that
/// installed it, so its closure may use that thread's state freely.
public final class BlockingHook {
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

extension Provider {
    /// WSPSetBlockingHook32: installs `hook` for the calling thread; the
    /// provider calls it repeatedly while a blocking call of this thread
    /// waits. Returns the hook it replaced (nil if there was none): keep it
    /// to reinstall it later, or drop it to free it.
    @discardableResult
    public func setBlockingHook(_ hook: BlockingHook) throws(WSAError) -> BlockingHook? {
        var err: Int32 = 0
        let previous = spi.lpWSPSetBlockingHook32!(hook.proc, &err)
        // NULL is both "no previous hook" and the failure value; the error tells them apart.
        if previous == nil, err != 0 { throw WSAError(code: err) }
        // The library keeps only the C pointer; this thread's table keeps the closure.
        let replaced = ThreadState.current.setHook(hook, in: library)
        guard let previous else { return nil }
        if let replaced, unsafeBitCast(replaced.proc, to: UnsafeRawPointer.self) == unsafeBitCast(previous, to: UnsafeRawPointer.self) {
            return replaced
        }
        return BlockingHook(foreign: previous)
    }

    /// Installs a closure as the calling thread's blocking hook (see ``setBlockingHook(_:)-(BlockingHook)``).
    /// The closure returns true to be called again at once, false to let the provider wait.
    @discardableResult
    public func setBlockingHook(_ body: @escaping () -> Bool) throws(WSAError) -> BlockingHook? {
        try setBlockingHook(BlockingHook(body))
    }

    /// WSPUnhookBlockingHook32: removes the calling thread's hook; the
    /// closure is freed unless the caller kept the ``BlockingHook``.
    /// A hook still installed when its thread exits is freed then.
    public func unhookBlockingHook() throws(WSAError) {
        var err: Int32 = 0
        if spi.lpWSPUnhookBlockingHook32!(&err) != 0 { throw WSAError(code: err) }
        let removed = ThreadState.current.setHook(nil, in: library)
        _ = removed   // freed here unless the caller holds it
    }

    /// WSPIsBlocking32: true while a blocking call of this thread is in progress (inside its hook).
    public var isBlocking: Bool { spi.lpWSPIsBlocking32!() != 0 }

    /// WSPCancelBlockingCall32: from inside a hook, ends the thread's blocking call with WSAEINTR.
    public func cancelBlockingCall() throws(WSAError) {
        var err: Int32 = 0
        if spi.lpWSPCancelBlockingCall32!(&err) != 0 { throw WSAError(code: err) }
    }
}
