// The one loader of provider libraries: dlopen, then every entry point of
// `ProviderEntryPoints.names` into ws2spi.h's WS2HOST_PROCS, whose members are
// the C function pointer types. The host API (libws2_32's WS2HostStartup),
// the WS2SPI module and `ws2ctl probe` all load providers through it.
import Glibc
import CWS2SPI

/// Why a provider library could not be loaded.
public enum ProviderLibraryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// dlopen failed (no such file, not a shared object, missing dependency).
    case cannotOpen(path: String, reason: String)
    /// The library lacks SPI entry points (the first few named, and how many).
    case notAProvider(path: String, missing: [String])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot load \(path): \(reason)"
        case let .notAProvider(path, missing):
            let n = ProviderEntryPoints.names.count
            if missing.count == n {
                return "\(path) is not a Winsock service provider: it exports none of the \(n) WSP entry points (\(missing[0]), ...)"
            }
            let what = missing.count > 4 ? "\(missing.prefix(4).joined(separator: ", ")) and \(missing.count - 4) more"
                : missing.joined(separator: ", ")
            return "\(path) is not a Winsock service provider: it does not export \(what)"
        }
    }
}

/// A provider library opened with dlopen, and its entry points.
public struct ProviderLibrary: @unchecked Sendable {
    /// The path as given to dlopen.
    public let path: String
    /// The dlopen handle; lookups use it, never the global namespace, so a
    /// program that links another provider still calls this one.
    public let handle: UnsafeMutableRawPointer
    /// The 27 entry points, every member set.
    public let procs: WS2HOST_PROCS

    /// dlopen(path) (RTLD_NOW | RTLD_LOCAL) and every entry point. A library
    /// that is not a provider is closed again.
    public static func open(_ path: String) throws(ProviderLibraryError) -> ProviderLibrary {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .cannotOpen(path: path, reason: dlerror().map { String(cString: $0) } ?? "dlopen failed")
        }
        do throws(ProviderLibraryError) {
            return ProviderLibrary(path: path, handle: handle, procs: try entryPoints(handle, path: path))
        } catch {
            dlclose(handle)
            throw error
        }
    }

    /// WS2HOST_PROCS of an open library: member i is `ProviderEntryPoints.names[i]`.
    public static func entryPoints(_ handle: UnsafeMutableRawPointer, path: String) throws(ProviderLibraryError) -> WS2HOST_PROCS {
        let names = ProviderEntryPoints.names
        let found = names.map { dlsym(handle, $0) }
        let missing = zip(names, found).filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else { throw .notAProvider(path: path, missing: missing) }
        var procs = WS2HOST_PROCS()
        withUnsafeMutableBytes(of: &procs) { raw in
            precondition(raw.count == names.count * MemoryLayout<UnsafeMutableRawPointer?>.stride)
            for (i, p) in found.enumerated() {
                raw.storeBytes(of: p, toByteOffset: i * MemoryLayout<UnsafeMutableRawPointer?>.stride,
                               as: UnsafeMutableRawPointer?.self)
            }
        }
        return procs
    }
}
