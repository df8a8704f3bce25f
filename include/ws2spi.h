/* ws2spi.h -- definitions for Winsock 2 service providers and their hosts.
 *
 * This header corresponds to version 2.0 of the Winsock SPI specification
 * (the 1995 working draft, Appendix A.2), as settled by RULINGS.md, for the
 * Linux library libws2spi.so.
 *
 * Parts of it derive from the BSD headers sys/types.h, sys/time.h,
 * netdb.h, netinet/in.h and sys/socket.h, which are Copyright (c)
 * 1982-1986 Regents of the University of California.
 *
 * How to read this file
 * ---------------------
 * - ABI.  Every size, field offset and constant equals what the draft's
 *   header yields when compiled for Windows x64 (the LLP64 data model):
 *   `long`, `u_long` and `DWORD` are 32 bits, SOCKET and GROUP are 32-bit
 *   unsigned, BOOL is a 32-bit int, pointers are native.  On Linux `long`
 *   is 64 bits (LP64), so this file never spells `long`: it writes
 *   int32_t / uint32_t instead.  The ABI probe (shared/abi, run by
 *   scripts/header-matrix.sh) checks every one.
 *
 * - Two spellings.  Many BSD-socket names of Winsock (fd_set, struct
 *   sockaddr, AF_INET, SO_REUSEADDR, EWOULDBLOCK, ...) are also defined by
 *   the C library with different values or layouts.  Every such name is
 *   defined here once, with a `WS_` prefix (struct WS_sockaddr, WS_fd_set,
 *   WS_AF_INET, ...).  Then:
 *     * with USE_WS_PREFIX defined, only the WS_ names exist, so a file can
 *       use Linux sockets and Winsock side by side, and a Clang module
 *       (Swift) can import this header next to Glibc;
 *     * without it (the default, Winsock's own spelling), the plain names
 *       are macros for the WS_ ones ("#define fd_set WS_fd_set"), so the
 *       Winsock definitions win over glibc's even when <stdlib.h> (which
 *       brings glibc's fd_set, FD_SET and struct timeval) came first.
 *   WS(x) spells a name in the current mode: WS(AF_INET).
 *   Names with no C-library counterpart (SOCKET, WSADATA, WSA*, WSP*, the
 *   FD_READ ... network-event bits, ...) have only their Winsock spelling.
 *
 * - Without USE_WS_PREFIX the header includes glibc's <sys/types.h>,
 *   <sys/select.h> and <sys/time.h> itself, before its own definitions, so
 *   that their later inclusion is a no-op.  Glibc headers that declare
 *   socket structures (<sys/socket.h>, <netinet/in.h>, <netdb.h>, ...)
 *   cannot be combined with that mode: use USE_WS_PREFIX for that.
 */

#ifndef _WS2SPI_
#define _WS2SPI_

#include <stddef.h>     /* NULL */
#include <stdint.h>     /* the fixed-width types of the LLP64 model */

/*
 * The C library's select/time headers, default mode only: included now so
 * that they are parsed with glibc's own names (their include guards make
 * any later #include a no-op); the macros at the end of this file then
 * point the plain names at the Winsock definitions.  A FD_SETSIZE the user
 * defined before including this file (as the draft allows) is kept for
 * Winsock and hidden from glibc meanwhile.
 */
#ifndef USE_WS_PREFIX
#  if defined(FD_SETSIZE) && !defined(_SYS_SELECT_H) && !defined(WS_FD_SETSIZE)
#    define WS2SPI_USER_FD_SETSIZE_
#    pragma push_macro("FD_SETSIZE")
#    undef FD_SETSIZE
#  endif
#  include <sys/types.h>
#  include <sys/select.h>
#  include <sys/time.h>
#  undef FD_SETSIZE
#  ifdef WS2SPI_USER_FD_SETSIZE_
#    pragma pop_macro("FD_SETSIZE")
#    define WS_FD_SETSIZE FD_SETSIZE
#  endif
#endif

#ifndef WS
#  ifdef USE_WS_PREFIX
#    define WS(x) WS_##x
#  else
#    define WS(x) x
#  endif
#endif

/* ------------------------------------------------------------------------
 * The windows.h subset the header needs.  The draft pulls in <windows.h>;
 * Linux has none, so the Win64 meaning of each name is spelled out here.
 * Skipped when a windows.h is already in (_INC_WINDOWS, as the draft
 * prescribes, or a Wine/MinGW _WINDEF_); each macro is guarded alone.
 * ------------------------------------------------------------------------ */
#if !defined(_INC_WINDOWS) && !defined(_WINDEF_)
typedef uint8_t         BYTE;
typedef unsigned char   UCHAR;
typedef uint16_t        WORD;
typedef uint32_t        DWORD;     /* 32 bits: LLP64 */
typedef int32_t         LONG;      /* 32 bits: LLP64 */
typedef int32_t         BOOL;
typedef int             INT;
typedef unsigned int    UINT;
typedef uintptr_t       WPARAM;    /* pointer-sized: 64 bits */
typedef intptr_t        LPARAM;    /* pointer-sized: 64 bits */
typedef void           *HANDLE;
typedef struct HWND__  *HWND;      /* opaque: a message window of WS2CreateMessageWindow */
typedef void           *LPVOID;
typedef int            *LPINT;
typedef DWORD          *LPDWORD;
typedef char           *LPSTR;
#endif

#ifndef VOID
#define VOID void
#endif
#ifndef FAR
#define FAR                         /* segmented-memory qualifier: nothing today */
#endif
#ifndef CALLBACK
#define CALLBACK                    /* calling conventions: the platform's C one */
#endif
#ifndef TRUE
#define TRUE  1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef INFINITE
#define INFINITE 0xFFFFFFFF
#endif
#ifndef MAKEWORD
#define MAKEWORD(low, high) ((WORD)(((BYTE)(low)) | (((WORD)((BYTE)(high))) << 8)))
#endif
#ifndef MAKELONG
#define MAKELONG(low, high) \
    ((LONG)(((WORD)((uintptr_t)(low) & 0xffff)) | \
            ((DWORD)((WORD)((uintptr_t)(high) & 0xffff))) << 16))
#endif
#ifndef LOWORD
#define LOWORD(l)  ((WORD)((uintptr_t)(l) & 0xffff))
#endif
#ifndef HIWORD
#define HIWORD(l)  ((WORD)(((uintptr_t)(l) >> 16) & 0xffff))
#endif
#ifndef LOBYTE
#define LOBYTE(w)  ((BYTE)((uintptr_t)(w) & 0xff))
#endif
#ifndef HIBYTE
#define HIBYTE(w)  ((BYTE)(((uintptr_t)(w) >> 8) & 0xff))
#endif

/*
 * SPI function linkage: the draft's `#define WSPAPI WSPAPI` stood for a
 * Windows calling convention; here it is the platform C convention.
 */
#define WSPAPI
#define WSACALLBACK

/* ------------------------------------------------------------------------
 * Basic system types, from the BSD file sys/types.h.  u_long is 32 bits.
 * ------------------------------------------------------------------------ */
typedef unsigned char   WS_u_char;
typedef unsigned short  WS_u_short;
typedef unsigned int    WS_u_int;
typedef uint32_t        WS_u_long;

/* The type used for every socket handle. */
typedef WS_u_int        SOCKET;

/* ------------------------------------------------------------------------
 * select() sets: arrays of SOCKETs with a count, unlike glibc's bit masks.
 * FD_SETSIZE may be defined before including this file (WS_FD_SETSIZE
 * with USE_WS_PREFIX); the default is 64.  A provider reads each set up to
 * its own fd_count, so any FD_SETSIZE works with the library.
 * The macros keep the draft's logic; the casts only silence -Wsign-compare.
 * ------------------------------------------------------------------------ */
#ifndef WS_FD_SETSIZE
#define WS_FD_SETSIZE   64
#endif

typedef struct WS_fd_set {
    WS_u_short  fd_count;                   /* how many are SET? */
    SOCKET      fd_array[WS_FD_SETSIZE];    /* an array of SOCKETs */
} WS_fd_set;

#ifdef __cplusplus
extern "C" {
#endif
extern int WSPAPI __WSAFDIsSet(SOCKET, WS_fd_set *);
#ifdef __cplusplus
}
#endif

#define WS_FD_CLR(fd, set) do { \
    WS_u_int __i; \
    for (__i = 0; __i < (WS_u_int)((WS_fd_set *)(set))->fd_count; __i++) { \
        if (((WS_fd_set *)(set))->fd_array[__i] == (SOCKET)(fd)) { \
            while (__i + 1 < (WS_u_int)((WS_fd_set *)(set))->fd_count) { \
                ((WS_fd_set *)(set))->fd_array[__i] = \
                    ((WS_fd_set *)(set))->fd_array[__i + 1]; \
                __i++; \
            } \
            ((WS_fd_set *)(set))->fd_count--; \
            break; \
        } \
    } \
} while (0)

#define WS_FD_SET(fd, set) do { \
    if (((WS_fd_set *)(set))->fd_count < WS_FD_SETSIZE) \
        ((WS_fd_set *)(set))->fd_array[((WS_fd_set *)(set))->fd_count++] = (SOCKET)(fd); \
} while (0)

#define WS_FD_ZERO(set) (((WS_fd_set *)(set))->fd_count = 0)

#define WS_FD_ISSET(fd, set) __WSAFDIsSet((SOCKET)(fd), (WS_fd_set *)(set))

/* ------------------------------------------------------------------------
 * select() timeout, from the BSD file sys/time.h: two 32-bit longs.
 * NB: timercmp does not work for >= or <=.
 * ------------------------------------------------------------------------ */
struct WS_timeval {
    int32_t     tv_sec;         /* seconds (draft: long) */
    int32_t     tv_usec;        /* and microseconds (draft: long) */
};

#define WS_timerisset(tvp)          ((tvp)->tv_sec || (tvp)->tv_usec)
#define WS_timercmp(tvp, uvp, cmp) \
    ((tvp)->tv_sec cmp (uvp)->tv_sec || \
     ((tvp)->tv_sec == (uvp)->tv_sec && (tvp)->tv_usec cmp (uvp)->tv_usec))
#define WS_timerclear(tvp)          ((tvp)->tv_sec = (tvp)->tv_usec = 0)

