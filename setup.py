"""Build the zmqfast extension: the C engine in csrc/ plus the Cython binding.

CURVE's primitives come from libsodium. By default the subset of it that crypto.c uses is
compiled from csrc/vendor/libsodium (ISC licence, unmodified upstream files; see VERSION there)
with the settings of csrc/sodium_config.h, and linked into the extension: `pip install .` needs
only a C compiler. ZMQFAST_SYSTEM_SODIUM=1 links the system's libsodium instead, found with
pkg-config (for distribution packages).
"""
import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from Cython.Build import cythonize

debug = os.environ.get("ZMQFAST_DEBUG") == "1"
sanitize = os.environ.get("ZMQFAST_SANITIZE")
cflags = ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra"]
cflags += ["-O0", "-g"] if debug else ["-O2"]
if os.environ.get("ZMQFAST_FORCE_POLL") == "1":
    cflags.append("-DZF_FORCE_POLL")  # exercise the poll(2) I/O backend (macOS/BSD) on Linux
if sanitize:
    cflags += ["-fsanitize=" + sanitize, "-fno-omit-frame-pointer"]

SODIUM_DIR = "csrc/vendor/libsodium/src/libsodium"
# The libsodium files crypto.c needs (crypto_box, crypto_secretbox, X25519, Poly1305) and what
# they call. The three x86 SIMD files compile to nothing on other CPUs, where libsodium's portable
# C is used; on x86 libsodium picks among them at run time. Relative to SODIUM_DIR.
SODIUM_SOURCES = [
    "sodium/runtime.c",
    "sodium/utils.c",
    "crypto_box/crypto_box.c",
    "crypto_box/curve25519xsalsa20poly1305/box_curve25519xsalsa20poly1305.c",
    "crypto_secretbox/crypto_secretbox.c",
    "crypto_secretbox/crypto_secretbox_easy.c",
    "crypto_secretbox/xsalsa20poly1305/secretbox_xsalsa20poly1305.c",
    "crypto_scalarmult/crypto_scalarmult.c",
    "crypto_scalarmult/curve25519/scalarmult_curve25519.c",
    "crypto_scalarmult/curve25519/ref10/x25519_ref10.c",
    "crypto_core/ed25519/ref10/ed25519_ref10.c",
    "crypto_core/hsalsa20/core_hsalsa20.c",
    "crypto_core/hsalsa20/ref2/core_hsalsa20_ref2.c",
    "crypto_core/salsa/ref/core_salsa_ref.c",
    "crypto_stream/xsalsa20/stream_xsalsa20.c",
    "crypto_stream/salsa20/stream_salsa20.c",
    "crypto_stream/salsa20/ref/salsa20_ref.c",
    "crypto_onetimeauth/poly1305/onetimeauth_poly1305.c",
    "crypto_onetimeauth/poly1305/donna/poly1305_donna.c",
    "crypto_verify/verify.c",
    "crypto_hash/sha512/hash_sha512.c",  # box_curve25519xsalsa20poly1305.c's seed_keypair
    "crypto_hash/sha512/cp/hash_sha512_cp.c",
    # x86 SIMD
    "crypto_stream/salsa20/xmm6int/salsa20_xmm6int-sse2.c",
    "crypto_stream/salsa20/xmm6int/salsa20_xmm6int-avx2.c",
    "crypto_onetimeauth/poly1305/sse2/poly1305_sse2.c",
]
# libsodium's own flags, not the engine's: upstream code, built as upstream ships it (no -Wall
# -Wextra, warnings off: they are not ours to fix in unmodified files), and its symbols
# stay inside the extension (hidden). sodium_config.h stands in for configure's results.
SODIUM_CFLAGS = ["-O2", "-w", "-fvisibility=hidden",
                 "-include", os.path.abspath("csrc/sodium_config.h"),
                 "-I" + os.path.join(SODIUM_DIR, "include", "sodium")]
if debug:
    SODIUM_CFLAGS.append("-g")
# Per file: runtime.c alone may use its XGETBV path (see sodium_config.h).
SODIUM_FILE_DEFINES = {"sodium/runtime.c": ["-DZF_SODIUM_RUNTIME_C"]}

