// Socket groups (RULINGS §11): SG_UNCONSTRAINED_GROUP / SG_CONSTRAINED_GROUP
// create a group with a new id; an existing id joins it.
import Synchronization
import CWS2SPI

final class GroupTable: Sendable {
    private struct Group {
        var constrained: Bool
        /// The one peer host of a constrained group (network byte order).
        var host: UInt64?
        var members: Int
    }
    private struct State {
        var groups: [UInt32: Group] = [:]
        /// Ids start above SG_CONSTRAINED_GROUP so an id never reads as a request.
        var nextID: UInt32 = 0x100
    }
    private let state = Mutex(State())

    /// Checks that `group` may be used for a connection to `peer`:
    /// WSAEINVAL for an unknown id, or a constrained group's other host.
    func validate(_ group: GROUP, peer: UInt64) throws(WSAError) {
        if group == GROUP(SG_UNCONSTRAINED_GROUP) || group == GROUP(SG_CONSTRAINED_GROUP) { return }
        try state.withLock { (s) throws(WSAError) in
            guard let g = s.groups[group] else { throw .invalidArgument }
            if g.constrained, let host = g.host, host != peer { throw .invalidArgument }
        }
    }

    /// Creates or joins the group and records it on the socket.
    func join(_ socket: KernelSocket, group: GROUP, peer: UInt64) {
        let id: UInt32 = state.withLock { s in
            var id = group
            if group == GROUP(SG_UNCONSTRAINED_GROUP) || group == GROUP(SG_CONSTRAINED_GROUP) {
                id = s.nextID
                s.nextID &+= 1
                if s.nextID < 0x100 { s.nextID = 0x100 }
                s.groups[id] = Group(constrained: group == GROUP(SG_CONSTRAINED_GROUP), host: peer, members: 0)
            }
            s.groups[id, default: Group(constrained: false, host: nil, members: 0)].members += 1
            return id
        }
        let previous = socket.state.withLock { st -> UInt32 in
            let old = st.group
            st.group = id
            st.groupPriority = 0
            return old
        }
        if previous != 0 { release(previous) }
    }

    /// Takes the socket out of its group; an empty group is gone.
    func leave(_ socket: KernelSocket) {
        let id = socket.state.withLock { st -> UInt32 in
            let old = st.group
            st.group = 0
            return old
        }
        if id != 0 { release(id) }
    }

    private func release(_ id: UInt32) {
        state.withLock { s in
            guard var g = s.groups[id] else { return }
            g.members -= 1
            s.groups[id] = g.members > 0 ? g : nil
        }
    }
}
