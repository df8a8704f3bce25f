// The names a provider library exports: the one list, for every program that
// loads providers (the host API, ws2ctl probe / install, the WS2SPI module).

/// The SPI entry points of the draft (§3; RULINGS §1), all of which a
/// provider library exports.
public enum ProviderEntryPoints {
    /// The 27 WSPxxx names, in alphabetical order, which is also the member
    /// order of ws2spi.h's WS2HOST_PROCS (the host API fills it from this list).
    public static let names: [String] = [
        "WSPAccept", "WSPAsyncSelect32", "WSPBind", "WSPCallbackSelect16", "WSPCancelBlockingCall32",
        "WSPCleanup", "WSPCloseSocket", "WSPConnect", "WSPEnumNetworkEvents", "WSPEventSelect",
        "WSPGetPeerName", "WSPGetSockName", "WSPGetSockOpt", "WSPIoctlSocket", "WSPIsBlocking32",
        "WSPListen", "WSPRecv", "WSPRecvFrom", "WSPSelect", "WSPSend", "WSPSendTo",
        "WSPSetBlockingHook32", "WSPSetSockOpt", "WSPShutdown", "WSPSocket", "WSPStartup",
        "WSPUnhookBlockingHook32",
    ]
}
