/* CFFI: libffi for the WS2SPI Swift module (closures as C callbacks).
 *
 * libffi's ffi_type descriptions are C globals; Swift would take their
 * address through a temporary, so these helpers hand out the real addresses. */
#ifndef WS2SPI_CFFI_H
#define WS2SPI_CFFI_H

#include <ffi.h>

static inline ffi_type *cffi_type_void(void)    { return &ffi_type_void; }
static inline ffi_type *cffi_type_sint32(void)  { return &ffi_type_sint32; }
static inline ffi_type *cffi_type_uint32(void)  { return &ffi_type_uint32; }
static inline ffi_type *cffi_type_pointer(void) { return &ffi_type_pointer; }

#endif
