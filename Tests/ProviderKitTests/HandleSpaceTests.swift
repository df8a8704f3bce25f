import XCTest
@testable import ProviderKit
@testable import WS2Host
@testable import WS2Base

/// Disjoint handle spaces: a provider's SOCKETs (bit 31 clear) and the
/// upcall handles of WPUXxxCreateSocketHandle (bit 31 set).
final class HandleSpaceTests: XCTestCase {
    final class Box { let n: Int; init(_ n: Int) { self.n = n } }

    func testSpacesAreDisjointAndTagged() {
        let provider = HandleTable<Box>(capacity: 4)
        let upcall = HandleTable<Box>(capacity: 4, space: .upcall)
        XCTAssertEqual(provider.space, .provider)
        for i in 0..<10_000 {
            let p = provider.insert(Box(i))!, u = upcall.insert(Box(i))!
            XCTAssertEqual(p & 0x8000_0000, 0)
            XCTAssertNotEqual(u & 0x8000_0000, 0)
            XCTAssertNotEqual(u, 0xFFFF_FFFF)
            XCTAssertTrue(HandleSpace.provider.contains(p))
            XCTAssertTrue(HandleSpace.upcall.contains(u))
            // Same slot, other table: the generation compare rejects it.
            XCTAssertNil(provider.lookup(u))
            XCTAssertNil(upcall.lookup(p))
            XCTAssertNil(provider.remove(u))
            XCTAssertNil(upcall.remove(p))
            XCTAssertEqual(provider.remove(p)?.n, i)
            XCTAssertEqual(upcall.remove(u)?.n, i)
        }
    }

    /// A slot whose generation reaches the end of its space is retired, not
    /// wrapped into the other space.
    func testSlotRetiresAtTheEndOfItsSpace() {
        let table = HandleTable<Box>(capacity: 1, space: .upcall)
        var seen = Set<UInt32>()
        var n = 0
        while let h = table.insert(Box(n)) {
            XCTAssertTrue(HandleSpace.upcall.contains(h))
            XCTAssertTrue(seen.insert(h).inserted, "handle \(h) reused")
            XCTAssertNotNil(table.remove(h))
            n += 1
        }
        XCTAssertEqual(n, 0x8000, "one slot serves every generation of the space once")
        XCTAssertEqual(table.count, 0)
    }

    func testRemoveAllWhere() {
        let table = HandleTable<Box>(capacity: 16)
        let hs = (0..<10).map { table.insert(Box($0))! }
        let removed = table.removeAll { $0.n % 2 == 0 }
        XCTAssertEqual(removed.map(\.n).sorted(), [0, 2, 4, 6, 8])
        for (i, h) in hs.enumerated() { XCTAssertEqual(table.lookup(h) == nil, i % 2 == 0) }
        XCTAssertEqual(table.count, 5)
    }

    func testSocketHandlesCloseAllOfAProvider() throws {
        let a = try SocketHandles.create(provider: 4242, context: nil)
        let b = try SocketHandles.create(provider: 4243, context: UnsafeMutableRawPointer(bitPattern: 8))
        XCTAssertTrue(SocketHandles.isUpcallHandle(a))
        XCTAssertEqual(SocketHandles.provider(of: a), 4242)
        XCTAssertEqual(SocketHandles.closeAll(provider: 4242), 1)
        XCTAssertNil(SocketHandles.provider(of: a))
        XCTAssertEqual(SocketHandles.provider(of: b), 4243)
        try SocketHandles.close(b)
        XCTAssertThrowsError(try SocketHandles.close(b))
    }
}
