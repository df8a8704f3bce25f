// libws2spi.so: the TCP/IP provider behind ProviderKit's export thunks.
// A library for another provider is this file with its own provider type.
import ProviderKit
import TCPIPProvider

@_cdecl("ws2spi_provider_instance")
public func ws2spi_provider_instance() -> UnsafeMutableRawPointer {
    Unmanaged.passUnretained(TCPIPProvider.shared as AnyObject).toOpaque()
}