/* ------------------------------------------------------------------------
 * Commands for ioctlsocket(), from the BSD file fcntl.h.  The command is in
 * the low word, the parameter size in the high word, whose top 2 bits say
 * in/out; parameters are at most 128 bytes.  The size is a 32-bit long.
 * ------------------------------------------------------------------------ */
#define WS_IOCPARM_MASK 0x7f            /* parameters must be < 128 bytes */
#define WS_IOC_VOID     0x20000000      /* no parameters */
#define WS_IOC_OUT      0x40000000      /* copy out parameters */
#define WS_IOC_IN       0x80000000      /* copy in parameters */
#define WS_IOC_INOUT    (WS_IOC_IN | WS_IOC_OUT)

#define WS__IO(x, y)     (WS_IOC_VOID | ((x) << 8) | (y))
#define WS__IOR(x, y, t) (WS_IOC_OUT | (((int32_t)sizeof(t) & WS_IOCPARM_MASK) << 16) | ((x) << 8) | (y))
#define WS__IOW(x, y, t) (WS_IOC_IN  | (((int32_t)sizeof(t) & WS_IOCPARM_MASK) << 16) | ((x) << 8) | (y))

/*
 * The commands are the values of the draft's _IOR/_IOW expressions written
 * out (same value, same type), so that Swift, which imports literals but
 * not function-like macros, sees them too.  Tests/c/header checks each
 * against its expression.
 */
#define WS_FIONREAD     0x4004667F      /* _IOR('f', 127, u_long): get # bytes to read */
#define WS_FIONBIO      0x8004667E      /* _IOW('f', 126, u_long): set/clear non-blocking i/o */
#define WS_FIOASYNC     0x8004667D      /* _IOW('f', 125, u_long): set/clear async i/o */

/* Socket I/O controls */
#define WS_SIOCSHIWAT   0x80047300      /* _IOW('s', 0, u_long): set high watermark */
#define WS_SIOCGHIWAT   0x40047301      /* _IOR('s', 1, u_long): get high watermark */
#define WS_SIOCSLOWAT   0x80047302      /* _IOW('s', 2, u_long): set low watermark */
#define WS_SIOCGLOWAT   0x40047303      /* _IOR('s', 3, u_long): get low watermark */
#define WS_SIOCATMARK   0x40047307      /* _IOR('s', 7, u_long): at oob mark? */

/* ------------------------------------------------------------------------
 * Network data base structures, from the BSD file netdb.h.  Addresses are
 * supplied in host order and returned in network order.
 * ------------------------------------------------------------------------ */
struct WS_hostent {
    char       *h_name;         /* official name of host */
    char      **h_aliases;      /* alias list */
    short       h_addrtype;     /* host address type */
    short       h_length;       /* length of address */
    char      **h_addr_list;    /* list of addresses */
};
#define WS_h_addr       h_addr_list[0]  /* address, for backward compat */

/* A network number is assumed to fit in 32 bits. */
struct WS_netent {
    char       *n_name;         /* official name of net */
    char      **n_aliases;      /* alias list */
    short       n_addrtype;     /* net address type */
    WS_u_long   n_net;          /* network # */
};

struct WS_servent {
    char       *s_name;         /* official service name */
    char      **s_aliases;      /* alias list */
    short       s_port;         /* port # */
    char       *s_proto;        /* protocol to use */
};

struct WS_protoent {
    char       *p_name;         /* official protocol name */
    char      **p_aliases;      /* alias list */
    short       p_proto;        /* protocol # */
};

/* ------------------------------------------------------------------------
 * Internet constants and structures, per RFC 790, September 1981, from the
 * BSD file netinet/in.h.
 * ------------------------------------------------------------------------ */

/* Protocols */
#define WS_IPPROTO_IP           0       /* dummy for IP */
#define WS_IPPROTO_ICMP         1       /* control message protocol */
#define WS_IPPROTO_GGP          2       /* gateway^2 (deprecated) */
#define WS_IPPROTO_TCP          6       /* tcp */
#define WS_IPPROTO_PUP          12      /* pup */
#define WS_IPPROTO_UDP          17      /* user datagram protocol */
#define WS_IPPROTO_IDP          22      /* xns idp */
#define WS_IPPROTO_ND           77      /* UNOFFICIAL net disk proto */
#define WS_IPPROTO_RAW          255     /* raw IP packet */
#define WS_IPPROTO_MAX          256

/* Port/socket numbers: network standard functions */
#define WS_IPPORT_ECHO          7
#define WS_IPPORT_DISCARD       9
#define WS_IPPORT_SYSTAT        11
#define WS_IPPORT_DAYTIME       13
#define WS_IPPORT_NETSTAT       15
#define WS_IPPORT_FTP           21
#define WS_IPPORT_TELNET        23
#define WS_IPPORT_SMTP          25
#define WS_IPPORT_TIMESERVER    37
#define WS_IPPORT_NAMESERVER    42
#define WS_IPPORT_WHOIS         43
#define WS_IPPORT_MTP           57

/* Port/socket numbers: host specific functions */
#define WS_IPPORT_TFTP          69
#define WS_IPPORT_RJE           77
#define WS_IPPORT_FINGER        79
#define WS_IPPORT_TTYLINK       87
#define WS_IPPORT_SUPDUP        95

/* UNIX TCP sockets */
#define WS_IPPORT_EXECSERVER    512
#define WS_IPPORT_LOGINSERVER   513
#define WS_IPPORT_CMDSERVER     514
#define WS_IPPORT_EFSSERVER     520

/* UNIX UDP sockets */
#define WS_IPPORT_BIFFUDP       512
#define WS_IPPORT_WHOSERVER     513
#define WS_IPPORT_ROUTESERVER   520     /* 520+1 also used */

/* Ports < IPPORT_RESERVED are reserved for privileged processes (root). */
#define WS_IPPORT_RESERVED      1024

/* Link numbers */
#define WS_IMPLINK_IP           155
#define WS_IMPLINK_LOWEXPER     156
#define WS_IMPLINK_HIGHEXPER    158

/* Internet address (old style... should be updated) */
struct WS_in_addr {
    union {
        struct { WS_u_char s_b1, s_b2, s_b3, s_b4; } S_un_b;
        struct { WS_u_short s_w1, s_w2; } S_un_w;
        WS_u_long S_addr;
    } S_un;
};
#define WS_s_addr       S_un.S_addr             /* can be used for most tcp & ip code */
#define WS_s_host       S_un.S_un_b.s_b2        /* host on imp */
#define WS_s_net        S_un.S_un_b.s_b1        /* network */
#define WS_s_imp        S_un.S_un_w.s_w2        /* imp */
#define WS_s_impno      S_un.S_un_b.s_b4        /* imp # */
#define WS_s_lh         S_un.S_un_b.s_b3        /* logical host */

/*
 * Bits in internet address integers.  On subnets, addresses are split into
 * host and net parts by the subnet mask, not by these masks.
 */
#define WS_IN_CLASSA(i)         (((int32_t)(i) & 0x80000000) == 0)
#define WS_IN_CLASSA_NET        0xff000000
#define WS_IN_CLASSA_NSHIFT     24
#define WS_IN_CLASSA_HOST       0x00ffffff
#define WS_IN_CLASSA_MAX        128

#define WS_IN_CLASSB(i)         (((int32_t)(i) & 0xc0000000) == 0x80000000)
#define WS_IN_CLASSB_NET        0xffff0000
#define WS_IN_CLASSB_NSHIFT     16
#define WS_IN_CLASSB_HOST       0x0000ffff
#define WS_IN_CLASSB_MAX        65536

#define WS_IN_CLASSC(i)         (((int32_t)(i) & 0xc0000000) == 0xc0000000)
#define WS_IN_CLASSC_NET        0xffffff00
#define WS_IN_CLASSC_NSHIFT     8
#define WS_IN_CLASSC_HOST       0x000000ff

#define WS_INADDR_ANY           ((WS_u_long)0x00000000)
#define WS_INADDR_LOOPBACK      0x7f000001
#define WS_INADDR_BROADCAST     ((WS_u_long)0xffffffff)
#define WS_INADDR_NONE          0xffffffff

/* Winsock extension */
#define ADDR_ANY                WS_INADDR_ANY

/* Socket address, internet style. */
struct WS_sockaddr_in {
    short               sin_family;
    WS_u_short          sin_port;
    struct WS_in_addr   sin_addr;
    char                sin_zero[8];
};

/* Socket address, AF_UNIX style: Windows' afunix.h (not in the draft; the
 * AF_UNIX provider's).  sun_path is a NUL-terminated path name, or, with a
 * leading NUL, a name in Linux's abstract namespace whose length is the
 * address length less the family field. */
#define WS_UNIX_PATH_MAX        108
struct WS_sockaddr_un {
    WS_u_short          sun_family;
    char                sun_path[WS_UNIX_PATH_MAX];
};

/* ------------------------------------------------------------------------
 * WSPStartup() data.
 * ------------------------------------------------------------------------ */
#define WSADESCRIPTION_LEN      256
#define WSASYS_STATUS_LEN       128

typedef struct WSAData {
    WORD            wVersion;
    WORD            wHighVersion;
    char            szDescription[WSADESCRIPTION_LEN + 1];
    char            szSystemStatus[WSASYS_STATUS_LEN + 1];
    unsigned short  iMaxSockets;
    unsigned short  iMaxUdpDg;
    char           *lpVendorInfo;
} WSADATA;

typedef WSADATA *LPWSADATA;

/* ------------------------------------------------------------------------
 * Socket types, address families and options, from the BSD file
 * sys/socket.h, with the Winsock extensions.  These are Winsock's numbers;
 * the provider translates them to Linux's.
 * ------------------------------------------------------------------------ */

/* Options for [gs]etsockopt at the IP level. */
#define WS_IP_OPTIONS           1       /* set/get IP per-packet options */

/* Used instead of -1, since the SOCKET type is unsigned. */
#define INVALID_SOCKET          ((SOCKET)0xFFFFFFFF)   /* (SOCKET)(~0), spelled for Swift */
#define SOCKET_ERROR            (-1)

/* Types */
#define WS_SOCK_STREAM          1       /* stream socket */
#define WS_SOCK_DGRAM           2       /* datagram socket */
#define WS_SOCK_RAW             3       /* raw-protocol interface */
#define WS_SOCK_RDM             4       /* reliably-delivered message */
#define WS_SOCK_SEQPACKET       5       /* sequenced packet stream */

