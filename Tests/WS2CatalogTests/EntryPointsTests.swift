// ProviderEntryPoints.names is the one list of WSP names: it must be what
// the library exports (scripts/ws2spi.map) and what the header's
// WS2HOST_PROCS holds, member for member.
import XCTest
import Glibc
import CWS2SPI
@testable import WS2Catalog

final class EntryPointsTests: XCTestCase {
    /// The repository file at `relative` (from this file's directory up two).
    func repositoryText(_ relative: String) throws -> String {
        var top = #filePath
        for _ in 0..<3 { top = directory(of: top) }
        let bytes = try XCTUnwrap(try readFile(top + "/" + relative), "\(relative) not found")
        return String(decoding: bytes, as: UTF8.self)
    }

    func testNamesAreTheDraftsTwentySevenInOrder() {
        let names = ProviderEntryPoints.names
        XCTAssertEqual(names.count, 27)
        XCTAssertEqual(Set(names).count, 27)
        XCTAssertEqual(names, names.sorted())
        XCTAssertTrue(names.allSatisfy { $0.hasPrefix("WSP") })
    }

    func testNamesAreExactlyTheExportedWSPSymbols() throws {
        let map = try repositoryText("scripts/ws2spi.map")
        var exported: [String] = []
        for word in map.split(whereSeparator: { " \n\t;".contains($0) }) where word.hasPrefix("WSP") {
            exported.append(String(word))
        }
        XCTAssertEqual(exported.sorted(), ProviderEntryPoints.names)
    }

    func testNamesAreTheMembersOfWS2HOST_PROCS() throws {
        let header = try repositoryText("include/ws2spi.h")
        let start = try XCTUnwrap(header.range(of: "typedef struct WS2HOST_PROCS {"))
        let end = try XCTUnwrap(header.range(of: "} WS2HOST_PROCS;", range: start.upperBound..<header.endIndex))
        var members: [String] = []
        var rest = header[start.upperBound..<end.lowerBound]
        while let r = rest.range(of: "*lp") {
            let name = rest[r.upperBound...].prefix { $0.isLetter || $0.isNumber }
            members.append(String(name))
            rest = rest[r.upperBound...]
        }
        XCTAssertEqual(members, ProviderEntryPoints.names)
        XCTAssertEqual(MemoryLayout<WS2HOST_PROCS>.size, 27 * MemoryLayout<UnsafeRawPointer>.size)
    }
}
