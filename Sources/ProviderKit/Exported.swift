// ProviderKit re-exports WS2Base and the C types of ws2spi.h (CWS2SPI): a
// provider sees WSAError, the syscall layer (Sys), HandleTable and every
// SPI type through `import ProviderKit` alone.
@_exported import WS2Base
@_exported import CWS2SPI
// ProtocolEntry (a PROTOCOL_INFO) and the catalog's protocol tables.
@_exported import WS2Catalog
