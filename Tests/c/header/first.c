/* ws2spi.h (default mode) included BEFORE the common system headers. */
#include <ws2spi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <dlfcn.h>

#include "default_mode.h"
