/* A Windows pyconfig.h for cross-compiling zmqfast's extension on Linux (.ci/wine-python).
 *
 * CPython's public headers are the same on every platform except pyconfig.h, which configure
 * writes on POSIX systems and which Windows builds take from the source tree's PC/ directory. A
 * Linux host has only its own, so .ci/wine-python copies the host interpreter's include
 * directory (same minor version as the Windows Python it tests: the headers are ABI-stable
 * across a minor version's patch releases) and puts this file in place of its pyconfig.h.
 *
 * It declares only what the public headers (Python.h and what it includes) and Cython's output
 * consult, for 64-bit Windows (x86-64 or arm64) with a GCC-compatible compiler (mingw-w64 gcc,
 * or Zig's clang for arm64): the platform,
 * that the core is a DLL whose symbols are imported, the sizes of the LLP64 types, and the few
 * HAVE_* switches the headers test. Nothing here is used to build CPython itself, so the long
 * list of HAVE_<function> results a real pyconfig.h carries is left out on purpose: a header
 * that tests one we do not define falls back to its portable branch.
 */
#ifndef ZF_WIN_PYCONFIG_H
#define ZF_WIN_PYCONFIG_H

#if !defined(_WIN64) || !defined(__GNUC__)
#error "this pyconfig.h describes 64-bit Windows with a GCC-compatible compiler only"
#endif

/* The platform. MS_WIN32 means "the Win32 API" (64-bit included); MS_WINDOWS selects the
   Windows branches of the headers (exports, file descriptors, wchar_t paths). */
#define MS_WIN32
#define MS_WIN64
#define MS_WINDOWS
#define MS_WINDOWS_DESKTOP
#define PLATFORM "win32"
#if defined(__aarch64__)
#define PYD_PLATFORM_TAG "win_arm64"
#else
#define PYD_PLATFORM_TAG "win_amd64"
#endif

/* Threads are Windows threads: this picks the Py_tss_t key type CPython was built with
   (cpython/pythread.h). _POSIX_THREADS must stay undefined even though mingw-w64 ships
   winpthreads: python3X.dll does not use it. */
#define NT_THREADS
#define WITH_THREAD
#undef _POSIX_THREADS

/* The core is python3X.dll: the headers mark its functions and data __declspec(dllimport)
   (pyport.h / exports.h), and PyMODINIT_FUNC exports the module's init function. */
#define Py_ENABLE_SHARED 1
#define HAVE_DECLSPEC_DLL

/* LLP64: long is 32 bits, pointers and size_t 64. Neither HAVE_PY_SSIZE_T nor HAVE_SSIZE_T:
   pyport.h then makes Py_ssize_t an intptr_t (64 bits, as Windows CPython's __int64) and
   PY_SSIZE_T_MAX INTPTR_MAX. */
#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_VOID_P 8
#define SIZEOF_SIZE_T 8
#define SIZEOF_UINTPTR_T 8
#define SIZEOF_TIME_T 8
#define SIZEOF_OFF_T 4
#define SIZEOF_FPOS_T 8
#define SIZEOF_FLOAT 4
#define SIZEOF_DOUBLE 8
#define SIZEOF_WCHAR_T 2
#define SIZEOF__BOOL 1
/* mingw-w64 declares pid_t 64 bits wide (CPython's MSVC build: an int); the headers use the
   size only to pick PyLong_FromPid's conversion, so describe the type this compiler has */
#define SIZEOF_PID_T 8
#define SIZEOF_HKEY 8
#define ALIGNOF_SIZE_T 8
#define ALIGNOF_LONG 4
#define ALIGNOF_MAX_ALIGN_T 8
#define HAVE_LONG_LONG 1
#define PY_LONG_LONG long long

/* Little-endian IEEE 754 doubles (pymath.h, floatobject.h). */
#define DOUBLE_IS_LITTLE_ENDIAN_IEEE754 1
#define PY_LITTLE_ENDIAN 1

/* wchar_t is UTF-16 here: not usable as Py_UNICODE's UCS4 (unicodeobject.h). */
#define HAVE_WCHAR_H 1
#define HAVE_STDDEF_H 1
#define HAVE_IO_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_ERRNO_H 1

/* Windows CPython's build switches that change object layouts or inline code in the headers. */
#define WITH_PYMALLOC 1
#define WITH_DOC_STRINGS 1
#define USE_STACKCHECK 1 /* PyOS_CheckStack exists on Windows */

/* The free-threaded build (3.13t/3.14t): on POSIX configure writes Py_GIL_DISABLED into
   pyconfig.h; Windows' pyconfig.h leaves it to the compiler's command line (CPython's PC build
   passes it, and so must an extension's build for a "t" interpreter). Building with
   -DZF_PY_GIL_DISABLED=1 selects it here. */
#if defined(ZF_PY_GIL_DISABLED) && ZF_PY_GIL_DISABLED
#define Py_GIL_DISABLED 1
#endif

/* Free-threaded headers on arm64: object.h's _Py_ThreadId reads the thread's TEB pointer with
   __getReg(18), an MSVC intrinsic that clang provides only with -fms-extensions (not a mingw
   default). The same read: x18 holds the TEB pointer on Windows arm64, so the id is the one
   python3Xt.dll (built by MSVC) computes. Only register 18 is ever asked for; another fails to
   compile. */
#if defined(Py_GIL_DISABLED) && defined(__aarch64__) && !defined(_MSC_VER)
static inline unsigned long long zf_win_arm64_x18(void)
{
    unsigned long long v;
    __asm__("mov %0, x18" : "=r"(v));
    return v;
}
#define __getReg(n) ((void)sizeof(char[(n) == 18 ? 1 : -1]), zf_win_arm64_x18())
#endif

#endif /* ZF_WIN_PYCONFIG_H */
