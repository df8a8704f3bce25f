// The fault-injection switch of the syscall layer, for tests: "fail the next
// call of a kind with a chosen errno". The state is C static storage in
// CWS2SPI's sys.c (no Swift global: see Globals.swift on fork safety), read
// by every wrapper in Syscalls.swift with one relaxed load while disarmed.
import CWS2SPI

/// A kind of system call a fault can be injected into: one per wrapper
/// family of ``Sys``. Mirrors `WS2SPI_FAULT_*` in ws2spi_sys.h (same order);
/// ``name`` is the spelling of `WS2SPI_FAULTS`.
public enum SyscallKind: Int32, CaseIterable, Sendable {
    case socket = 0
    case bind, listen, accept, connect
    case send, sendto, recv, recvfrom
    case getsockname, getpeername, getsockopt, setsockopt
    case shutdown, ioctl
    /// `fcntl` (F_GETFL / F_SETFL of `Sys.setNonBlocking`).
    case fcntl
    case poll
    /// `Sys.dup` (fcntl F_DUPFD_CLOEXEC).
    case dup
    case epollCreate, epollCtl, epollWait
    /// Creating an eventfd.
    case eventfd
    /// Reading or writing an eventfd used as a waker (the event engine's,
    /// a socket's close waker).
    case wake
    /// Futex wait (a fault is a spurious wake-up; a wake never fails).
    case futex
    /// pthread_create (the event engine's thread).
    case thread

    /// The name in `WS2SPI_FAULTS`: "socket", "epoll_wait", ...
    public var name: String { String(cString: ws2spi_fault_kind_name(rawValue)) }
}

/// Makes system calls of the providers fail on purpose, to test error paths
/// without a broken kernel.
///
/// Faults are process-wide and thread-safe; a test arms them, runs, and
/// calls ``clear()`` (in `tearDown`). The same switch is armed from the
/// environment at every WSPStartup (``armFromEnvironment()``):
///
///     WS2SPI_FAULTS=kind:ERRNO[:skip[:count]],...   e.g. socket:EMFILE,epoll_wait:EBADF:0:3
///     WS2SPI_FAULTS=random:SEED:PERMILLE            fail PERMILLE/1000 of all injectable
///                                                   calls, each with an errno plausible
///                                                   for its kind (a fuzzer's mode)
///
/// `kind` is a ``SyscallKind/name``; ERRNO a name (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM, EBADF, EINVAL, EINTR, EAGAIN, EPERM, EACCES, ECONNRESET, EIO, ...)
/// or a number; `skip` calls pass first (default 0), then `count` calls fail
/// (default 1; -1: every call). Items that cannot be read are ignored with
/// one line on stderr. An injected EINTR behaves like a real one (the
/// wrappers that retry EINTR retry it) and is always finite: count -1 counts
/// as 1.
public enum SyscallFaults {
    /// Fails calls of `kind` with `errno`: the next `skip` calls pass, the
    /// `count` after them fail (-1: all). Replaces what was armed for `kind`.
    public static func inject(_ kind: SyscallKind, errno: Int32, skip: Int = 0, count: Int = 1) {
        ws2spi_fault_inject(kind.rawValue, errno, Int32(clamping: skip), Int32(clamping: count))
    }

    /// Disarms every kind and the random mode.
    public static func clear() { ws2spi_fault_clear() }

    /// True while some fault may fire (a kind with calls left to fail, or the random mode).
    public static var isArmed: Bool { ws2spi_faults_are_armed() != 0 }

    /// Calls of `kind` still to fail, counting those to skip first; -1 when
    /// every call fails.
    public static func remaining(_ kind: SyscallKind) -> Int { Int(ws2spi_fault_remaining(kind.rawValue)) }

    /// Replaces the armed faults with those of `spec` (the `WS2SPI_FAULTS`
    /// syntax); returns how many items were ignored.
    @discardableResult
    public static func arm(_ spec: String) -> Int { Int(ws2spi_fault_arm(spec)) }

    /// Arms `WS2SPI_FAULTS` when it is set and not empty (replacing what was
    /// armed); otherwise leaves the armed faults alone. WSPStartup calls it.
    public static func armFromEnvironment() { ws2spi_fault_arm_from_env() }
}
