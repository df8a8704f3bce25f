// How trace lines spell arguments: handles in hex, flags and event masks by
// name (MSG_PEEK|MSG_OOB, FD_READ|FD_CLOSE), ioctl commands, option levels
// and names, address families, types and protocols by their ws2spi.h names,
// IPv4 addresses as a.b.c.d:port, errors by their WSA name. Caller memory is
// read only through pointers the thunks accept (not NULL, not below 64 KiB)
// and only as far as the length the caller gave.
import CWS2SPI
import WSACodes

enum TraceFormat {
    /// The name tables (and the WSA code table), initialised at WSPStartup:
    /// a traced call never initialises a global (see Globals.swift on fork safety).
    static func initializeGlobals() {
        _ = (messageFlagNames, eventNames, ioctlNames, levelNames, socketOptionNames, tcpOptionNames,
             ipOptionNames, familyNames, typeNames, protocolNames, socketFlagNames, shutdownNames)
        _ = WSAErrorTable.entries.count
    }

    // MARK: numbers and pointers

    /// "0x1a2b": a handle, a pointer's address, an unnamed value.
    static func hex<T: BinaryInteger>(_ value: T) -> String {
        "0x" + String(value, radix: 16)
    }

    /// A handle: "0x10001".
    static func handle(_ s: SOCKET) -> String { hex(s) }

    /// A pointer: "NULL" or its address.
    static func pointer(_ p: UnsafeRawPointer?) -> String {
        guard let p else { return "NULL" }
        return hex(UInt(bitPattern: p))
    }

    /// A pointer the thunk accepts for reading: neither NULL nor below 64 KiB.
    static func readable<T>(_ p: UnsafePointer<T>?) -> UnsafePointer<T>? {
        guard let p, !isBadPointer(p) else { return nil }
        return p
    }

    static func readable<T>(_ p: UnsafeMutablePointer<T>?) -> UnsafePointer<T>? {
        readable(UnsafePointer(p))
    }

    /// `*p` when readable, else the pointer ("NULL", "0x10").
    static func deref<T>(_ p: UnsafeMutablePointer<T>?, _ show: (T) -> String) -> String {
        guard let r = readable(p) else { return pointer(p) }
        return show(r.pointee)
    }

    // MARK: names

    typealias Names = [(value: Int64, name: String)]

    /// A value by its name, else the number (`unknown`: how to spell it).
    static func name(_ value: Int64, in names: Names, unknown: (Int64) -> String = { String($0) }) -> String {
        for entry in names where entry.value == value { return entry.name }
        return unknown(value)
    }

    /// A bit mask as NAME|NAME, with the bits no name covers in hex; 0 is "0".
    static func flags(_ value: Int64, _ names: Names) -> String {
        if value == 0 { return "0" }
        var rest = value
        var parts: [String] = []
        for entry in names where entry.value != 0 && value & entry.value == entry.value && rest & entry.value != 0 {
            parts.append(entry.name)
            rest &= ~entry.value
        }
        if rest != 0 { parts.append(hex(UInt32(truncatingIfNeeded: rest))) }
        return parts.joined(separator: "|")
    }

    static let messageFlagNames: Names = [
        (0x1, "MSG_OOB"), (0x2, "MSG_PEEK"), (0x4, "MSG_DONTROUTE"), (0x8, "MSG_INTERRUPT"), (0x8000, "MSG_PARTIAL"),
    ]
    static func messageFlags(_ flags: Int32) -> String { self.flags(Int64(flags), messageFlagNames) }

    static let eventNames: Names = [
        (0x01, "FD_READ"), (0x02, "FD_WRITE"), (0x04, "FD_OOB"), (0x08, "FD_ACCEPT"),
        (0x10, "FD_CONNECT"), (0x20, "FD_CLOSE"), (0x40, "FD_QOS"), (0x80, "FD_GROUP_QOS"),
    ]
    static func events(_ mask: Int32) -> String { flags(Int64(mask), eventNames) }

