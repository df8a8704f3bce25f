// Addresses ws2ctl's self-tests (probe, check) bind to, for the families
// they know the address format of; any other family gets the checks that
// need no address.
import Glibc
import CWS2SPI

/// A Winsock address in a buffer large enough for any family's, and its length.
struct TestAddress {
    private(set) var bytes = [UInt8](repeating: 0, count: 128)
    var length: Int32

    /// A local address nobody uses yet: 127.0.0.1 with port 0 (the provider
    /// picks one) for AF_INET; a fresh name in the abstract namespace for
    /// AF_UNIX (no file to clean up). nil for other families.
    static func local(family: Int32) -> TestAddress? {
        switch family {
        case WS_AF_INET:
            var a = TestAddress(length: Int32(MemoryLayout<WS_sockaddr_in>.size))
            a.bytes[0] = UInt8(WS_AF_INET)
            a.bytes[4] = 127; a.bytes[7] = 1
            return a
        case WS_AF_UNIX:
            counter += 1
            let name = Array("ws2ctl-\(getpid())-\(counter)".utf8)
            var a = TestAddress(length: Int32(3 + name.count))
            a.bytes[0] = UInt8(WS_AF_UNIX)
            a.bytes.replaceSubrange(3..<(3 + name.count), with: name)
            return a
        default:
            return nil
        }
    }
    nonisolated(unsafe) private static var counter = 0

    /// The address as (sockaddr *, length) for a call that reads or (with
    /// getsockname) writes it.
    mutating func with<R>(_ body: (UnsafeMutablePointer<WS_sockaddr>, UnsafeMutablePointer<Int32>) -> R) -> R {
        bytes.withUnsafeMutableBytes { raw in body(raw.baseAddress!.assumingMemoryBound(to: WS_sockaddr.self), &length) }
    }

    /// 127.0.0.1:port, or @name for an abstract AF_UNIX name.
    var label: String {
        switch Int32(bytes[0]) {
        case WS_AF_INET: return "127.0.0.1:\(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))"
        case WS_AF_UNIX where bytes[2] == 0: return "@" + String(decoding: bytes[3..<Int(max(3, length))], as: UTF8.self)
        default: return String(decoding: bytes[2..<Int(max(2, length))].prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
