// Blocking hooks (RULINGS §5): per-thread state. There is no default hook:
// a blocking call blocks its thread in the kernel.
import ProviderKit
import CWS2SPI

extension TCPIPProvider {
    public func setBlockingHook(_ hook: LPBLOCKINGPROC?) throws(WSAError) -> LPBLOCKINGPROC? {
        try requireStarted()
        guard let hook else { throw .fault }
        let previous = ws2spi_tls_blocking_hook()
        ws2spi_tls_set_blocking_hook(hook)
        return previous
    }

    public func unhookBlockingHook() throws(WSAError) {
        try requireStarted()
        ws2spi_tls_set_blocking_hook(nil)
    }

    public func isBlocking() -> Bool {
        ws2spi_tls_blocking_depth() > 0
    }

    public func cancelBlockingCall() throws(WSAError) {
        try requireStarted()
        // Only a hook, running inside this thread's blocking call, can cancel it.
        guard ws2spi_tls_blocking_depth() > 0 else { throw .invalidArgument }
    }
}
