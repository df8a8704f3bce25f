/* USE_WS_PREFIX: ws2spi.h BEFORE the Linux socket headers. */
/* BSD names of glibc (u_long, timerisset, h_errno) even under -std=c99. */
#define _DEFAULT_SOURCE
#define USE_WS_PREFIX
#include <ws2spi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <poll.h>
#include <errno.h>

#include "prefix_mode.h"