/*
 * Types -- Winsock extensions, named
 * SOCK[_REL|_UNREL][_ISOCH][_UNISEND|_UNIRECV][_STREAM|_DGRAM|_DSTREAM]
 */
#define WS_SOCK_REL_STREAM              WS_SOCK_STREAM
#define WS_SOCK_REL_DSTREAM             WS_SOCK_SEQPACKET
#define WS_SOCK_UNREL_DSTREAM           101
#define WS_SOCK_REL_UNISEND_DSTREAM     102
#define WS_SOCK_REL_UNIRECV_DSTREAM     103
#define WS_SOCK_UNREL_UNISEND_DSTREAM   104
#define WS_SOCK_UNREL_UNIRECV_DSTREAM   105
#define WS_SOCK_REL_DGRAM               106
#define WS_SOCK_UNREL_DGRAM             WS_SOCK_DGRAM
#define WS_SOCK_REL_ISOCH_DSTREAM       201
#define WS_SOCK_UNREL_ISOCH_DSTREAM     202
#define WS_SOCK_UNREL_ISOCH_STREAM      203

/* Option flags per socket. */
#define WS_SO_DEBUG             0x0001  /* turn on debugging info recording */
#define WS_SO_ACCEPTCONN        0x0002  /* socket has had listen() */
#define WS_SO_REUSEADDR         0x0004  /* allow local address reuse */
#define WS_SO_KEEPALIVE         0x0008  /* keep connections alive */
#define WS_SO_DONTROUTE         0x0010  /* just use interface addresses */
#define WS_SO_BROADCAST         0x0020  /* permit sending of broadcast msgs */
#define WS_SO_USELOOPBACK       0x0040  /* bypass hardware when possible */
#define WS_SO_LINGER            0x0080  /* linger on close if data present */
#define WS_SO_OOBINLINE         0x0100  /* leave received OOB data in line */

#define WS_SO_DONTLINGER        (-129)  /* (int)(~SO_LINGER), spelled for Swift */

/* Additional options. */
#define WS_SO_SNDBUF            0x1001  /* send buffer size */
#define WS_SO_RCVBUF            0x1002  /* receive buffer size */
#define WS_SO_SNDLOWAT          0x1003  /* send low-water mark */
#define WS_SO_RCVLOWAT          0x1004  /* receive low-water mark */
#define WS_SO_SNDTIMEO          0x1005  /* send timeout */
#define WS_SO_RCVTIMEO          0x1006  /* receive timeout */
#define WS_SO_ERROR             0x1007  /* get error status and clear */
#define WS_SO_TYPE              0x1008  /* get socket type */

/* Winsock extension -- options */
#define WS_SO_FLOWSPEC          0x2001  /* flow spec for sockets */
#define WS_SO_GROUP_FLOWSPEC    0x2002  /* flow spec for socket groups */
#define WS_SO_GROUP_ID          0x2003  /* sharing the same physical connection */
#define WS_SO_GROUP_PRIORITY    0x2004  /* the relative priority with a group */
#define WS_SO_MAX_DG_SIZE       0x2005  /* maximum datagram size */
#define WS_SO_MAX_MSGDG_SIZE    WS_SO_MAX_DG_SIZE   /* the name the §2.8 text uses */
/*
 * SO_PROTOCOL_INFO (get only: a PROTOCOL_INFO) is used by the draft's
 * text but numbered nowhere; final Winsock's 0x2004 is SO_GROUP_PRIORITY
 * here, so it takes the next free number of the extension range.
 */
#define WS_SO_PROTOCOL_INFO     0x2006
#define PVD_CALL_ID             0x3001  /* an opaque Winsock call ID */
#define PVD_CONFIG              0x3002  /* configuration info for service provider */
#define TAPI_DEVICE_ID          0x3003  /* a TAPI line device ID */

/* TCP options. */
#define WS_TCP_NODELAY          0x0001
/* "BSD option not supported" (§2.8.4), numbered as in final Winsock. */
#define WS_TCP_MAXSEG           4

/* Address families. */
#define WS_AF_UNSPEC            0       /* unspecified */
#define WS_AF_UNIX              1       /* local to host (pipes, portals) */
#define WS_AF_INET              2       /* internetwork: UDP, TCP, etc. */
#define WS_AF_IMPLINK           3       /* arpanet imp addresses */
#define WS_AF_PUP               4       /* pup protocols: e.g. BSP */
#define WS_AF_CHAOS             5       /* mit CHAOS protocols */
#define WS_AF_NS                6       /* XEROX NS protocols */
#define WS_AF_ISO               7       /* ISO protocols */
#define WS_AF_OSI               WS_AF_ISO /* OSI is ISO */
#define WS_AF_ECMA              8       /* european computer manufacturers */
#define WS_AF_DATAKIT           9       /* datakit protocols */
#define WS_AF_CCITT             10      /* CCITT protocols, X.25 etc */
#define WS_AF_SNA               11      /* IBM SNA */
#define WS_AF_DECnet            12      /* DECnet */
#define WS_AF_DLI               13      /* Direct data link interface */
#define WS_AF_LAT               14      /* LAT */
#define WS_AF_HYLINK            15      /* NSC Hyperchannel */
#define WS_AF_APPLETALK         16      /* AppleTalk */
#define WS_AF_NETBIOS           17      /* NetBios-style addresses */

/* Address families -- Winsock extensions. */
#define WS_AF_IPX               18      /* IPX/SPX addresses */
#define WS_AF_POTS_IT           19      /* POTS addresses for Intel Transport */
#define WS_AF_ISDNQMUX_IT       20      /* ISDN addresses for Intel Transport */
#define WS_AF_INET_SPE          21      /* Internet (SPE version) */
#define WS_AF_IPX_SPE           22      /* IPX/SPX (SPE version) */
#define WS_AF_NETBIOS_SPE       23      /* NetBios (SPE version) */

#define WS_AF_MAX               24

/* The structure used by the kernel to store most addresses. */
struct WS_sockaddr {
    WS_u_short  sa_family;      /* address family */
    char        sa_data[14];    /* up to 14 bytes of direct address */
};

/* Protocol information in raw sockets. */
struct WS_sockproto {
    WS_u_short  sp_family;      /* address family */
    WS_u_short  sp_protocol;    /* protocol */
};

/* Protocol families, same as address families for now. */
#define WS_PF_UNSPEC            WS_AF_UNSPEC
#define WS_PF_UNIX              WS_AF_UNIX
#define WS_PF_INET              WS_AF_INET
#define WS_PF_IMPLINK           WS_AF_IMPLINK
#define WS_PF_PUP               WS_AF_PUP
#define WS_PF_CHAOS             WS_AF_CHAOS
#define WS_PF_NS                WS_AF_NS
#define WS_PF_ISO               WS_AF_ISO
#define WS_PF_OSI               WS_AF_OSI
#define WS_PF_ECMA              WS_AF_ECMA
#define WS_PF_DATAKIT           WS_AF_DATAKIT
#define WS_PF_CCITT             WS_AF_CCITT
#define WS_PF_SNA               WS_AF_SNA
#define WS_PF_DECnet            WS_AF_DECnet
#define WS_PF_DLI               WS_AF_DLI
#define WS_PF_LAT               WS_AF_LAT
#define WS_PF_HYLINK            WS_AF_HYLINK
#define WS_PF_APPLETALK         WS_AF_APPLETALK
#define WS_PF_NETBIOS           WS_AF_NETBIOS   /* missing from the draft's list */

/* Protocol families -- Winsock extension */
#define WS_PF_IPX               WS_AF_IPX
#define WS_PF_POTS_IT           WS_AF_POTS_IT
#define WS_PF_ISDNQMUX_IT       WS_AF_ISDNQMUX_IT
#define WS_PF_INET_SPE          WS_AF_INET_SPE
#define WS_PF_IPX_SPE           WS_AF_IPX_SPE
#define WS_PF_NETBIOS_SPE       WS_AF_NETBIOS_SPE

#define WS_PF_MAX               WS_AF_MAX

/* The linger option: u_short fields (RULINGS §10). */
struct WS_linger {
    WS_u_short  l_onoff;        /* option on/off */
    WS_u_short  l_linger;       /* linger time */
};

/* Level number for (get/set)sockopt() to apply to the socket itself. */
#define WS_SOL_SOCKET           0xffff  /* options for socket level */

/* Winsock extension -- level for options of the service provider. */
#define WS_SOL_PROVIDER         WS_IPPROTO_TCP

/* Maximum queue length specifiable by listen. */
#define WS_SOMAXCONN            5

#define WS_MSG_OOB              0x1     /* process out-of-band data */
#define WS_MSG_PEEK             0x2     /* peek at incoming message */
#define WS_MSG_DONTROUTE        0x4     /* send without using routing tables */
#define WS_MSG_INTERRUPT        0x8     /* interrupt-time send or recv */
/* WSPRecv/WSPSend: partial message (used by the draft, numbered as in final Winsock). */
#define WS_MSG_PARTIAL          0x8000

#define WS_MSG_MAXIOVLEN        0x10

/* Based on rfc883, used by gethostbyxxxx() calls. */
#define MAXGETHOSTSTRUCT        1024

/* ------------------------------------------------------------------------
 * Winsock extensions: buffers, quality of service, network events,
 * condition functions, shutdown, groups.
 * ------------------------------------------------------------------------ */
typedef struct _WSABUF {
    int         len;            /* the length of the buffer */
    char       *buf;            /* the pointer to the buffer */
} WSABUF, *LPWSABUF;

typedef enum _GUARANTEE {
    GuaranteedService,
    BestEffortService
} GUARANTEE;

/* The draft's int64 / int32 are the <stdint.h> types. */
typedef struct _flowparams {
    int64_t     AverageBandwidth;       /* in bytes/sec */
    int64_t     PeakBandwidth;          /* in bytes/sec */
    int64_t     BurstLength;            /* in microseconds */
    int64_t     Latency;                /* in microseconds */
    int64_t     DelayVariation;         /* in microseconds */
    GUARANTEE   LevelOfGuarantee;       /* guaranteed or best effort */
    int32_t     CostOfCall;             /* reserved for future; must be zero */
    int32_t     ProviderId;             /* provider identifier */
    int32_t     SizePSP;                /* length of provider specific parameters */
    UCHAR       ProviderSpecificParams[1]; /* provider specific parameters */
} FLOWPARAMS;

