import XCTest
import Dispatch
@testable import ProviderKit
@testable import WS2Host
@testable import WS2Base

final class HandleTableTests: XCTestCase {
    final class Box { let n: Int; init(_ n: Int) { self.n = n } }

    func testInsertLookupRemove() {
        let table = HandleTable<Box>(capacity: 8)
        let h = table.insert(Box(1))!
        XCTAssertEqual(table.lookup(h)?.n, 1)
        XCTAssertEqual(table.remove(h)?.n, 1)
        XCTAssertNil(table.lookup(h))
        XCTAssertNil(table.remove(h), "a handle is removed once")
    }

    func testHandlesNeverZeroOrInvalidSocket() {
        let table = HandleTable<Box>()
        XCTAssertEqual(table.capacity, 65534)
        var handles: [UInt32] = []
        for i in 0..<1000 { handles.append(table.insert(Box(i))!) }
        for h in handles {
            XCTAssertNotEqual(h, 0)
            XCTAssertNotEqual(h, 0xFFFF_FFFF)
        }
    }

    /// RULINGS §4: a closed handle stays dead however many sockets come after.
    func testClosedHandlesNeverAlias() {
        let table = HandleTable<Box>(capacity: 4)
        var dead = Set<UInt32>()
        var live = Set<UInt32>()
        for i in 0..<20_000 {
            let h = table.insert(Box(i))!
            XCTAssertFalse(dead.contains(h), "handle \(h) reused")
            live.insert(h)
            if live.count == 4 {
                let victim = live.removeFirst()
                XCTAssertNotNil(table.remove(victim))
                dead.insert(victim)
            }
        }
        for h in dead { XCTAssertNil(table.lookup(h)) }
    }

    func testFullTableAndRecovery() {
        let table = HandleTable<Box>(capacity: 3)
        let hs = (0..<3).map { table.insert(Box($0))! }
        XCTAssertNil(table.insert(Box(9)), "no slot left")
        XCTAssertEqual(table.count, 3)
        _ = table.remove(hs[1])
        XCTAssertNotNil(table.insert(Box(10)))
    }

    func testForeignHandles() {
        let table = HandleTable<Box>(capacity: 8)
        _ = table.insert(Box(0))
        for h: UInt32 in [0, 9, 0xFFFF_FFFF, 0x0002_0001, 12345] { XCTAssertNil(table.lookup(h)) }
    }

    func testRemoveAll() {
        let table = HandleTable<Box>(capacity: 16)
        let hs = (0..<10).map { table.insert(Box($0))! }
        XCTAssertEqual(table.removeAll().count, 10)
        for h in hs { XCTAssertNil(table.lookup(h)) }
        XCTAssertEqual(table.count, 0)
    }

    func testConcurrentUse() {
        let table = HandleTable<Box>(capacity: 1024)
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0..<5000 {
                let h = table.insert(Box(i))!
                XCTAssertEqual(table.lookup(h)?.n, i)
                XCTAssertNotNil(table.remove(h))
            }
            _ = t
        }
        XCTAssertEqual(table.count, 0)
    }
}
