/* ws2spi.h (default mode) included AFTER the common system headers, which
 * already brought glibc's fd_set, FD_SET and struct timeval. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <dlfcn.h>
#include <ws2spi.h>

#include "default_mode.h"