typedef struct _QOS {
    FLOWPARAMS  ForwardFP;              /* caller (initiator) to callee */
    FLOWPARAMS  BackwardFP;             /* callee to caller */
} QOS, *LPQOS;

/* One element per event bit (RULINGS §7): element FD_READ_BIT is FD_READ. */
typedef struct _WSANETWORKEVENT {
    BOOL        Fired;
    int         ErrorCode;
} WSANETWORKEVENT, *LPWSANETWORKEVENT;

/* Return values of the condition function of WSPAccept(). */
#define CF_ACCEPT               0x0000
#define CF_REJECT               0x0001
#define CF_DEFER                0x0002

/* How for WSPShutdown(). */
#define SD_RECEIVE              0x00
#define SD_SEND                 0x01
#define SD_BOTH                 0x02

/* Socket groups. */
typedef unsigned int            GROUP;

#define SG_UNCONSTRAINED_GROUP  0x01
#define SG_CONSTRAINED_GROUP    0x02

/*
 * Network events for WSPAsyncSelect32(), WSPCallbackSelect16() and
 * WSPEventSelect().  The draft writes 0x01L: a 32-bit long on Windows,
 * so plain int constants here.
 */
#define FD_READ                 0x01
#define FD_WRITE                0x02
#define FD_OOB                  0x04
#define FD_ACCEPT               0x08
#define FD_CONNECT              0x10
#define FD_CLOSE                0x20
/* Winsock extension -- new events */
#define FD_QOS                  0x40
#define FD_GROUP_QOS            0x80

/* Bit numbers of the events: indexes of WSPEnumNetworkEvents()'s array. */
#define FD_READ_BIT             0
#define FD_WRITE_BIT            1
#define FD_OOB_BIT              2
#define FD_ACCEPT_BIT           3
#define FD_CONNECT_BIT          4
#define FD_CLOSE_BIT            5
#define FD_QOS_BIT              6
#define FD_GROUP_QOS_BIT        7
#define FD_MAX_EVENTS           8

/* ------------------------------------------------------------------------
 * Error codes.  Winsock's are biased by WSABASEERR from the "normal" ones.
 * ------------------------------------------------------------------------ */
#define WSABASEERR              10000

/* Winsock definitions of regular Microsoft C error constants */
#define WSAEINTR                (WSABASEERR+4)
#define WSAEBADF                (WSABASEERR+9)
#define WSAEACCES               (WSABASEERR+13)
#define WSAEFAULT               (WSABASEERR+14)
#define WSAEINVAL               (WSABASEERR+22)
#define WSAEMFILE               (WSABASEERR+24)

/* Winsock definitions of regular Berkeley error constants */
#define WSAEWOULDBLOCK          (WSABASEERR+35)
#define WSAEINPROGRESS          (WSABASEERR+36)
#define WSAEALREADY             (WSABASEERR+37)
#define WSAENOTSOCK             (WSABASEERR+38)
#define WSAEDESTADDRREQ         (WSABASEERR+39)
#define WSAEMSGSIZE             (WSABASEERR+40)
#define WSAEPROTOTYPE           (WSABASEERR+41)
#define WSAENOPROTOOPT          (WSABASEERR+42)
#define WSAEPROTONOSUPPORT      (WSABASEERR+43)
#define WSAESOCKTNOSUPPORT      (WSABASEERR+44)
#define WSAEOPNOTSUPP           (WSABASEERR+45)
#define WSAEPFNOSUPPORT         (WSABASEERR+46)
#define WSAEAFNOSUPPORT         (WSABASEERR+47)
#define WSAEADDRINUSE           (WSABASEERR+48)
#define WSAEADDRNOTAVAIL        (WSABASEERR+49)
#define WSAENETDOWN             (WSABASEERR+50)
#define WSAENETUNREACH          (WSABASEERR+51)
#define WSAENETRESET            (WSABASEERR+52)
#define WSAECONNABORTED         (WSABASEERR+53)
#define WSAECONNRESET           (WSABASEERR+54)
#define WSAENOBUFS              (WSABASEERR+55)
#define WSAEISCONN              (WSABASEERR+56)
#define WSAENOTCONN             (WSABASEERR+57)
#define WSAESHUTDOWN            (WSABASEERR+58)
#define WSAETOOMANYREFS         (WSABASEERR+59)
#define WSAETIMEDOUT            (WSABASEERR+60)
#define WSAECONNREFUSED         (WSABASEERR+61)
#define WSAELOOP                (WSABASEERR+62)
#define WSAENAMETOOLONG         (WSABASEERR+63)
#define WSAEHOSTDOWN            (WSABASEERR+64)
#define WSAEHOSTUNREACH         (WSABASEERR+65)
#define WSAENOTEMPTY            (WSABASEERR+66)
#define WSAEPROCLIM             (WSABASEERR+67)
#define WSAEUSERS               (WSABASEERR+68)
#define WSAEDQUOT               (WSABASEERR+69)
#define WSAESTALE               (WSABASEERR+70)
#define WSAEREMOTE              (WSABASEERR+71)

/* Extended Winsock error constants */
#define WSASYSNOTREADY          (WSABASEERR+91)
#define WSAVERNOTSUPPORTED      (WSABASEERR+92)
#define WSANOTINITIALISED       (WSABASEERR+93)

/*
 * Resolver errors, read with WSAGetLastError(), based at WSABASEERR+1001
 * to avoid clashing with other error numbers.  [WSA]NO_ADDRESS is only
 * for compatibility.
 */
#define WS_h_errno              WSAGetLastError()

#define WSAHOST_NOT_FOUND       (WSABASEERR+1001)   /* Authoritative: host not found */
#define WS_HOST_NOT_FOUND       WSAHOST_NOT_FOUND
#define WSATRY_AGAIN            (WSABASEERR+1002)   /* Non-authoritative: host not found, or SERVERFAIL */
#define WS_TRY_AGAIN            WSATRY_AGAIN
#define WSANO_RECOVERY          (WSABASEERR+1003)   /* Non-recoverable: FORMERR, REFUSED, NOTIMP */
#define WS_NO_RECOVERY          WSANO_RECOVERY
#define WSANO_DATA              (WSABASEERR+1004)   /* Valid name, no data record of requested type */
#define WS_NO_DATA              WSANO_DATA
#define WSANO_ADDRESS           WSANO_DATA          /* no address, look for MX record */
#define WS_NO_ADDRESS           WSANO_ADDRESS

/* Winsock errors as regular Berkeley error constants */
#define WS_EWOULDBLOCK          WSAEWOULDBLOCK
#define WS_EINPROGRESS          WSAEINPROGRESS
#define WS_EALREADY             WSAEALREADY
#define WS_ENOTSOCK             WSAENOTSOCK
#define WS_EDESTADDRREQ         WSAEDESTADDRREQ
#define WS_EMSGSIZE             WSAEMSGSIZE
#define WS_EPROTOTYPE           WSAEPROTOTYPE
#define WS_ENOPROTOOPT          WSAENOPROTOOPT
#define WS_EPROTONOSUPPORT      WSAEPROTONOSUPPORT
#define WS_ESOCKTNOSUPPORT      WSAESOCKTNOSUPPORT
#define WS_EOPNOTSUPP           WSAEOPNOTSUPP
#define WS_EPFNOSUPPORT         WSAEPFNOSUPPORT
#define WS_EAFNOSUPPORT         WSAEAFNOSUPPORT
#define WS_EADDRINUSE           WSAEADDRINUSE
#define WS_EADDRNOTAVAIL        WSAEADDRNOTAVAIL
#define WS_ENETDOWN             WSAENETDOWN
#define WS_ENETUNREACH          WSAENETUNREACH
#define WS_ENETRESET            WSAENETRESET
#define WS_ECONNABORTED         WSAECONNABORTED
#define WS_ECONNRESET           WSAECONNRESET
#define WS_ENOBUFS              WSAENOBUFS
#define WS_EISCONN              WSAEISCONN
#define WS_ENOTCONN             WSAENOTCONN
#define WS_ESHUTDOWN            WSAESHUTDOWN
#define WS_ETOOMANYREFS         WSAETOOMANYREFS
#define WS_ETIMEDOUT            WSAETIMEDOUT
#define WS_ECONNREFUSED         WSAECONNREFUSED
#define WS_ELOOP                WSAELOOP
#define WS_ENAMETOOLONG         WSAENAMETOOLONG
#define WS_EHOSTDOWN            WSAEHOSTDOWN
#define WS_EHOSTUNREACH         WSAEHOSTUNREACH
#define WS_ENOTEMPTY            WSAENOTEMPTY
#define WS_EPROCLIM             WSAEPROCLIM
#define WS_EUSERS               WSAEUSERS
#define WS_EDQUOT               WSAEDQUOT
#define WS_ESTALE               WSAESTALE
#define WS_EREMOTE              WSAEREMOTE

/* ------------------------------------------------------------------------
 * Used but never defined by the draft; defined as Winsock 2 later defined
 * them (RULINGS §2, §6, §8, §12).
 * ------------------------------------------------------------------------ */

/* Event objects (manual-reset), a HANDLE as in Win32. */
typedef HANDLE          WSAEVENT;
typedef WSAEVENT       *LPWSAEVENT;

/* WSPSocket() nFlags */
#define WSA_FLAG_OVERLAPPED     0x01

/* Overlapped I/O (the WSPRecv text): Internal holds the status,
 * InternalHigh the bytes transferred (RULINGS §8). */
typedef struct _WSAOVERLAPPED {
    DWORD       Internal;       /* reserved */
    DWORD       InternalHigh;   /* reserved */
    DWORD       Offset;         /* ignored */
    DWORD       OffsetHigh;     /* ignored */
    WSAEVENT    hEvent;
} WSAOVERLAPPED, *LPWSAOVERLAPPED;

/* The completion routine, with the parameters the WSPRecv text gives. */
typedef VOID (CALLBACK *LPWSAOVERLAPPED_COMPLETION_ROUTINE)(
    DWORD               dwError,
    DWORD               cbTransferred,
    LPWSAOVERLAPPED     lpOverlapped);

#define WSA_IO_PENDING          997
#define WSA_IO_INCOMPLETE       996
#define WSA_OPERATION_ABORTED   995
/* Errors of the event functions, as in final Winsock. */
#define WSA_INVALID_HANDLE      6
#define WSA_NOT_ENOUGH_MEMORY   8
#define WSA_INVALID_PARAMETER   87

