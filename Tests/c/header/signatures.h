/* Every function of ws2spi.h, assigned to a pointer of the exact type the
 * draft (Appendix A.2, with LLP64: long -> int32_t) and RULINGS §6/§8/§12
 * give.  A wrong parameter type fails to compile (C: incompatible pointer
 * types under -Werror; C++: error).  WS(x) spells the clashing names in
 * either mode.  In C++ the object file also shows whether the names have
 * C linkage (scripts/header-matrix.sh looks for unmangled references). */

int (*p_WSPBind)(SOCKET, const struct WS(sockaddr) *, int, int *) = WSPBind;
int (*p_WSPCloseSocket)(SOCKET, int *) = WSPCloseSocket;
int (*p_WSPGetPeerName)(SOCKET, struct WS(sockaddr) *, int *, int *) = WSPGetPeerName;
int (*p_WSPGetSockName)(SOCKET, struct WS(sockaddr) *, int *, int *) = WSPGetSockName;
int (*p_WSPGetSockOpt)(SOCKET, int, int, char *, int *, int *) = WSPGetSockOpt;
int (*p_WSPIoctlSocket)(SOCKET, int32_t, WS(u_long) *, int *) = WSPIoctlSocket;
int (*p_WSPListen)(SOCKET, int, int *) = WSPListen;
int (*p_WSPSelect)(int, WS(fd_set) *, WS(fd_set) *, WS(fd_set) *,
                   const struct WS(timeval) *, int *) = WSPSelect;
int (*p_WSPSetSockOpt)(SOCKET, int, int, const char *, int, int *) = WSPSetSockOpt;
int (*p_WSPShutdown)(SOCKET, int, int *) = WSPShutdown;
SOCKET (*p_WSPAccept)(SOCKET, struct WS(sockaddr) *, int *, LPCONDITIONPROC,
                      DWORD, int *) = WSPAccept;
int (*p_WSPAsyncSelect32)(SOCKET, HWND, unsigned int, int32_t, int *) = WSPAsyncSelect32;
int (*p_WSPCallbackSelect16)(SOCKET, LPSELECTPROC, DWORD, int32_t, int *) = WSPCallbackSelect16;
int (*p_WSPCancelBlockingCall32)(int *) = WSPCancelBlockingCall32;
int (*p_WSPCleanup)(LPCLEANUPPROC, DWORD, int *) = WSPCleanup;
int (*p_WSPConnect)(SOCKET, const struct WS(sockaddr) *, int, LPWSABUF, LPWSABUF,
                    GROUP, LPQOS, LPQOS, int *) = WSPConnect;
int (*p_WSPEnumNetworkEvents)(SOCKET, WSAEVENT, LPWSANETWORKEVENT, LPINT, int *) = WSPEnumNetworkEvents;
int (*p_WSPEventSelect)(SOCKET, WSAEVENT, int32_t, int *) = WSPEventSelect;
BOOL (*p_WSPIsBlocking32)(void) = WSPIsBlocking32;
int (*p_WSPRecv)(SOCKET, LPVOID, DWORD, LPDWORD, LPINT, LPWSAOVERLAPPED,
                 LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *) = WSPRecv;
int (*p_WSPRecvFrom)(SOCKET, LPVOID, DWORD, LPDWORD, LPINT, LPVOID, LPINT,
                     LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *) = WSPRecvFrom;
int (*p_WSPSend)(SOCKET, LPVOID, DWORD, LPDWORD, int, LPWSAOVERLAPPED,
                 LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *) = WSPSend;
int (*p_WSPSendTo)(SOCKET, LPVOID, DWORD, LPDWORD, int, LPVOID, int, LPWSAOVERLAPPED,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *) = WSPSendTo;
LPBLOCKINGPROC (*p_WSPSetBlockingHook32)(LPBLOCKINGPROC, int *) = WSPSetBlockingHook32;
SOCKET (*p_WSPSocket)(int, int, int, DWORD, int, int *) = WSPSocket;
int (*p_WSPStartup)(WORD, LPWSADATA) = WSPStartup;
int (*p_WSPUnhookBlockingHook32)(int *) = WSPUnhookBlockingHook32;
int (*p___WSAFDIsSet)(SOCKET, WS(fd_set) *) = __WSAFDIsSet;

SOCKET (*p_WPUXxxCreateSocketHandle)(DWORD, LPVOID, int *) = WPUXxxCreateSocketHandle;
int (*p_WPUXxxCloseSocketHandle)(SOCKET, int *) = WPUXxxCloseSocketHandle;
int (*p_WPUXxxQuerySocketHandleContext)(SOCKET, LPVOID *, int *) = WPUXxxQuerySocketHandleContext;
int (*p_WPUXxxSetSocketHandleContext)(SOCKET, LPVOID, int *) = WPUXxxSetSocketHandleContext;
int (*p_WPUXxxQueueUserAPC32)(DWORD, LPWSAUSERAPC, DWORD, int *) = WPUXxxQueueUserAPC32;
DWORD (*p_WPUXxxGetCurrentThreadId32)(void) = WPUXxxGetCurrentThreadId32;
int (*p_WPUInstallProvider)(const char *, const char *, const PROTOCOL_INFO *, DWORD,
                            DWORD *, int *) = WPUInstallProvider;
int (*p_WPUDeinstallProvider)(DWORD, int *) = WPUDeinstallProvider;

WSAEVENT (*p_WSACreateEvent)(void) = WSACreateEvent;
BOOL (*p_WSASetEvent)(WSAEVENT) = WSASetEvent;
BOOL (*p_WSAResetEvent)(WSAEVENT) = WSAResetEvent;
BOOL (*p_WSACloseEvent)(WSAEVENT) = WSACloseEvent;
DWORD (*p_WSAWaitForMultipleEvents)(DWORD, const WSAEVENT *, BOOL, DWORD, BOOL) = WSAWaitForMultipleEvents;
int (*p_WSAGetLastError)(void) = WSAGetLastError;
void (*p_WSASetLastError)(int) = WSASetLastError;
DWORD (*p_SleepEx)(DWORD, BOOL) = SleepEx;
HWND (*p_WS2CreateMessageWindow)(void) = WS2CreateMessageWindow;
BOOL (*p_WS2DestroyMessageWindow)(HWND) = WS2DestroyMessageWindow;
BOOL (*p_WS2GetMessage)(WS2MSG *, HWND, DWORD) = WS2GetMessage;
BOOL (*p_WSAGetOverlappedResult)(SOCKET, LPWSAOVERLAPPED, LPDWORD, BOOL, LPDWORD) = WSAGetOverlappedResult;
int (*p_WSAEnumProtocols)(LPINT, PROTOCOL_INFO *, LPDWORD) = WSAEnumProtocols;

/* Callback types */
BOOL (*t_blocking)(void) = (LPBLOCKINGPROC)0;
void (*t_cleanup)(int, DWORD) = (LPCLEANUPPROC)0;
int (*t_condition)(LPWSABUF, LPWSABUF, LPWSABUF, LPWSABUF, GROUP *, DWORD) = (LPCONDITIONPROC)0;
void (*t_select)(SOCKET, int32_t, int, DWORD) = (LPSELECTPROC)0;
void (*t_apc)(DWORD) = (LPWSAUSERAPC)0;
void (*t_completion)(DWORD, DWORD, LPWSAOVERLAPPED) = (LPWSAOVERLAPPED_COMPLETION_ROUTINE)0;
