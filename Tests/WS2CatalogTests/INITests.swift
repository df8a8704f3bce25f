// The INI document keeps every byte it does not mean to change, and the
// catalog edits of §2.1.2 on top of it.
import XCTest
@testable import WS2Catalog

/// The draft's §2.1.2 example, as printed (odd spacing, a stray
/// SocketDescription1, repeated MinimumAddressLength0), with comments and a
/// section of other software around it.
let draftExample = """
; WINSOCK2.INI written by hand
[Providers]
NumProviders=2
ProviderKey0="novlwp"
ProviderKey1="FTP"

[Provider-novlwp]
ProviderFilename="novlwp.WPSP"
ProviderDescription="Novell LAN WorkPlace for DOS"
 ProviderDomain=2
ProviderAddrLength=8
NumSockets=3
SocketType0=1
AddressFamily0=2
Protocol0=2
MinimumAddressLength0 = 16
MaximumAddressLength0 = 16
ProtocolAttributes0 = 0x00001066
ProtocolSocketDescription0="Stream socket in INET domain"
SocketType1=2
SocketDescription1="Dgram socket in INET domain"
SocketType2=3
MinimumAddressLength0 = 16
MaximumAddressLength0 = 16
ProtocolAttributes0 = 0x00001609
ProtocolSocketDescription2="Raw socket in INET domain"

; the FTP stack
[Provider-FTP]
ProviderFilename='C:\\FTP\\FTPWSP.DLL'
ProviderDescription = "FTP Software PC/TCP"
NumSockets=0

[Other Vendor]
Setting = 'kept' ; as is
weird line without equals

"""

func lines(_ s: String) -> [Substring] { s.split(separator: "\n", omittingEmptySubsequences: false) }

/// Whether every line of `original` appears in `result`, in order.
func isSubsequence(_ original: String, of result: String) -> Bool {
    var it = lines(result).makeIterator()
    outer: for line in lines(original) where !line.isEmpty {
        while let r = it.next() { if r == line { continue outer } }
        return false
    }
    return true
}

let tcpip: [ProtocolEntry] = TCPIPProtocols.all

final class INITests: XCTestCase {
    func testRoundTripIsByteExact() {
        for text in [draftExample, "", "\n", "no newline at end", "[A]\r\nk=v\r\n", "\u{FEFF}[A]\nk = \"v\" \n\n\n"] {
            XCTAssertEqual(INIDocument(text).text, text)
        }
        // Bytes that are not UTF-8 (a Latin-1 description) survive.
        let latin1: [UInt8] = Array("[Provider-x]\nProviderDescription=\"Caf".utf8) + [0xE9] + Array("\"\n".utf8)
        XCTAssertEqual(INIDocument(bytes: latin1).bytes, latin1)
    }

    func testReadsTheDraftExample() {
        let providers = INIDocument(draftExample).providerRecords()
        XCTAssertEqual(providers.map(\.name), ["novlwp", "FTP"])
        let novlwp = providers[0]
        XCTAssertEqual(novlwp.filename, "novlwp.WPSP")
        XCTAssertEqual(novlwp.description, "Novell LAN WorkPlace for DOS")
        XCTAssertEqual(novlwp.domain, 2)          // " ProviderDomain=2": leading space
        XCTAssertEqual(novlwp.addressLength, 8)
        XCTAssertNil(novlwp.id)
        XCTAssertEqual(novlwp.protocols.count, 3)
        XCTAssertEqual(novlwp.protocols[0], ProtocolEntry(serviceFlags: 0x1066, addressFamily: 2, maxSockAddr: 16,
                                                          minSockAddr: 16, socketType: 1, protocol: 2, messageSize: 0,
                                                          description: "Stream socket in INET domain"))
        // Entry 1 has only a type and the draft's other description spelling.
        XCTAssertEqual(novlwp.protocols[1].socketType, 2)
        XCTAssertEqual(novlwp.protocols[1].description, "Dgram socket in INET domain")
        XCTAssertEqual(novlwp.protocols[1].maxSockAddr, 8)       // ProviderAddrLength by default
        XCTAssertEqual(novlwp.protocols[2].description, "Raw socket in INET domain")
        XCTAssertEqual(providers[1].filename, "C:\\FTP\\FTPWSP.DLL")   // single quotes
        XCTAssertEqual(providers[1].description, "FTP Software PC/TCP")
        XCTAssertEqual(novlwp.value(forKey: "protocolattributes0"), "0x00001066")   // first one wins
    }