/* Waiting on event objects (RULINGS §6).  The results are DWORDs, the type
 * WSAWaitForMultipleEvents and SleepEx return, so that Swift compares them
 * without conversions. */
#define WSA_INFINITE            ((DWORD)0xFFFFFFFF)
#define WSA_MAXIMUM_WAIT_EVENTS 64
#define WSA_INVALID_EVENT       ((WSAEVENT)NULL)
#define WSA_WAIT_EVENT_0        ((DWORD)0)
#define WSA_WAIT_TIMEOUT        ((DWORD)258)
#define WSA_WAIT_IO_COMPLETION  ((DWORD)0xC0)
#define WSA_WAIT_FAILED         ((DWORD)0xFFFFFFFF)
#define WAIT_IO_COMPLETION      ((DWORD)0xC0)

/* Window messages of WSPAsyncSelect32 (RULINGS §6): wParam is the socket,
 * lParam is WSAMAKESELECTREPLY(event, error). */
typedef struct WS2MSG {
    HWND        hwnd;
    UINT        message;
    WPARAM      wParam;
    LPARAM      lParam;
} WS2MSG;

/*
 * Protocol description of the Registration and Resolution API (the catalog
 * entries, SO_PROTOCOL_INFO, WPUInstallProvider, WSAEnumProtocols).
 */
typedef struct _PROTOCOL_INFO {
    DWORD       dwServiceFlags;     /* XP_* */
    int         iAddressFamily;
    int         iMaxSockAddr;
    int         iMinSockAddr;
    int         iSocketType;
    int         iProtocol;
    DWORD       dwMessageSize;
    LPSTR       lpProtocol;
} PROTOCOL_INFO, *LPPROTOCOL_INFO;

/* dwServiceFlags; TCP is 0x1066, UDP is 0x1609. */
#define XP_CONNECTIONLESS           0x00000001
#define XP_GUARANTEED_DELIVERY      0x00000002
#define XP_GUARANTEED_ORDER         0x00000004
#define XP_MESSAGE_ORIENTED         0x00000008
#define XP_PSEUDO_STREAM            0x00000010
#define XP_GRACEFUL_CLOSE           0x00000020
#define XP_EXPEDITED_DATA           0x00000040
#define XP_CONNECT_DATA             0x00000080
#define XP_DISCONNECT_DATA          0x00000100
#define XP_SUPPORTS_BROADCAST       0x00000200
#define XP_SUPPORTS_MULTICAST       0x00000400
#define XP_BANDWIDTH_ALLOCATION     0x00000800
#define XP_FRAGMENTATION            0x00001000
#define XP_ENCRYPTS                 0x00002000

/* ------------------------------------------------------------------------
 * Winsock SPI callbacks and function prototypes (exported by
 * libws2spi.so), the upcalls, and the host services of RULINGS §6, §8, §12.
 * ------------------------------------------------------------------------ */