    static let ioctlNames: Names = [
        (0x4004_667F, "FIONREAD"), (0x8004_667E, "FIONBIO"), (0x8004_667D, "FIOASYNC"),
        (0x8004_7300, "SIOCSHIWAT"), (0x4004_7301, "SIOCGHIWAT"), (0x8004_7302, "SIOCSLOWAT"),
        (0x4004_7303, "SIOCGLOWAT"), (0x4004_7307, "SIOCATMARK"),
    ]
    static func ioctl(_ command: Int32) -> String {
        name(Int64(UInt32(bitPattern: command)), in: ioctlNames) { hex(UInt32(truncatingIfNeeded: $0)) }
    }

    static let levelNames: Names = [(0xFFFF, "SOL_SOCKET"), (6, "IPPROTO_TCP"), (0, "IPPROTO_IP"), (17, "IPPROTO_UDP")]
    static func level(_ level: Int32) -> String { name(Int64(level), in: levelNames) { hex(UInt32(truncatingIfNeeded: $0)) } }

    static let socketOptionNames: Names = [
        (0x0001, "SO_DEBUG"), (0x0002, "SO_ACCEPTCONN"), (0x0004, "SO_REUSEADDR"), (0x0008, "SO_KEEPALIVE"),
        (0x0010, "SO_DONTROUTE"), (0x0020, "SO_BROADCAST"), (0x0040, "SO_USELOOPBACK"), (0x0080, "SO_LINGER"),
        (0x0100, "SO_OOBINLINE"), (-129, "SO_DONTLINGER"), (0x1001, "SO_SNDBUF"), (0x1002, "SO_RCVBUF"),
        (0x1003, "SO_SNDLOWAT"), (0x1004, "SO_RCVLOWAT"), (0x1005, "SO_SNDTIMEO"), (0x1006, "SO_RCVTIMEO"),
        (0x1007, "SO_ERROR"), (0x1008, "SO_TYPE"), (0x2001, "SO_FLOWSPEC"), (0x2002, "SO_GROUP_FLOWSPEC"),
        (0x2003, "SO_GROUP_ID"), (0x2004, "SO_GROUP_PRIORITY"), (0x2005, "SO_MAX_DG_SIZE"),
        (0x2006, "SO_PROTOCOL_INFO"), (0x3001, "PVD_CALL_ID"), (0x3002, "PVD_CONFIG"), (0x3003, "TAPI_DEVICE_ID"),
    ]
    static let tcpOptionNames: Names = [(1, "TCP_NODELAY"), (4, "TCP_MAXSEG"), (0x3001, "PVD_CALL_ID"), (0x3002, "PVD_CONFIG")]
    static let ipOptionNames: Names = [(1, "IP_OPTIONS")]

    /// An option's name at its level.
    static func option(level: Int32, _ option: Int32) -> String {
        let names: Names
        switch level {
        case 0xFFFF: names = socketOptionNames
        case 6: names = tcpOptionNames
        case 0: names = ipOptionNames
        default: return hex(UInt32(bitPattern: option))
        }
        return name(Int64(option), in: names) { hex(UInt32(truncatingIfNeeded: $0)) }
    }

    static let familyNames: Names = [(0, "AF_UNSPEC"), (1, "AF_UNIX"), (2, "AF_INET")]
    static let typeNames: Names = [(1, "SOCK_STREAM"), (2, "SOCK_DGRAM"), (3, "SOCK_RAW"), (4, "SOCK_RDM"), (5, "SOCK_SEQPACKET")]
    static let protocolNames: Names = [(0, "0"), (1, "IPPROTO_ICMP"), (6, "IPPROTO_TCP"), (17, "IPPROTO_UDP"), (255, "IPPROTO_RAW")]
    static let socketFlagNames: Names = [(0x01, "WSA_FLAG_OVERLAPPED")]
    static let shutdownNames: Names = [(0, "SD_RECEIVE"), (1, "SD_SEND"), (2, "SD_BOTH")]

    /// A Winsock error code by name: "WSAEWOULDBLOCK" (the number when the
    /// header has no such code).
    static func error(_ code: Int32) -> String {
        WSAErrorTable.entry(code)?.name ?? "error \(code)"
    }

    /// A version WORD: "2.0" (major in the low byte).
    static func version(_ v: WORD) -> String { "\(v & 0xFF).\(v >> 8)" }