    func testInstallKeepsEverythingElse() throws {
        var doc = INIDocument(draftExample)
        let id = try doc.install(name: "tcpip", path: "/usr/lib/libws2spi.so.2", description: "TCP/IP",
                                 protocols: tcpip, extraEntries: [.init(key: "ListenBacklogLimit", value: "128")])
        XCTAssertEqual(id, 1)
        let text = doc.text
        XCTAssertTrue(isSubsequence(draftExample.replacingOccurrences(of: "NumProviders=2", with: ""), of: text), text)
        XCTAssertTrue(text.contains("NumProviders=3\nProviderKey0=\"novlwp\"\nProviderKey1=\"FTP\"\nProviderKey2=\"tcpip\"\n"), text)
        let expected = """
        [Provider-tcpip]
        ProviderFilename="/usr/lib/libws2spi.so.2"
        ProviderDescription="TCP/IP"
        ProviderDomain=2
        ProviderAddrLength=16
        NumSockets=2
        SocketType0=1
        AddressFamily0=2
        Protocol0=6
        MinimumAddressLength0=16
        MaximumAddressLength0=16
        ProtocolAttributes0=0x00001066
        ProtocolSocketDescription0="TCP/IP"
        MessageSize0=0
        SocketType1=2
        AddressFamily1=2
        Protocol1=17
        MinimumAddressLength1=16
        MaximumAddressLength1=16
        ProtocolAttributes1=0x00001609
        ProtocolSocketDescription1="UDP/IP"
        MessageSize1=65507
        ProviderId=1
        ListenBacklogLimit=128

        """
        XCTAssertTrue(text.hasSuffix("weird line without equals\n\n" + expected), text)
        let record = doc.providerRecords()[2]
        XCTAssertEqual(record.protocols, tcpip)
        XCTAssertEqual(record.id, 1)
        XCTAssertEqual(record.value(forKey: "ListenBacklogLimit"), "128")
        // Install then remove gives the file back, byte for byte.
        doc.remove(name: "tcpip")
        XCTAssertEqual(doc.text, draftExample)
    }

    func testRemoveRenumbersAndKeepsStyle() throws {
        let text = """
        [Providers]
        NumProviders = 3
        ProviderKey0 = "a"
        ; keep me
        ProviderKey1 = 'b'
        ProviderKey2="c"\r
        Extra=1

        [Provider-a]
        ProviderId=1

        ; about b
        [Provider-b]
        ProviderId=2
        [Provider-c]
        ProviderId=3
        """
        var doc = INIDocument(text)
        doc.remove(name: "A")   // names are case-insensitive
        XCTAssertEqual(doc.text, """
        [Providers]
        NumProviders = 2
        ; keep me
        ProviderKey0 = 'b'
        ProviderKey1="c"\r
        Extra=1

        ; about b
        [Provider-b]
        ProviderId=2
        [Provider-c]
        ProviderId=3
        """)
        doc.remove(name: "c")
        XCTAssertEqual(doc.providerRecords().map(\.name), ["b"])
        XCTAssertTrue(doc.text.hasSuffix("[Provider-b]\nProviderId=2"), doc.text)
        doc.remove(name: "b")
        XCTAssertTrue(doc.text.hasPrefix("[Providers]\nNumProviders = 0\n; keep me\nExtra=1\n"), doc.text)
        XCTAssertTrue(doc.text.contains("; about b"))
    }

