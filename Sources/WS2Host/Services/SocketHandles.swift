// Socket handles the Winsock DLL makes for providers that have no real system
// handles (draft §4.1-4.4): WPUXxxCreateSocketHandle, WPUXxxCloseSocketHandle,
// WPUXxxQuerySocketHandleContext, WPUXxxSetSocketHandleContext.
//
// They live in their own HandleTable whose handles have bit 31 set
// (HandleSpace.upcall); every provider's table keeps bit 31 clear
// (HandleSpace.provider), so the two kinds never collide, and each kind
// answers "not a socket" for the other. Like the other upcalls they need no
// WSPStartup: the draft lists no WSANOTINITIALISED for them, and a provider
// makes them from inside its own WSPSocket / WSPAccept.
import Synchronization
import CWS2SPI
import WS2Base

/// One handle made by WPUXxxCreateSocketHandle.
final class UpcallSocket: Sendable {
    /// dwProviderId as given: which provider owns the socket (see `SocketHandles`).
    let providerId: DWORD
    /// lpContext, as an address (a provider's pointer, never dereferenced here).
    let context: Atomic<UInt>

    init(providerId: DWORD, context: UnsafeMutableRawPointer?) {
        self.providerId = providerId
        self.context = Atomic(UInt(bitPattern: context))
    }
}

/// The upcall socket handles of the process.
///
/// dwProviderId is recorded as given, whatever its value: the draft has no
/// mechanism to tell a provider its id (its note in §4.1 leaves it open) and
/// lists no error for it, so an id the catalog does not know is not an error.
/// It names the owner: `closeAll(provider:)` drops a provider's handles when a
/// host unloads it, and `provider(of:)` answers which provider a handle is for.
public enum SocketHandles {
    /// At most 65534 live handles (HandleTable.maximumCapacity).
    static let table = HandleTable<UpcallSocket>(space: .upcall)

    /// The most upcall handles that can be live at once.
    public static var capacity: Int { table.capacity }

    /// WPUXxxCreateSocketHandle: a new handle carrying `context`. WSAEMFILE
    /// when every handle is taken: the draft's "WSAENOBUFS ... too many
    /// sockets", with the code the catalog issue asks for and WSPSocket uses.
    public static func create(provider: DWORD, context: UnsafeMutableRawPointer?) throws(WSAError) -> SOCKET {
        guard let handle = table.insert(UpcallSocket(providerId: provider, context: context)) else { throw .tooManyFiles }
        return handle
    }

    /// WPUXxxCloseSocketHandle: the handle is dead from now on and is never
    /// handed out again (HandleTable's generations). WSAENOTSOCK for a handle
    /// that is closed or was not made here (a provider's own SOCKET included).
    public static func close(_ s: SOCKET) throws(WSAError) {
        guard table.remove(s) != nil else { throw .notSocket }
    }

    /// WPUXxxQuerySocketHandleContext: the handle's context. WSAEFAULT for a
    /// NULL lpContext, WSAENOTSOCK for a handle not made here.
    public static func queryContext(_ s: SOCKET, into lpContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) throws(WSAError) {
        guard let lpContext else { throw .fault }
        guard let socket = table.lookup(s) else { throw .notSocket }
        lpContext.pointee = UnsafeMutableRawPointer(bitPattern: socket.context.load(ordering: .acquiring))
    }

    /// WPUXxxSetSocketHandleContext: replaces the handle's context (NULL is a
    /// context like any other). WSAENOTSOCK for a handle not made here.
    public static func setContext(_ s: SOCKET, _ context: UnsafeMutableRawPointer?) throws(WSAError) {
        guard let socket = table.lookup(s) else { throw .notSocket }
        socket.context.store(UInt(bitPattern: context), ordering: .releasing)
    }

    /// The dwProviderId a live handle was created with; nil when `s` is not
    /// a live upcall handle.
    public static func provider(of s: SOCKET) -> DWORD? { table.lookup(s)?.providerId }

    /// True when `s` is in the upcall handles' space (bit 31 set), live or not.
    @inlinable public static func isUpcallHandle(_ s: SOCKET) -> Bool { HandleSpace.upcall.contains(s) }

    /// Closes every live handle created for `provider` (a host unloading it);
    /// returns how many were closed.
    @discardableResult
    public static func closeAll(provider: DWORD) -> Int {
        table.removeAll { $0.providerId == provider }.count
    }

    /// Number of live upcall handles.
    public static var count: Int { table.count }
}