#ifdef __cplusplus
extern "C" {
#endif

typedef BOOL (WSACALLBACK *LPBLOCKINGPROC)(VOID);

typedef VOID (WSACALLBACK *LPCLEANUPPROC)(int ErrorCode,
                                          DWORD dwCallbackData);

typedef int (WSACALLBACK *LPCONDITIONPROC)(LPWSABUF lpCallerId,
                                           LPWSABUF lpCallerData,
                                           LPWSABUF lpCalleeId,
                                           LPWSABUF lpCalleeData,
                                           GROUP *g,
                                           DWORD dwCallbackData);

typedef VOID (WSACALLBACK *LPSELECTPROC)(SOCKET s,
                                         int32_t lEvent,      /* draft: long */
                                         int ErrorCode,
                                         DWORD dwCallbackData);

typedef VOID (*LPWSAUSERAPC)(DWORD dwContext);

/* Berkeley-style functions */

int WSPAPI WSPBind(SOCKET s,
                   const struct WS_sockaddr *name,
                   int namelen,
                   int *lpErrno);

int WSPAPI WSPCloseSocket(SOCKET s,
                          int *lpErrno);

int WSPAPI WSPGetPeerName(SOCKET s,
                          struct WS_sockaddr *name,
                          int *namelen,
                          int *lpErrno);

int WSPAPI WSPGetSockName(SOCKET s,
                          struct WS_sockaddr *name,
                          int *namelen,
                          int *lpErrno);

int WSPAPI WSPGetSockOpt(SOCKET s,
                         int level,
                         int optname,
                         char *optval,
                         int *optlen,
                         int *lpErrno);

int WSPAPI WSPIoctlSocket(SOCKET s,
                          int32_t cmd,                  /* draft: long */
                          WS_u_long *argp,
                          int *lpErrno);

int WSPAPI WSPListen(SOCKET s,
                     int backlog,
                     int *lpErrno);

int WSPAPI WSPSelect(int nfds,
                     WS_fd_set *readfds,
                     WS_fd_set *writefds,
                     WS_fd_set *exceptfds,
                     const struct WS_timeval *timeout,
                     int *lpErrno);

int WSPAPI WSPSetSockOpt(SOCKET s,
                         int level,
                         int optname,
                         const char *optval,
                         int optlen,
                         int *lpErrno);

int WSPAPI WSPShutdown(SOCKET s,
                       int how,
                       int *lpErrno);

/* Microsoft Windows extension functions */

SOCKET WSPAPI WSPAccept(SOCKET s,
                        struct WS_sockaddr *addr,
                        int *addrlen,
                        LPCONDITIONPROC lpfnCondition,
                        DWORD dwCallbackData,
                        int *lpErrno);

int WSPAPI WSPAsyncSelect32(SOCKET s,
                            HWND hWnd,
                            unsigned int wMsg,
                            int32_t lEvent,             /* draft: long lEvnet */
                            int *lpErrno);

int WSPAPI WSPCallbackSelect16(SOCKET s,
                               LPSELECTPROC lpfnCallback,
                               DWORD dwCallbackData,
                               int32_t lEvent,          /* draft: long */
                               int *lpErrno);

int WSPAPI WSPCancelBlockingCall32(int *lpErrno);

int WSPAPI WSPCleanup(LPCLEANUPPROC lpfnCallback,
                      DWORD dwCallbackData,
                      int *lpErrno);

int WSPAPI WSPConnect(SOCKET s,
                      const struct WS_sockaddr *name,
                      int namelen,
                      LPWSABUF lpCallerData,
                      LPWSABUF lpCalleeData,
                      GROUP g,
                      LPQOS lpSFlowspec,
                      LPQOS lpGFlowspec,
                      int *lpErrno);

int WSPAPI WSPEnumNetworkEvents(SOCKET s,
                                WSAEVENT hEventObject,
                                LPWSANETWORKEVENT lpNetworkEvents,
                                LPINT lpiCount,
                                int *lpErrno);

int WSPAPI WSPEventSelect(SOCKET s,
                          WSAEVENT hEventObject,
                          int32_t lNetworkEvents,       /* draft: long */
                          int *lpErrno);

BOOL WSPAPI WSPIsBlocking32(VOID);

int WSPAPI WSPRecv(SOCKET s,
                   LPVOID lpBuffer,
                   DWORD nNumberOfBytesToRecv,
                   LPDWORD lpNumberOfBytesRecvd,
                   LPINT lpFlags,
                   LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                   int *lpErrno);

int WSPAPI WSPRecvFrom(SOCKET s,
                       LPVOID lpBuffer,
                       DWORD nNumberOfBytesToRecv,
                       LPDWORD lpNumberOfBytesRecvd,
                       LPINT lpFlags,
                       LPVOID lpFrom,
                       LPINT lpFromlen,
                       LPWSAOVERLAPPED lpOverlapped,
                       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                       int *lpErrno);

int WSPAPI WSPSend(SOCKET s,
                   LPVOID lpBuffer,
                   DWORD nNumberOfBytesToSend,
                   LPDWORD lpNumberOfBytesSent,
                   int nFlags,
                   LPWSAOVERLAPPED lpOverlapped,
                   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                   int *lpErrno);

int WSPAPI WSPSendTo(SOCKET s,
                     LPVOID lpBuffer,
                     DWORD nNumberOfBytesToSend,
                     LPDWORD lpNumberOfBytesSent,
                     int nFlags,
                     LPVOID lpTo,
                     int nTolen,
                     LPWSAOVERLAPPED lpOverlapped,
                     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                     int *lpErrno);

LPBLOCKINGPROC WSPAPI WSPSetBlockingHook32(LPBLOCKINGPROC lpBlockFunc,
                                           int *lpErrno);

SOCKET WSPAPI WSPSocket(int af,
                        int type,
                        int protocol,
                        DWORD dwProviderId,
                        int nFlags,
                        int *lpErrno);

int WSPAPI WSPStartup(WORD wVersionRequired,
                      LPWSADATA lpWSAData);

int WSPAPI WSPUnhookBlockingHook32(int *lpErrno);

/* Upcalls from service providers to the Winsock DLL */

SOCKET WSPAPI WPUXxxCreateSocketHandle(DWORD dwProviderId,
                                       LPVOID lpContext,
                                       int *lpErrno);

int WSPAPI WPUXxxCloseSocketHandle(SOCKET s,
                                   int *lpErrno);

int WSPAPI WPUXxxQuerySocketHandleContext(SOCKET s,
                                          LPVOID *lpContext,
                                          int *lpErrno);

int WSPAPI WPUXxxSetSocketHandleContext(SOCKET s,
                                        LPVOID lpContext,
                                        int *lpErrno);

int WSPAPI WPUXxxQueueUserAPC32(DWORD dwThreadId,
                                LPWSAUSERAPC lpfnUserApc,
                                DWORD dwContext,
                                int *lpErrno);

DWORD WSPAPI WPUXxxGetCurrentThreadId32(VOID);

/* Upcalls not in the draft (RULINGS §13).  The Winsock DLL (libws2_32.so.2)
 * and each provider are separate libraries; these are what a provider needs
 * of the DLL to share its handles with every other provider.
 *
 * WPUXxxReserveSocketRange reserves SOCKET values for the calling provider
 * library: every SOCKET it hands out has (s >> 16) in [*lpwFirst, *lpwLast],
 * which no other provider and no WPUXxxCreateSocketHandle handle uses.  Call
 * it from every WSPStartup, before starting any thread: it also readies the
 * DLL's state (fork safety), and a library (known by its lpfnCheck) gets the
 * same range each time.  lpfnCheck answers for values of
 * the range (WSAGetOverlappedResult): 0 for a live socket, else
 * WSANOTINITIALISED or WSAENOTSOCK.  Errors: WSAEFAULT, WSAEMFILE (all 16
 * ranges taken).
 * WPUXxxIsEventHandle / WPUXxxIsWindowHandle: TRUE for a live event object /
 * message window.
 * WPUXxxPostMessage posts a message to a message window (WSPAsyncSelect32):
 * FALSE, with WSA_INVALID_HANDLE as the last error, when it is not live.
 * WPUXxxCompleteOverlappedRequest reports the end of an overlapped operation
 * (RULINGS §8): InternalHigh = cbTransferred, Offset = dwFlags, then
 * Internal = dwError; then lpCompletionRoutine(dwError, cbTransferred,
 * lpOverlapped) is queued as an APC to thread dwThreadId (the posting thread's
 * WPUXxxGetCurrentThreadId32), or, without a routine, hEvent (as read when
 * the operation was posted; may be NULL) is set.  Errors: WSAEFAULT;
 * WSAEINVAL when dwThreadId is no live thread (the APC is dropped). */

typedef int (WSPAPI *LPWPUSOCKETCHECKPROC)(SOCKET s);

int WSPAPI WPUXxxReserveSocketRange(LPWPUSOCKETCHECKPROC lpfnCheck,
                                    WORD *lpwFirst,
                                    WORD *lpwLast,
                                    int *lpErrno);

BOOL WSPAPI WPUXxxIsEventHandle(WSAEVENT hEvent);

BOOL WSPAPI WPUXxxIsWindowHandle(HWND hWnd);

BOOL WSPAPI WPUXxxPostMessage(HWND hWnd,
                              UINT Msg,
                              WPARAM wParam,
                              LPARAM lParam);

int WSPAPI WPUXxxCompleteOverlappedRequest(LPWSAOVERLAPPED lpOverlapped,
                                           DWORD dwError,
                                           DWORD cbTransferred,
                                           DWORD dwFlags,
                                           WSAEVENT hEvent,
                                           LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
                                           DWORD dwThreadId,
                                           int *lpErrno);

/* Installation (§5, RULINGS §12) */

int WSPAPI WPUInstallProvider(const char *lpszProviderName,
                              const char *lpszProviderDllPath,
                              const PROTOCOL_INFO *lpProtocolInfoList,
                              DWORD dwNumberOfEntries,
                              DWORD *lpdwProviderId,
                              int *lpErrno);

int WSPAPI WPUDeinstallProvider(DWORD dwProviderId,
                                int *lpErrno);

/* Host services (RULINGS §6): event objects, per-thread last error. */

WSAEVENT WSACreateEvent(void);
BOOL     WSASetEvent(WSAEVENT hEvent);
BOOL     WSAResetEvent(WSAEVENT hEvent);
BOOL     WSACloseEvent(WSAEVENT hEvent);
DWORD    WSAWaitForMultipleEvents(DWORD cEvents,
                                  const WSAEVENT *lphEvents,
                                  BOOL fWaitAll,
                                  DWORD dwTimeout,
                                  BOOL fAlertable);
int      WSAGetLastError(void);
void     WSASetLastError(int iError);

/* Host services: APCs run inside alertable waits (RULINGS §6). */

DWORD    SleepEx(DWORD dwMilliseconds, BOOL bAlertable);

/* Host services: message windows for WSPAsyncSelect32 (RULINGS §6). */

HWND     WS2CreateMessageWindow(void);
BOOL     WS2DestroyMessageWindow(HWND hWnd);
BOOL     WS2GetMessage(WS2MSG *msg, HWND hWnd, DWORD dwTimeout);

/* Host services: overlapped results (RULINGS §8), the catalog (§12). */

BOOL     WSAGetOverlappedResult(SOCKET s,
                                LPWSAOVERLAPPED lpOverlapped,
                                LPDWORD lpcbTransfer,
                                BOOL fWait,
                                LPDWORD lpdwFlags);

int      WSAEnumProtocols(LPINT lpiProtocols,
                          PROTOCOL_INFO *lpProtocolBuffer,
                          LPDWORD lpdwBufferLength);

/* ------------------------------------------------------------------------
 * Host API (not in the draft): what a Winsock DLL does with the catalog of
 * RULINGS §12, for C hosts that load providers.  All names are WS2Host...
 *
 * WS2HostStartup reads the catalog (lpszCatalogPath, or NULL for
 * $WINSOCK2_INI, else /etc/winsock2.ini) and, for each provider in catalog
 * order, dlopen()s its ProviderFilename, looks up every WSPxxx entry point
 * and calls its WSPStartup once, requesting version 2.0.  A provider that
 * cannot be used stays in the list with iStatus != 0 and a one-line reason in
 * lpszStatus (WSASYSNOTREADY: no library, not a provider, no section;
 * WSAVERNOTSUPPORTED or WSPStartup's own code); no call is routed to it.
 * *lpdwNumProviders (may be NULL) gets the number of providers listed.
 * WS2HostGetProvider(i) returns the i-th; pointers stay valid until
 * WS2HostCleanup.
 *
 * WS2HostRoute finds the provider for (af, type, protocol): the first started
 * provider in catalog order with a PROTOCOL_INFO for that triple (protocol 0:
 * the first entry of that af and type); *lplpProtocolInfo (may be NULL) gets
 * the entry.  No entry for af is WSAEAFNOSUPPORT, none of that type in af
 * WSAESOCKTNOSUPPORT, none of that protocol WSAEPROTONOSUPPORT.
 * WS2HostSocket routes, then calls that provider's WSPSocket with the entry's
 * protocol and the provider's id; *lplpProvider says whose Procs to use for
 * every later call on the socket (socket values are per provider).
 *
 * WS2HostCleanup calls WSPCleanup once for each provider that was started,
 * closes the WPUXxxCreateSocketHandle handles still recorded for its id, and
 * dlclose()s it.  Any thread may call any of these; like WSPCleanup, the
 * clean-up must not race with threads still using the records or Procs.
 * Errors (*lpErrno): WSANOTINITIALISED before WS2HostStartup,
 * WSAEINVAL for a second WS2HostStartup, an empty path or an index past the
 * end, WSAEFAULT for a NULL lplpProvider; an unreadable catalog is WSAEACCES
 * (permission) or WSASYSNOTREADY.
 * ------------------------------------------------------------------------ */

/* A loaded provider's entry points (dlsym), called like the exports. */
typedef struct WS2HOST_PROCS {
    SOCKET (WSPAPI *lpWSPAccept)(SOCKET, struct WS_sockaddr *, int *, LPCONDITIONPROC, DWORD, int *);
    int (WSPAPI *lpWSPAsyncSelect32)(SOCKET, HWND, unsigned int, int32_t, int *);
    int (WSPAPI *lpWSPBind)(SOCKET, const struct WS_sockaddr *, int, int *);
    int (WSPAPI *lpWSPCallbackSelect16)(SOCKET, LPSELECTPROC, DWORD, int32_t, int *);
    int (WSPAPI *lpWSPCancelBlockingCall32)(int *);
    int (WSPAPI *lpWSPCleanup)(LPCLEANUPPROC, DWORD, int *);
    int (WSPAPI *lpWSPCloseSocket)(SOCKET, int *);
    int (WSPAPI *lpWSPConnect)(SOCKET, const struct WS_sockaddr *, int, LPWSABUF, LPWSABUF,
                               GROUP, LPQOS, LPQOS, int *);
    int (WSPAPI *lpWSPEnumNetworkEvents)(SOCKET, WSAEVENT, LPWSANETWORKEVENT, LPINT, int *);
    int (WSPAPI *lpWSPEventSelect)(SOCKET, WSAEVENT, int32_t, int *);
    int (WSPAPI *lpWSPGetPeerName)(SOCKET, struct WS_sockaddr *, int *, int *);
    int (WSPAPI *lpWSPGetSockName)(SOCKET, struct WS_sockaddr *, int *, int *);
    int (WSPAPI *lpWSPGetSockOpt)(SOCKET, int, int, char *, int *, int *);
    int (WSPAPI *lpWSPIoctlSocket)(SOCKET, int32_t, WS_u_long *, int *);
    BOOL (WSPAPI *lpWSPIsBlocking32)(VOID);
    int (WSPAPI *lpWSPListen)(SOCKET, int, int *);
    int (WSPAPI *lpWSPRecv)(SOCKET, LPVOID, DWORD, LPDWORD, LPINT, LPWSAOVERLAPPED,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *);
    int (WSPAPI *lpWSPRecvFrom)(SOCKET, LPVOID, DWORD, LPDWORD, LPINT, LPVOID, LPINT,
                                LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *);
    int (WSPAPI *lpWSPSelect)(int, WS_fd_set *, WS_fd_set *, WS_fd_set *,
                              const struct WS_timeval *, int *);
    int (WSPAPI *lpWSPSend)(SOCKET, LPVOID, DWORD, LPDWORD, int, LPWSAOVERLAPPED,
                            LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *);
    int (WSPAPI *lpWSPSendTo)(SOCKET, LPVOID, DWORD, LPDWORD, int, LPVOID, int,
                              LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE, int *);
    LPBLOCKINGPROC (WSPAPI *lpWSPSetBlockingHook32)(LPBLOCKINGPROC, int *);
    int (WSPAPI *lpWSPSetSockOpt)(SOCKET, int, int, const char *, int, int *);
    int (WSPAPI *lpWSPShutdown)(SOCKET, int, int *);
    SOCKET (WSPAPI *lpWSPSocket)(int, int, int, DWORD, int, int *);
    int (WSPAPI *lpWSPStartup)(WORD, LPWSADATA);
    int (WSPAPI *lpWSPUnhookBlockingHook32)(int *);
} WS2HOST_PROCS;

/* One provider of the catalog, as the host loaded it. */
typedef struct WS2HOST_PROVIDER {
    DWORD           dwProviderId;       /* ProviderId (0: the section has none) */
    const char     *lpszName;           /* the provider key of [Providers] */
    const char     *lpszPath;           /* ProviderFilename, as given to dlopen */
    const char     *lpszDescription;    /* ProviderDescription */
    int             iStatus;            /* 0: loaded and started; else a WSA code */
    const char     *lpszStatus;         /* "started", or why not, in one line */
    WORD            wVersion;           /* the version WSPStartup negotiated */
    WORD            wHighVersion;
    WSADATA         WSAData;            /* what WSPStartup returned */
    DWORD           dwNumProtocols;     /* the catalog's PROTOCOL_INFO entries */
    const PROTOCOL_INFO *lpProtocols;
    void           *hLibrary;           /* the dlopen handle (NULL if not loaded) */
    WS2HOST_PROCS   Procs;              /* all NULL unless iStatus is 0 */
} WS2HOST_PROVIDER;

int      WS2HostStartup(const char *lpszCatalogPath,
                        LPDWORD lpdwNumProviders,
                        int *lpErrno);
int      WS2HostCleanup(int *lpErrno);
const WS2HOST_PROVIDER *WS2HostGetProvider(DWORD dwIndex,
                                           int *lpErrno);
const WS2HOST_PROVIDER *WS2HostRoute(int af,
                                     int type,
                                     int protocol,
                                     const PROTOCOL_INFO **lplpProtocolInfo,
                                     int *lpErrno);
SOCKET   WS2HostSocket(int af,
                       int type,
                       int protocol,
                       int nFlags,
                       const WS2HOST_PROVIDER **lplpProvider,
                       int *lpErrno);

#ifdef __cplusplus
}
#endif