system_sodium = os.environ.get("ZMQFAST_SYSTEM_SODIUM") == "1"


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "libsodium"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"ZMQFAST_SYSTEM_SODIUM=1: pkg-config finds no libsodium ({e}); install its "
                 "development package, or unset ZMQFAST_SYSTEM_SODIUM to build the vendored copy")
    return shlex.split(out)


include_dirs = ["csrc"]
extra_link = ["-fsanitize=" + sanitize] if sanitize else []
define_macros = []
libraries = ["pthread"] if sys.platform != "darwin" else []
windows = sys.platform == "win32"
if windows:
    # Winsock, GetAdaptersAddresses (interface names), BCryptGenRandom (CURVE's randomness); the
    # engine's threads are mingw-w64's winpthreads, linked statically with libgcc so the .pyd
    # needs only system DLLs and python3X.dll. WIN32_LEAN_AND_MEAN: Python.h may include
    # windows.h, which otherwise brings the old winsock.h that clashes with the engine's
    # winsock2.h. This is what .ci/wine-python builds and tests under Wine (there with a
    # cross-compiler); a build on Windows itself with MinGW-w64 gcc was not run here.
    libraries = ["ws2_32", "iphlpapi", "bcrypt"]
    define_macros.append(("WIN32_LEAN_AND_MEAN", None))
    extra_link += ["-static-libgcc", "-Wl,-Bstatic", "-lpthread", "-Wl,-Bdynamic"]
    # The free-threaded interpreter (3.13t/3.14t): on Windows its pyconfig.h leaves
    # Py_GIL_DISABLED to the compiler's command line, so an extension must set it itself.
    import sysconfig

    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        define_macros.append(("Py_GIL_DISABLED", "1"))
if system_sodium:
    cflags += ["-DZF_SYSTEM_SODIUM"] + pkg_config("--cflags")
    extra_link += pkg_config("--libs")
else:
    include_dirs.append(os.path.join(SODIUM_DIR, "include"))


class BuildExt(build_ext):
    """Compiles the vendored libsodium with its own flags, then the extension with them linked in."""

    def build_extension(self, ext):
        if windows and self.compiler.compiler_type == "msvc":
            # MSVC does not take the engine (C11 <stdatomic.h> needs VS 2022 17.5+ with
            # /experimental:c11atomics; __attribute__ and __builtin_* are GCC/clang spellings):
            # say so before a page of compiler errors
            sys.exit("zmqfast's engine needs a GCC-compatible C11 compiler on Windows: build with "
                     "MinGW-w64 gcc (`python setup.py build_ext --compiler=mingw32`); MSVC is "
                     "not supported (docs/windows-port.md)")
        if not system_sodium:
            objects = []
            for rel in SODIUM_SOURCES:
                # one call per file: each may have its own defines; compile() skips up-to-date
                # objects unless --force
                objects += self.compiler.compile(
                    [os.path.join(SODIUM_DIR, rel)], output_dir=self.build_temp,
                    extra_postargs=SODIUM_CFLAGS + SODIUM_FILE_DEFINES.get(rel, []),
                    depends=[os.path.abspath("csrc/sodium_config.h")])
            ext.extra_objects = objects + list(ext.extra_objects or [])
        super().build_extension(ext)


sources = ["zmqfast/_core.pyx"] + sorted(glob.glob("csrc/*.c"))

ext = Extension(
    "zmqfast._core",
    sources=sources,
    include_dirs=include_dirs,
    # the vendored files are compiled by BuildExt, outside setuptools' sources: listed here so
    # that a change to them or to their settings relinks the extension
    depends=[] if system_sodium else ([os.path.join(SODIUM_DIR, rel) for rel in SODIUM_SOURCES]
                                      + ["csrc/sodium_config.h"]),
    define_macros=define_macros,
    extra_compile_args=cflags,
    extra_link_args=extra_link,
    libraries=libraries,
)

# Metadata, the licence files included, is all in pyproject.toml ([project]).
setup(
    cmdclass={"build_ext": BuildExt},
    ext_modules=cythonize(
        [ext],
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False,
                             "cdivision": True, "embedsignature": True},
    ),
)
