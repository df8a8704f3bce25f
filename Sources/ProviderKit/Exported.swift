// ProviderKit re-exports WS2Base: a provider sees WSAError, the syscall
// layer (Sys) and HandleTable through `import ProviderKit` alone.
@_exported import WS2Base