    // MARK: structures

    /// A socket address: "127.0.0.1:5000" for AF_INET, else its family and
    /// length; NULL and bad pointers as pointers. Only `length` bytes are read.
    static func address(_ p: UnsafeRawPointer?, length: Int32) -> String {
        guard let p, !isBadPointer(p) else { return pointer(p) }
        guard length >= 8 else { return "{len=\(length)}" }
        let family = p.loadUnaligned(as: UInt16.self)
        guard family == 2 else { return "{af=\(name(Int64(family), in: familyNames)), len=\(length)}" }
        let port = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let a = p.loadUnaligned(fromByteOffset: 4, as: (UInt8, UInt8, UInt8, UInt8).self)
        return "\(a.0).\(a.1).\(a.2).\(a.3):\(port)"
    }

    /// An address whose length is in `*length` (NULL or bad: not read).
    static func address(_ p: UnsafeRawPointer?, lengthAt length: UnsafeMutablePointer<Int32>?) -> String {
        guard let n = readable(length) else { return pointer(p) }
        return address(p, length: n.pointee)
    }

    /// A Winsock fd_set: "{0x10001,0x10002}", NULL, or a bad pointer.
    static func fdSet(_ set: UnsafePointer<WS_fd_set>?) -> String {
        guard let set = readable(set) else { return pointer(set) }
        let count = min(Int(set.pointee.fd_count), Int(WS_FD_SETSIZE))
        return withUnsafeBytes(of: set.pointee.fd_array) { raw in
            let handles = raw.bindMemory(to: SOCKET.self)
            return "{" + (0..<count).map { hex(handles[$0]) }.joined(separator: ",") + "}"
        }
    }

    /// The handles of a readable fd_set.
    static func handles(_ set: UnsafePointer<WS_fd_set>?) -> [SOCKET] {
        guard let set = readable(set) else { return [] }
        let count = min(Int(set.pointee.fd_count), Int(WS_FD_SETSIZE))
        return withUnsafeBytes(of: set.pointee.fd_array) { raw in Array(raw.bindMemory(to: SOCKET.self).prefix(count)) }
    }

    /// A timeval: "1.500000" seconds, or "NULL" (wait for ever).
    static func timeout(_ t: UnsafePointer<WS_timeval>?) -> String {
        guard let t = readable(t) else { return pointer(t) }
        let us = String(t.pointee.tv_usec)
        return "\(t.pointee.tv_sec)." + String(repeating: "0", count: max(0, 6 - us.count)) + us
    }

    /// A WSABUF of connect data: its length.
    static func wsabuf(_ b: LPWSABUF?) -> String {
        guard let b = readable(b) else { return pointer(b) }
        return "{len=\(b.pointee.len)}"
    }

    /// The value of a socket option at `p` of `length` bytes: an int, a
    /// linger, or only the length.
    static func optionValue(level: Int32, _ option: Int32, _ p: UnsafeRawPointer?, length: Int32) -> String {
        guard let p, !isBadPointer(p) else { return pointer(p) }
        if level == 0xFFFF && option == 0x0080 && length >= 4 {
            let onoff = p.loadUnaligned(as: UInt16.self), seconds = p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
            return "{onoff=\(onoff), linger=\(seconds)}"
        }
        if length == 4 { return String(p.loadUnaligned(as: Int32.self)) }
        return "{\(length) bytes}"
    }

    /// The fired events of WSPEnumNetworkEvents' records (element i is event
    /// bit i): "FD_READ|FD_CLOSE", with each nonzero error after its event.
    static func networkEvents(_ records: LPWSANETWORKEVENT?, count: LPINT?) -> String {
        guard let records = readable(records), let count = readable(count) else { return "?" }
        var parts: [String] = []
        for i in 0..<min(max(Int(count.pointee), 0), eventNames.count) where records[i].Fired != 0 {
            var part = eventNames[i].name
            if records[i].ErrorCode != 0 { part += "(\(error(records[i].ErrorCode)))" }
            parts.append(part)
        }
        return parts.isEmpty ? "0" : parts.joined(separator: "|")
    }
}