/* ------------------------------------------------------------------------
 * Microsoft Windows extended data types.  FD_SET is a macro too, so its
 * typedef is WS_FD_SET like the macro; the others clash with nothing.
 * ------------------------------------------------------------------------ */
typedef struct WS_sockaddr      SOCKADDR;
typedef struct WS_sockaddr     *PSOCKADDR;
typedef struct WS_sockaddr     *LPSOCKADDR;

typedef struct WS_sockaddr_in   SOCKADDR_IN;
typedef struct WS_sockaddr_in  *PSOCKADDR_IN;
typedef struct WS_sockaddr_in  *LPSOCKADDR_IN;

typedef struct WS_sockaddr_un   SOCKADDR_UN;
typedef struct WS_sockaddr_un  *PSOCKADDR_UN;

typedef struct WS_linger        LINGER;
typedef struct WS_linger       *PLINGER;
typedef struct WS_linger       *LPLINGER;

typedef struct WS_in_addr       IN_ADDR;
typedef struct WS_in_addr      *PIN_ADDR;
typedef struct WS_in_addr      *LPIN_ADDR;

typedef struct WS_fd_set        WS_FD_SET;
typedef struct WS_fd_set       *PFD_SET;
typedef struct WS_fd_set       *LPFD_SET;

typedef struct WS_hostent       HOSTENT;
typedef struct WS_hostent      *PHOSTENT;
typedef struct WS_hostent      *LPHOSTENT;

typedef struct WS_servent       SERVENT;
typedef struct WS_servent      *PSERVENT;
typedef struct WS_servent      *LPSERVENT;

typedef struct WS_protoent      PROTOENT;
typedef struct WS_protoent     *PPROTOENT;
typedef struct WS_protoent     *LPPROTOENT;

typedef struct WS_timeval       TIMEVAL;
typedef struct WS_timeval      *PTIMEVAL;
typedef struct WS_timeval      *LPTIMEVAL;

/*
 * Windows message parameters.
 * WSAMAKEASYNCREPLY / WSAMAKESELECTREPLY build the lParam of the reply to
 * WSAAsyncGetXByY() / WSAAsyncSelect(); the others take it apart.
 */
#define WSAMAKEASYNCREPLY(buflen, error)    MAKELONG(buflen, error)
#define WSAMAKESELECTREPLY(event, error)    MAKELONG(event, error)
#define WSAGETASYNCBUFLEN(lParam)           LOWORD(lParam)
#define WSAGETASYNCERROR(lParam)            HIWORD(lParam)
#define WSAGETSELECTEVENT(lParam)           LOWORD(lParam)
#define WSAGETSELECTERROR(lParam)           HIWORD(lParam)

/* ------------------------------------------------------------------------
 * Default mode: Winsock's own spelling.  Each plain name is a macro for
 * its WS_ definition above, so it wins over the C library's (whose
 * headers were included first, under their own names).
 * ------------------------------------------------------------------------ */
#ifndef USE_WS_PREFIX

/* glibc's <sys/select.h> and <sys/time.h> define these as macros. */
#undef FD_SET
#undef FD_CLR
#undef FD_ZERO
#undef FD_ISSET
#undef timerisset
#undef timercmp
#undef timerclear

/* types and structures */
#define u_char                  WS_u_char
#define u_short                 WS_u_short
#define u_int                   WS_u_int
#define u_long                  WS_u_long
#define fd_set                  WS_fd_set
#define timeval                 WS_timeval
#define hostent                 WS_hostent
#define netent                  WS_netent
#define servent                 WS_servent
#define protoent                WS_protoent
#define in_addr                 WS_in_addr
#define sockaddr_in             WS_sockaddr_in
#define sockaddr_un             WS_sockaddr_un
#define UNIX_PATH_MAX           WS_UNIX_PATH_MAX
#define sockaddr                WS_sockaddr
#define sockproto               WS_sockproto
#define linger                  WS_linger

/* select sets and timevals */
#ifndef FD_SETSIZE
#define FD_SETSIZE              WS_FD_SETSIZE
#endif
#define FD_SET                  WS_FD_SET
#define FD_CLR                  WS_FD_CLR
#define FD_ZERO                 WS_FD_ZERO
#define FD_ISSET                WS_FD_ISSET
#define timerisset              WS_timerisset
#define timercmp                WS_timercmp
#define timerclear              WS_timerclear

/* ioctls */
#define IOCPARM_MASK            WS_IOCPARM_MASK
#define IOC_VOID                WS_IOC_VOID
#define IOC_OUT                 WS_IOC_OUT
#define IOC_IN                  WS_IOC_IN
#define IOC_INOUT               WS_IOC_INOUT
#define _IO                     WS__IO
#define _IOR                    WS__IOR
#define _IOW                    WS__IOW
#define FIONREAD                WS_FIONREAD
#define FIONBIO                 WS_FIONBIO
#define FIOASYNC                WS_FIOASYNC
#define SIOCSHIWAT              WS_SIOCSHIWAT
#define SIOCGHIWAT              WS_SIOCGHIWAT
#define SIOCSLOWAT              WS_SIOCSLOWAT
#define SIOCGLOWAT              WS_SIOCGLOWAT
#define SIOCATMARK              WS_SIOCATMARK

/* netdb and internet */
#define h_addr                  WS_h_addr
#define IPPROTO_IP              WS_IPPROTO_IP
#define IPPROTO_ICMP            WS_IPPROTO_ICMP
#define IPPROTO_GGP             WS_IPPROTO_GGP
#define IPPROTO_TCP             WS_IPPROTO_TCP
#define IPPROTO_PUP             WS_IPPROTO_PUP
#define IPPROTO_UDP             WS_IPPROTO_UDP
#define IPPROTO_IDP             WS_IPPROTO_IDP
#define IPPROTO_ND              WS_IPPROTO_ND
#define IPPROTO_RAW             WS_IPPROTO_RAW
#define IPPROTO_MAX             WS_IPPROTO_MAX
#define IPPORT_ECHO             WS_IPPORT_ECHO
#define IPPORT_DISCARD          WS_IPPORT_DISCARD
#define IPPORT_SYSTAT           WS_IPPORT_SYSTAT
#define IPPORT_DAYTIME          WS_IPPORT_DAYTIME
#define IPPORT_NETSTAT          WS_IPPORT_NETSTAT
#define IPPORT_FTP              WS_IPPORT_FTP
#define IPPORT_TELNET           WS_IPPORT_TELNET
#define IPPORT_SMTP             WS_IPPORT_SMTP
#define IPPORT_TIMESERVER       WS_IPPORT_TIMESERVER
#define IPPORT_NAMESERVER       WS_IPPORT_NAMESERVER
#define IPPORT_WHOIS            WS_IPPORT_WHOIS
#define IPPORT_MTP              WS_IPPORT_MTP
#define IPPORT_TFTP             WS_IPPORT_TFTP
#define IPPORT_RJE              WS_IPPORT_RJE
#define IPPORT_FINGER           WS_IPPORT_FINGER
#define IPPORT_TTYLINK          WS_IPPORT_TTYLINK
#define IPPORT_SUPDUP           WS_IPPORT_SUPDUP
#define IPPORT_EXECSERVER       WS_IPPORT_EXECSERVER
#define IPPORT_LOGINSERVER      WS_IPPORT_LOGINSERVER
#define IPPORT_CMDSERVER        WS_IPPORT_CMDSERVER
#define IPPORT_EFSSERVER        WS_IPPORT_EFSSERVER
#define IPPORT_BIFFUDP          WS_IPPORT_BIFFUDP
#define IPPORT_WHOSERVER        WS_IPPORT_WHOSERVER
#define IPPORT_ROUTESERVER      WS_IPPORT_ROUTESERVER
#define IPPORT_RESERVED         WS_IPPORT_RESERVED
#define IMPLINK_IP              WS_IMPLINK_IP
#define IMPLINK_LOWEXPER        WS_IMPLINK_LOWEXPER
#define IMPLINK_HIGHEXPER       WS_IMPLINK_HIGHEXPER
#define s_addr                  WS_s_addr
#define s_host                  WS_s_host
#define s_net                   WS_s_net
#define s_imp                   WS_s_imp
#define s_impno                 WS_s_impno
#define s_lh                    WS_s_lh
#define IN_CLASSA               WS_IN_CLASSA
#define IN_CLASSA_NET           WS_IN_CLASSA_NET
#define IN_CLASSA_NSHIFT        WS_IN_CLASSA_NSHIFT
#define IN_CLASSA_HOST          WS_IN_CLASSA_HOST
#define IN_CLASSA_MAX           WS_IN_CLASSA_MAX
#define IN_CLASSB               WS_IN_CLASSB
#define IN_CLASSB_NET           WS_IN_CLASSB_NET
#define IN_CLASSB_NSHIFT        WS_IN_CLASSB_NSHIFT
#define IN_CLASSB_HOST          WS_IN_CLASSB_HOST
#define IN_CLASSB_MAX           WS_IN_CLASSB_MAX
#define IN_CLASSC               WS_IN_CLASSC
#define IN_CLASSC_NET           WS_IN_CLASSC_NET
#define IN_CLASSC_NSHIFT        WS_IN_CLASSC_NSHIFT
#define IN_CLASSC_HOST          WS_IN_CLASSC_HOST
#define INADDR_ANY              WS_INADDR_ANY
#define INADDR_LOOPBACK         WS_INADDR_LOOPBACK
#define INADDR_BROADCAST        WS_INADDR_BROADCAST
#define INADDR_NONE             WS_INADDR_NONE

