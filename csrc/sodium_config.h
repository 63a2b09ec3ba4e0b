/* sodium_config.h: what libsodium's configure would have found, for the subset of it vendored in
 * csrc/vendor/libsodium (setup.py force-includes this header into each vendored file and into
 * nothing else). Decided from the compiler's predefined macros, not from the build machine, so
 * one header serves every wheel target and a cross-compile alike.
 *
 * Left out on purpose: HAVE_AMD64_ASM and HAVE_AVX_ASM (they select assembly files, which are not
 * vendored; the C implementations below take their place), and every HAVE_* of a function whose
 * absence libsodium handles with portable code (sodium_memzero falls back to volatile stores). */
#ifndef ZF_SODIUM_CONFIG_H
#define ZF_SODIUM_CONFIG_H

#define CONFIGURED 1   /* silences common.h's "undocumented build method" warning: this is it */
#define SODIUM_STATIC 1 /* no export attributes: the symbols stay inside zmqfast's extension */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NATIVE_BIG_ENDIAN 1
#else
#define NATIVE_LITTLE_ENDIAN 1
#endif

/* sodium_memzero as memset plus a compiler barrier (an asm memory clobber and a call to a weak
 * function the optimiser cannot see through) rather than its fallback of byte-wise volatile
 * stores, which cost CURVE a tenth of its small-message throughput: libsodium wipes a subkey
 * and a keystream block for every box. Both are what configure finds with GCC and clang, on
 * ELF and Mach-O alike. */
#if defined(__GNUC__) || defined(__clang__)
#define HAVE_WEAK_SYMBOLS 1
#define HAVE_INLINE_ASM 1
#endif

/* 64-bit targets with a 128-bit integer get the 51-bit-limb field arithmetic and Poly1305 */
#if defined(__SIZEOF_INT128__)
#define HAVE_TI_MODE 1
#endif

/* x86: the SSE2/AVX2 Salsa20 and SSE2 Poly1305 files, picked at run time from CPUID (each
 * enables its instruction set per function, so no -m flag is needed); elsewhere they compile
 * to nothing and the portable C is used. ZF_SODIUM_PORTABLE takes that path on x86 too, so that
 * .ci/check-packaging can compile, and a test build can run, what aarch64 and arm64 macOS get. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(ZF_SODIUM_PORTABLE)
#define HAVE_CPUID 1
#define HAVE_EMMINTRIN_H 1
#define HAVE_TMMINTRIN_H 1
#define HAVE_SMMINTRIN_H 1
#define HAVE_AVX2INTRIN_H 1
/* AVX2 is usable only if the OS saves the YMM registers, which runtime.c reads with XGETBV
 * through its inline-assembly path. That path is guarded by HAVE_AVX_ASM, which elsewhere also
 * selects the (unvendored) assembly X25519, so setup.py defines ZF_SODIUM_RUNTIME_C for
 * runtime.c alone. */
#if defined(ZF_SODIUM_RUNTIME_C)
#define HAVE_AVXINTRIN_H 1
#define HAVE_AVX_ASM 1
#endif
#endif

#endif
