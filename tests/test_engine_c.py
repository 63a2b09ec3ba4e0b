"""The engine's own C tests (csrc/tests/, built and run by .ci/ctest): the SPSC queue, the ZMTP
codec, the mechanisms over buffers, crypto known answers and a real context through zf.h. Run
from pytest so that the one test command of the README covers them too."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = [
    pytest.mark.zmqfast_only,
    # a first build compiles the engine and libsodium: past the suite's 60 s on a busy machine
    pytest.mark.timeout(600),
    pytest.mark.skipif(sys.platform == "win32", reason=".ci/ctest is a bash script"),
]


def _compiler():
    cc = os.environ.get("CC", "gcc")
    return cc if shutil.which(cc) else None


@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, ".ci", "ctest")),
                    reason="the engine's sources are not here (the suite runs from a copy: "
                           ".ci/check-packaging's wheel test)")
@pytest.mark.skipif(_compiler() is None, reason="no C compiler ($CC or gcc) to build the C tests")
@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash to run .ci/ctest")
def test_engine_c_tests_pass():
    # objects are kept in build/ctest/<compiler> (ignored by git) and rebuilt only when a source
    # changed: about 30 s the first time on two cores, a few seconds after
    env = dict(os.environ, CC=_compiler())
    # under .ci/sanitize the interpreter runs with a sanitizer runtime preloaded: the compilers
    # and the test programs are not to inherit it (the C tests have their own sanitizer build,
    # CTEST_CFLAGS="-fsanitize=...")
    env.pop("LD_PRELOAD", None)
    proc = subprocess.run(["bash", os.path.join(ROOT, ".ci", "ctest")], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    # the whole output on failure: which test, which check, the values
    assert proc.returncode == 0, proc.stdout[-20000:]
    assert "ctest: all passed" in proc.stdout