/* sockets */
#define IP_OPTIONS              WS_IP_OPTIONS
#define SOCK_STREAM             WS_SOCK_STREAM
#define SOCK_DGRAM              WS_SOCK_DGRAM
#define SOCK_RAW                WS_SOCK_RAW
#define SOCK_RDM                WS_SOCK_RDM
#define SOCK_SEQPACKET          WS_SOCK_SEQPACKET
#define SOCK_REL_STREAM         WS_SOCK_REL_STREAM
#define SOCK_REL_DSTREAM        WS_SOCK_REL_DSTREAM
#define SOCK_UNREL_DSTREAM      WS_SOCK_UNREL_DSTREAM
#define SOCK_REL_UNISEND_DSTREAM    WS_SOCK_REL_UNISEND_DSTREAM
#define SOCK_REL_UNIRECV_DSTREAM    WS_SOCK_REL_UNIRECV_DSTREAM
#define SOCK_UNREL_UNISEND_DSTREAM  WS_SOCK_UNREL_UNISEND_DSTREAM
#define SOCK_UNREL_UNIRECV_DSTREAM  WS_SOCK_UNREL_UNIRECV_DSTREAM
#define SOCK_REL_DGRAM          WS_SOCK_REL_DGRAM
#define SOCK_UNREL_DGRAM        WS_SOCK_UNREL_DGRAM
#define SOCK_REL_ISOCH_DSTREAM  WS_SOCK_REL_ISOCH_DSTREAM
#define SOCK_UNREL_ISOCH_DSTREAM    WS_SOCK_UNREL_ISOCH_DSTREAM
#define SOCK_UNREL_ISOCH_STREAM WS_SOCK_UNREL_ISOCH_STREAM
#define SO_DEBUG                WS_SO_DEBUG
#define SO_ACCEPTCONN           WS_SO_ACCEPTCONN
#define SO_REUSEADDR            WS_SO_REUSEADDR
#define SO_KEEPALIVE            WS_SO_KEEPALIVE
#define SO_DONTROUTE            WS_SO_DONTROUTE
#define SO_BROADCAST            WS_SO_BROADCAST
#define SO_USELOOPBACK          WS_SO_USELOOPBACK
#define SO_LINGER               WS_SO_LINGER
#define SO_OOBINLINE            WS_SO_OOBINLINE
#define SO_DONTLINGER           WS_SO_DONTLINGER
#define SO_SNDBUF               WS_SO_SNDBUF
#define SO_RCVBUF               WS_SO_RCVBUF
#define SO_SNDLOWAT             WS_SO_SNDLOWAT
#define SO_RCVLOWAT             WS_SO_RCVLOWAT
#define SO_SNDTIMEO             WS_SO_SNDTIMEO
#define SO_RCVTIMEO             WS_SO_RCVTIMEO
#define SO_ERROR                WS_SO_ERROR
#define SO_TYPE                 WS_SO_TYPE
#define SO_FLOWSPEC             WS_SO_FLOWSPEC
#define SO_GROUP_FLOWSPEC       WS_SO_GROUP_FLOWSPEC
#define SO_GROUP_ID             WS_SO_GROUP_ID
#define SO_GROUP_PRIORITY       WS_SO_GROUP_PRIORITY
#define SO_MAX_DG_SIZE          WS_SO_MAX_DG_SIZE
#define SO_MAX_MSGDG_SIZE       WS_SO_MAX_MSGDG_SIZE
#define SO_PROTOCOL_INFO        WS_SO_PROTOCOL_INFO
#define TCP_NODELAY             WS_TCP_NODELAY
#define TCP_MAXSEG              WS_TCP_MAXSEG
#define AF_UNSPEC               WS_AF_UNSPEC
#define AF_UNIX                 WS_AF_UNIX
#define AF_INET                 WS_AF_INET
#define AF_IMPLINK              WS_AF_IMPLINK
#define AF_PUP                  WS_AF_PUP
#define AF_CHAOS                WS_AF_CHAOS
#define AF_NS                   WS_AF_NS
#define AF_ISO                  WS_AF_ISO
#define AF_OSI                  WS_AF_OSI
#define AF_ECMA                 WS_AF_ECMA
#define AF_DATAKIT              WS_AF_DATAKIT
#define AF_CCITT                WS_AF_CCITT
#define AF_SNA                  WS_AF_SNA
#define AF_DECnet               WS_AF_DECnet
#define AF_DLI                  WS_AF_DLI
#define AF_LAT                  WS_AF_LAT
#define AF_HYLINK               WS_AF_HYLINK
#define AF_APPLETALK            WS_AF_APPLETALK
#define AF_NETBIOS              WS_AF_NETBIOS
#define AF_IPX                  WS_AF_IPX
#define AF_POTS_IT              WS_AF_POTS_IT
#define AF_ISDNQMUX_IT          WS_AF_ISDNQMUX_IT
#define AF_INET_SPE             WS_AF_INET_SPE
#define AF_IPX_SPE              WS_AF_IPX_SPE
#define AF_NETBIOS_SPE          WS_AF_NETBIOS_SPE
#define AF_MAX                  WS_AF_MAX
#define PF_UNSPEC               WS_PF_UNSPEC
#define PF_UNIX                 WS_PF_UNIX
#define PF_INET                 WS_PF_INET
#define PF_IMPLINK              WS_PF_IMPLINK
#define PF_PUP                  WS_PF_PUP
#define PF_CHAOS                WS_PF_CHAOS
#define PF_NS                   WS_PF_NS
#define PF_ISO                  WS_PF_ISO
#define PF_OSI                  WS_PF_OSI
#define PF_ECMA                 WS_PF_ECMA
#define PF_DATAKIT              WS_PF_DATAKIT
#define PF_CCITT                WS_PF_CCITT
#define PF_SNA                  WS_PF_SNA
#define PF_DECnet               WS_PF_DECnet
#define PF_DLI                  WS_PF_DLI
#define PF_LAT                  WS_PF_LAT
#define PF_HYLINK               WS_PF_HYLINK
#define PF_APPLETALK            WS_PF_APPLETALK
#define PF_NETBIOS              WS_PF_NETBIOS
#define PF_IPX                  WS_PF_IPX
#define PF_POTS_IT              WS_PF_POTS_IT
#define PF_ISDNQMUX_IT          WS_PF_ISDNQMUX_IT
#define PF_INET_SPE             WS_PF_INET_SPE
#define PF_IPX_SPE              WS_PF_IPX_SPE
#define PF_NETBIOS_SPE          WS_PF_NETBIOS_SPE
#define PF_MAX                  WS_PF_MAX
#define SOL_SOCKET              WS_SOL_SOCKET
#define SOL_PROVIDER            WS_SOL_PROVIDER
#define SOMAXCONN               WS_SOMAXCONN
#define MSG_OOB                 WS_MSG_OOB
#define MSG_PEEK                WS_MSG_PEEK
#define MSG_DONTROUTE           WS_MSG_DONTROUTE
#define MSG_INTERRUPT           WS_MSG_INTERRUPT
#define MSG_PARTIAL             WS_MSG_PARTIAL
#define MSG_MAXIOVLEN           WS_MSG_MAXIOVLEN

/* resolver errors and Berkeley error names */
#define h_errno                 WS_h_errno
#define HOST_NOT_FOUND          WS_HOST_NOT_FOUND
#define TRY_AGAIN               WS_TRY_AGAIN
#define NO_RECOVERY             WS_NO_RECOVERY
#define NO_DATA                 WS_NO_DATA
#define NO_ADDRESS              WS_NO_ADDRESS
#define EWOULDBLOCK             WS_EWOULDBLOCK
#define EINPROGRESS             WS_EINPROGRESS
#define EALREADY                WS_EALREADY
#define ENOTSOCK                WS_ENOTSOCK
#define EDESTADDRREQ            WS_EDESTADDRREQ
#define EMSGSIZE                WS_EMSGSIZE
#define EPROTOTYPE              WS_EPROTOTYPE
#define ENOPROTOOPT             WS_ENOPROTOOPT
#define EPROTONOSUPPORT         WS_EPROTONOSUPPORT
#define ESOCKTNOSUPPORT         WS_ESOCKTNOSUPPORT
#define EOPNOTSUPP              WS_EOPNOTSUPP
#define EPFNOSUPPORT            WS_EPFNOSUPPORT
#define EAFNOSUPPORT            WS_EAFNOSUPPORT
#define EADDRINUSE              WS_EADDRINUSE
#define EADDRNOTAVAIL           WS_EADDRNOTAVAIL
#define ENETDOWN                WS_ENETDOWN
#define ENETUNREACH             WS_ENETUNREACH
#define ENETRESET               WS_ENETRESET
#define ECONNABORTED            WS_ECONNABORTED
#define ECONNRESET              WS_ECONNRESET
#define ENOBUFS                 WS_ENOBUFS
#define EISCONN                 WS_EISCONN
#define ENOTCONN                WS_ENOTCONN
#define ESHUTDOWN               WS_ESHUTDOWN
#define ETOOMANYREFS            WS_ETOOMANYREFS
#define ETIMEDOUT               WS_ETIMEDOUT
#define ECONNREFUSED            WS_ECONNREFUSED
#define ELOOP                   WS_ELOOP
#define ENAMETOOLONG            WS_ENAMETOOLONG
#define EHOSTDOWN               WS_EHOSTDOWN
#define EHOSTUNREACH            WS_EHOSTUNREACH
#define ENOTEMPTY               WS_ENOTEMPTY
#define EPROCLIM                WS_EPROCLIM
#define EUSERS                  WS_EUSERS
#define EDQUOT                  WS_EDQUOT
#define ESTALE                  WS_ESTALE
#define EREMOTE                 WS_EREMOTE

#endif /* !USE_WS_PREFIX */

#endif /* _WS2SPI_ */
