// ws2ctl: install, remove, list and probe Winsock service providers in the
// configuration database (WINSOCK2.INI layout, RULINGS §12).
import ArgumentParser
import Glibc
import WS2Catalog

@main
struct WS2Ctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws2ctl",
        abstract: "Manage the Winsock 2 service provider catalog (WINSOCK2.INI).",
        discussion: """
            The catalog is the file named by --catalog, else $WINSOCK2_INI, else \
            \(CatalogFile.defaultPath). Updates are atomic and serialised with every other \
            program that installs providers (a lock file beside the catalog).

            Exit status: 0 success; 1 the request was refused (duplicate name, unknown \
            provider, bad name); 2 the catalog cannot be read or written; 3 the catalog stayed \
            locked by another process; 4 the provider library is missing or not a provider; \
            5 the probe's self-test failed; 64 bad usage.
            """,
        version: "2.0.0",
        subcommands: [Install.self, Remove.self, List.self, Probe.self, Check.self, NewProvider.self])
}

/// --catalog, shared by every command.
struct CatalogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The catalog file (default: $WINSOCK2_INI, else \(CatalogFile.defaultPath)).", valueName: "FILE"))
    var catalog: String?

    var file: CatalogFile { CatalogFile(path: catalog) }
}

/// --lock-timeout, for the commands that update the catalog.
struct LockOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Seconds to wait for another program's update of the catalog.", valueName: "SECONDS"))
    var lockTimeout: Double = 5

    func validate() throws {
        guard lockTimeout >= 0, lockTimeout <= 86_400 else {
            throw ValidationError("--lock-timeout must be between 0 and 86400 seconds")
        }
    }

    var duration: Duration { .milliseconds(Int64(lockTimeout * 1000)) }
}

/// A failure with its one-line message and exit status.
struct Failure: Error {
    let message: String
    let status: Int32

    static let refused: Int32 = 1, catalogIO: Int32 = 2, locked: Int32 = 3, badLibrary: Int32 = 4, selfTest: Int32 = 5

    init(_ message: String, status: Int32) {
        self.message = message
        self.status = status
    }

    init(_ error: CatalogError) {
        switch error {
        case .io: self.init(error.description, status: Failure.catalogIO)
        case .locked: self.init(error.description, status: Failure.locked)
        default: self.init(error.description, status: Failure.refused)
        }
    }
}

/// Runs a command body: a Failure becomes "ws2ctl: error: ..." on stderr
/// and its exit status.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as Failure {
        printError(failure.message)
        throw ExitCode(failure.status)
    } catch let error as CatalogError {
        printError(error.description)
        throw ExitCode(Failure(error).status)
    }
}

func printError(_ message: String) {
    var line = "ws2ctl: error: \(message)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// stdout, flushed before exit.
func say(_ text: String) {
    print(text)
}
