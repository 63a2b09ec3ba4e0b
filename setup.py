"""Build the zmqfast extension: the C engine in csrc/ plus the Cython binding."""
import glob
import os
import sys

from setuptools import Extension, setup
from Cython.Build import cythonize

debug = os.environ.get("ZMQFAST_DEBUG") == "1"
cflags = ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra"]
cflags += ["-O0", "-g"] if debug else ["-O2"]
if os.environ.get("ZMQFAST_FORCE_POLL") == "1":
    cflags.append("-DZF_FORCE_POLL")  # exercise the poll(2) I/O backend (macOS/BSD) on Linux
if os.environ.get("ZMQFAST_SANITIZE"):
    cflags += ["-fsanitize=" + os.environ["ZMQFAST_SANITIZE"], "-fno-omit-frame-pointer"]

sources = ["zmqfast/_core.pyx"] + sorted(glob.glob("csrc/*.c"))

ext = Extension(
    "zmqfast._core",
    sources=sources,
    include_dirs=["csrc"],
    extra_compile_args=cflags,
    extra_link_args=(["-fsanitize=" + os.environ["ZMQFAST_SANITIZE"]]
                     if os.environ.get("ZMQFAST_SANITIZE") else []),
    libraries=["pthread"] if sys.platform != "darwin" else [],
)

setup(
    ext_modules=cythonize(
        [ext],
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False,
                             "cdivision": True, "embedsignature": True},
    ),
)
