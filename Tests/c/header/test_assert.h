/* Compile-time assertions for the header compile matrix, in C99 (no
 * _Static_assert there), C11 and C++. File scope only. */
#ifndef WS2SPI_TEST_ASSERT_H
#define WS2SPI_TEST_ASSERT_H

#if defined(__cplusplus)
#  define TEST_ASSERT(cond, name) static_assert(cond, #name)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#  define TEST_ASSERT(cond, name) _Static_assert(cond, #name)
#else
#  define TEST_ASSERT(cond, name) typedef char test_assert_##name[(cond) ? 1 : -1]
#endif

#endif
