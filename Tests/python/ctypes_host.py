#!/usr/bin/env python3
"""A host in another language: Python's ctypes loads libws2spi.so.2 and
drives the provider through its C entry points (issue 2: "any host can load
it"). Types follow the header's LLP64 model: DWORD and u_long are 32 bits,
SOCKET is a 32-bit unsigned. Prints "N passed, M failed"."""
import ctypes as C
import struct
import sys

DWORD, SOCKET, WORD = C.c_uint32, C.c_uint32, C.c_uint16
INVALID_SOCKET, SOCKET_ERROR = 0xFFFFFFFF, -1
AF_INET, SOCK_STREAM, SOCK_DGRAM, IPPROTO_TCP, IPPROTO_UDP = 2, 1, 2, 6, 17
WSAENOTSOCK, WSANOTINITIALISED = 10038, 10093


class WSADATA(C.Structure):
    _fields_ = [("wVersion", WORD), ("wHighVersion", WORD),
                ("szDescription", C.c_char * 257), ("szSystemStatus", C.c_char * 129),
                ("iMaxSockets", C.c_ushort), ("iMaxUdpDg", C.c_ushort), ("lpVendorInfo", C.c_char_p)]


def sockaddr_in(port, addr=(127, 0, 0, 1)):
    # Winsock layout: u_short family (host order), port and address in network order.
    return C.create_string_buffer(struct.pack("<H", AF_INET) + struct.pack(">H", port) + bytes(addr) + bytes(8), 16)


results = []


def check(name, cond):
    results.append(bool(cond))
    print(("ok " if cond else "not ok ") + name)


def main(path):
    lib = C.CDLL(path)
    err = C.c_int(0)
    P = C.POINTER
    lib.WSPStartup.argtypes = [WORD, P(WSADATA)]
    lib.WSPSocket.argtypes = [C.c_int, C.c_int, C.c_int, DWORD, C.c_int, P(C.c_int)]
    lib.WSPSocket.restype = SOCKET
    lib.WSPBind.argtypes = [SOCKET, C.c_void_p, C.c_int, P(C.c_int)]
    lib.WSPListen.argtypes = [SOCKET, C.c_int, P(C.c_int)]
    lib.WSPGetSockName.argtypes = [SOCKET, C.c_void_p, P(C.c_int), P(C.c_int)]
    lib.WSPConnect.argtypes = [SOCKET, C.c_void_p, C.c_int, C.c_void_p, C.c_void_p, C.c_uint32, C.c_void_p, C.c_void_p, P(C.c_int)]
    lib.WSPAccept.argtypes = [SOCKET, C.c_void_p, P(C.c_int), C.c_void_p, DWORD, P(C.c_int)]
    lib.WSPAccept.restype = SOCKET
    lib.WSPSend.argtypes = [SOCKET, C.c_void_p, DWORD, P(DWORD), C.c_int, C.c_void_p, C.c_void_p, P(C.c_int)]
    lib.WSPRecv.argtypes = [SOCKET, C.c_void_p, DWORD, P(DWORD), P(C.c_int), C.c_void_p, C.c_void_p, P(C.c_int)]
    lib.WSPCloseSocket.argtypes = [SOCKET, P(C.c_int)]
    lib.WSPCleanup.argtypes = [C.c_void_p, DWORD, P(C.c_int)]

    check("WSANOTINITIALISED before WSPStartup",
          lib.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, C.byref(err)) == INVALID_SOCKET and err.value == WSANOTINITIALISED)
    data = WSADATA()
    check("WSPStartup(2.0)", lib.WSPStartup(0x0002, C.byref(data)) == 0 and data.wVersion == 0x0002)
    check("szDescription is text", len(data.szDescription) > 0)

    listener = lib.WSPSocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, 0, C.byref(err))
    check("WSPSocket", listener != INVALID_SOCKET)
    check("WSPBind", lib.WSPBind(listener, sockaddr_in(0), 16, C.byref(err)) == 0)
    check("WSPListen", lib.WSPListen(listener, 5, C.byref(err)) == 0)
    name, namelen = C.create_string_buffer(16), C.c_int(16)
    check("WSPGetSockName", lib.WSPGetSockName(listener, name, C.byref(namelen), C.byref(err)) == 0)
    port = struct.unpack(">H", name.raw[2:4])[0]

    client = lib.WSPSocket(AF_INET, SOCK_STREAM, 0, 0, 0, C.byref(err))
    check("WSPConnect", lib.WSPConnect(client, sockaddr_in(port), 16, None, None, 0, None, None, C.byref(err)) == 0)
    server = lib.WSPAccept(listener, None, None, None, 0, C.byref(err))
    check("WSPAccept", server != INVALID_SOCKET)

    msg = b"hello from ctypes"
    sent = DWORD(0)
    check("WSPSend", lib.WSPSend(client, msg, len(msg), C.byref(sent), 0, None, None, C.byref(err)) == 0 and sent.value == len(msg))
    buf, got, flags = C.create_string_buffer(64), DWORD(0), C.c_int(0)
    ok = lib.WSPRecv(server, buf, 64, C.byref(got), C.byref(flags), None, None, C.byref(err)) == 0
    check("WSPRecv gets the bytes", ok and buf.raw[:got.value] == msg)

    for s in (client, server, listener):
        lib.WSPCloseSocket(s, C.byref(err))
    check("closed handle is WSAENOTSOCK",
          lib.WSPCloseSocket(client, C.byref(err)) == SOCKET_ERROR and err.value == WSAENOTSOCK)
    check("WSPCleanup", lib.WSPCleanup(None, 0, C.byref(err)) == 0)

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/lib/libws2spi.so.2"))