    func testUnsortedKeysAndGapsAreRenumberedInOrder() throws {
        var doc = INIDocument("[Providers]\nNumProviders=3\nProviderKey5=\"z\"\nProviderKey1=\"x\"\nProviderKey3=\"y\"\n")
        XCTAssertEqual(doc.providerRecords().map(\.name), ["x", "y", "z"])
        _ = try doc.install(name: "w", path: "/w.so", description: "w", protocols: [TCPIPProtocols.tcp], extraEntries: [])
        XCTAssertTrue(doc.text.hasPrefix("[Providers]\nNumProviders=4\nProviderKey2=\"z\"\nProviderKey0=\"x\"\nProviderKey1=\"y\"\nProviderKey3=\"w\"\n"), doc.text)
        XCTAssertEqual(doc.providerRecords().map(\.name), ["x", "y", "z", "w"])
        XCTAssertFalse(doc.providerRecords()[0].hasSection)
    }

    func testCRLFFilesGetCRLFLines() throws {
        var doc = INIDocument("[Providers]\r\nNumProviders=0\r\n")
        _ = try doc.install(name: "t", path: "/t.so", description: "t", protocols: [TCPIPProtocols.udp], extraEntries: [])
        let text = doc.text
        XCTAssertTrue(text.hasPrefix("[Providers]\r\nNumProviders=1\r\nProviderKey0=\"t\"\r\n\r\n[Provider-t]\r\n"), text)
        XCTAssertFalse(text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    func testIdsAreUniqueAndDuplicatesRefused() throws {
        var doc = INIDocument("")
        var ids: [UInt32] = []
        for n in ["a", "b", "c"] {
            ids.append(try doc.install(name: n, path: "/\(n).so", description: n, protocols: tcpip, extraEntries: []))
        }
        XCTAssertEqual(ids, [1, 2, 3])
        doc.remove(name: "b")
        XCTAssertEqual(try doc.install(name: "d", path: "/d.so", description: "d", protocols: tcpip, extraEntries: []), 4)
        XCTAssertThrowsError(try doc.install(name: "A", path: "/x.so", description: "", protocols: tcpip, extraEntries: [])) {
            XCTAssertEqual($0 as? CatalogError, .duplicateName("A"))
        }
        XCTAssertEqual(doc.providerRecords().map(\.name), ["a", "c", "d"])
        XCTAssertEqual(doc.providerRecords().map(\.index), [0, 1, 2])
        XCTAssertTrue(doc.text.hasPrefix("[Providers]\nNumProviders=3\nProviderKey0=\"a\"\nProviderKey1=\"c\"\nProviderKey2=\"d\"\n"), doc.text)
    }

    func testNumbersAndQuotes() {
        XCTAssertEqual(parseNumber(Array("0x00001066".utf8)), 0x1066)
        XCTAssertEqual(parseNumber(Array("0X1f".utf8)), 0x1F)
        XCTAssertEqual(parseNumber(Array("-1".utf8)), UInt32.max)
        XCTAssertEqual(parseNumber(Array("65507".utf8)), 65507)
        XCTAssertNil(parseNumber(Array("12a".utf8)))
        XCTAssertNil(parseNumber(Array("".utf8)))
        XCTAssertEqual(hex8(0x1609), "0x00001609")
        let line = INILine(raw: Array("  Key = \"a \"quoted\" b\"  ".utf8))
        XCTAssertEqual(line.kind, .entry)
        XCTAssertEqual(line.name, "Key")
        XCTAssertEqual(line.valueString, "a \"quoted\" b")
        XCTAssertEqual(String(decoding: line.replacingValue("x").raw, as: UTF8.self), "  Key = \"x\"")
        XCTAssertEqual(String(decoding: line.renamingKey("Other").raw, as: UTF8.self), "  Other = \"a \"quoted\" b\"  ")
        XCTAssertEqual(indexSuffix("providerkey12", prefix: "ProviderKey"), 12)
        XCTAssertNil(indexSuffix("ProviderKey", prefix: "ProviderKey"))
        XCTAssertNil(indexSuffix("ProviderKeyX", prefix: "ProviderKey"))
    }
}
