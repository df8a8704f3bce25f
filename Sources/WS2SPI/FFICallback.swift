// Swift closures as C function pointers, through libffi closures.
//
// Every callback the SPI takes (condition functions, completion routines,
// WSPCallbackSelect16 callbacks, blocking hooks) carries at most one DWORD of
// context, and a completion routine none at all, so a Swift closure cannot
// ride along as a context pointer. Instead each closure gets its own libffi
// closure: a fresh piece of executable code whose C function pointer calls
// one generic handler with the closure's box as user data. No fixed pool of
// trampolines, no global table: the code lives as long as its
// `FFICallback` object, and `deinit` frees it.
import CFFI
import CWS2SPI
import Synchronization

/// One libffi closure: a C function pointer that runs a Swift body.
///
/// The owner keeps the object alive for as long as C code may call the
/// pointer (a pending completion routine, a selection, an installed hook,
/// an accept in progress); dropping the last reference frees the code.
/// libffi reads the closure (cif, handler, user data) only before it calls
/// the handler, so the last reference may even go away inside the call.
///
/// `@unchecked Sendable`: the object is immutable; whether its body may run
/// on another thread is the owner's business (a callback-select body is made
/// from a `@Sendable` closure, the others run on the thread that made them).
final class FFICallback: @unchecked Sendable {
    /// Raw view of one call: (return slot, argument pointers).
    typealias Body = (UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void

    /// The C function pointer (libffi's executable address of the closure).
    let code: UnsafeMutableRawPointer
    private let closure: UnsafeMutableRawPointer
    private let cif: UnsafeMutablePointer<ffi_cif>
    private let argumentTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    private let body: Body

    /// How many libffi closures exist right now (for tests and leak checks).
    static var liveCount: Int { live.load(ordering: .sequentiallyConsistent) }
    private static let live = Atomic<Int>(0)

    /// nil when libffi cannot allocate or describe the closure.
    private init?(returns: UnsafeMutablePointer<ffi_type>, arguments: [UnsafeMutablePointer<ffi_type>], body: @escaping Body) {
        var codePointer: UnsafeMutableRawPointer?
        guard let closure = ffi_closure_alloc(MemoryLayout<ffi_closure>.size, &codePointer) else { return nil }
        guard let codePointer else { ffi_closure_free(closure); return nil }
        let cif = UnsafeMutablePointer<ffi_cif>.allocate(capacity: 1)
        let types = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: max(arguments.count, 1))
        for (i, t) in arguments.enumerated() { types[i] = t }
        self.code = codePointer
        self.closure = closure
        self.cif = cif
        self.argumentTypes = types
        self.body = body
        // Fully initialised from here: on failure, returning nil runs deinit, which frees.
        FFICallback.live.add(1, ordering: .sequentiallyConsistent)
        guard ffi_prep_cif(cif, FFI_DEFAULT_ABI, UInt32(arguments.count), returns, types) == FFI_OK,
              ffi_prep_closure_loc(closure.assumingMemoryBound(to: ffi_closure.self), cif, ffiHandler,
                                   Unmanaged.passUnretained(self).toOpaque(), codePointer) == FFI_OK
        else { return nil }
    }

    deinit {
        ffi_closure_free(closure)
        cif.deallocate()
        argumentTypes.deallocate()
        FFICallback.live.subtract(1, ordering: .sequentiallyConsistent)
    }

    fileprivate func invoke(_ result: UnsafeMutableRawPointer?, _ args: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        body(result, args)
    }

    // MARK: the four callback shapes of ws2spi.h

    /// LPCONDITIONPROC: int (LPWSABUF callerId, LPWSABUF callerData,
    /// LPWSABUF calleeId, LPWSABUF calleeData, GROUP *g, DWORD data).
    static func condition(_ f: @escaping (LPWSABUF?, LPWSABUF?, LPWSABUF?, LPWSABUF?, UnsafeMutablePointer<GROUP>?) -> Int32) -> FFICallback? {
        let p = cffi_type_pointer()!
        return FFICallback(returns: cffi_type_sint32(), arguments: [p, p, p, p, p, cffi_type_uint32()]) { ret, a in
            let verdict = f(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4))
            storeInt(ret, Int(verdict))
        }
    }
    var conditionProc: LPCONDITIONPROC { unsafeBitCast(code, to: LPCONDITIONPROC.self) }

    /// LPWSAOVERLAPPED_COMPLETION_ROUTINE: void (DWORD dwError,
    /// DWORD cbTransferred, LPWSAOVERLAPPED lpOverlapped).
    static func completion(_ f: @escaping (DWORD, DWORD, LPWSAOVERLAPPED?) -> Void) -> FFICallback? {
        FFICallback(returns: cffi_type_void(), arguments: [cffi_type_uint32(), cffi_type_uint32(), cffi_type_pointer()]) { _, a in
            f(a[0]!.load(as: DWORD.self), a[1]!.load(as: DWORD.self), arg(a, 2))
        }
    }
    var completionRoutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE {
        unsafeBitCast(code, to: LPWSAOVERLAPPED_COMPLETION_ROUTINE.self)
    }

    /// LPSELECTPROC: void (SOCKET s, long lEvent, int ErrorCode, DWORD data).
    static func select(_ f: @escaping (SOCKET, Int32, Int32) -> Void) -> FFICallback? {
        FFICallback(returns: cffi_type_void(),
                    arguments: [cffi_type_uint32(), cffi_type_sint32(), cffi_type_sint32(), cffi_type_uint32()]) { _, a in
            f(a[0]!.load(as: SOCKET.self), a[1]!.load(as: Int32.self), a[2]!.load(as: Int32.self))
        }
    }
    var selectProc: LPSELECTPROC { unsafeBitCast(code, to: LPSELECTPROC.self) }

    /// LPBLOCKINGPROC: BOOL (void).
    static func blocking(_ f: @escaping () -> Bool) -> FFICallback? {
        FFICallback(returns: cffi_type_sint32(), arguments: []) { ret, _ in
            storeInt(ret, f() ? 1 : 0)
        }
    }
    var blockingProc: LPBLOCKINGPROC { unsafeBitCast(code, to: LPBLOCKINGPROC.self) }
}

/// Argument i, itself a pointer (args[i] points at the pointer value).
@inline(__always)
private func arg<T>(_ args: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ i: Int) -> UnsafeMutablePointer<T>? {
    args[i]!.load(as: UnsafeMutablePointer<T>?.self)
}

/// libffi widens integral results to a full register (ffi_arg).
@inline(__always)
private func storeInt(_ ret: UnsafeMutableRawPointer?, _ value: Int) {
    ret?.storeBytes(of: value, as: Int.self)
}

/// The one handler of every closure: user data is its unretained box.
/// The box is held for the whole call: the body may drop the owner's last
/// reference (a completion frees its operation, a callback replaces its own
/// selection), and the memory is then freed only once the body returned.
private let ffiHandler: @convention(c) (UnsafeMutablePointer<ffi_cif>?, UnsafeMutableRawPointer?,
                                         UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutableRawPointer?) -> Void = {
    _, result, args, userData in
    guard let userData, let args else { return }
    let callback = Unmanaged<FFICallback>.fromOpaque(userData).takeUnretainedValue()
    withExtendedLifetime(callback) { callback.invoke(result, args) }
}
