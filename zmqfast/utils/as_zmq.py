"""Run code written for pyzmq on zmqfast without editing it: ``import zmq`` and every ``zmq.X``
it imports resolve to zmqfast's modules.

``install()`` puts a finder first on ``sys.meta_path`` that answers for ``zmq`` and its
submodules with the module objects of ``zmqfast`` and ``zmqfast.X``: one object under two names,
so ``zmq.Socket is zmqfast.Socket`` and no module is executed twice. It must run before anything
imports pyzmq; pyzmq and zmqfast cannot both be ``zmq`` in one process.

From the command line, ``python -m zmqfast.utils.as_zmq MODULE [ARGS...]`` installs the alias and
runs MODULE as ``python -m MODULE ARGS...`` would: for example a Jupyter kernel
(``python -m zmqfast.utils.as_zmq ipykernel_launcher -f CONNECTION_FILE``) or Locust
(``python -m zmqfast.utils.as_zmq locust --master ...``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Sequence

__all__ = ["install", "uninstall", "installed"]

_ALIAS = "zmq"
_TARGET = "zmqfast"


def _target_name(fullname: str) -> str | None:
    if fullname == _ALIAS:
        return _TARGET
    if fullname.startswith(_ALIAS + "."):
        return _TARGET + fullname[len(_ALIAS):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system zmqfast's module itself instead of making a new one."""

    def __init__(self, target: str, target_spec: importlib.machinery.ModuleSpec) -> None:
        self.target = target
        self.target_spec = target_spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return importlib.import_module(self.target)

    def get_code(self, fullname: str) -> types.CodeType | None:
        # `python -m zmq.X` (runpy asks the loader for the code): zmqfast.X's code, run as __main__
        loader = self.target_spec.loader
        return loader.get_code(self.target) if isinstance(loader, importlib.abc.InspectLoader) else None

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system has just set the module's __spec__ to the alias's; give it back its
        # own, which importlib.reload, pickle and zmqfast's own relative imports go by.
        module.__spec__ = self.target_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers for zmq and zmq.X with zmqfast and zmqfast.X."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        real = _target_name(fullname)
        if real is None:
            return None
        loaded = sys.modules.get(real)
        real_spec = loaded.__spec__ if loaded is not None else importlib.util.find_spec(real)
        if real_spec is None:
            return None  # zmqfast has no such module: the import fails as usual
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(real, real_spec),
            is_package=real_spec.submodule_search_locations is not None)


_finder = _AliasFinder()


def installed() -> bool:
    """Whether the alias is in place."""
    return _finder in sys.meta_path


def install() -> None:
    """Make ``import zmq`` (and ``zmq.X``) give zmqfast (and ``zmqfast.X``) in this process.

    Raises RuntimeError when pyzmq was imported already: the modules that hold it would keep
    pyzmq's objects while new imports got zmqfast's.
    """
    if installed():
        return
    already = sys.modules.get(_ALIAS)
    if already is not None and getattr(already, "__name__", None) != _TARGET:
        raise RuntimeError("pyzmq is imported already: install the zmqfast alias before "
                           "anything imports zmq")
    importlib.import_module(_TARGET)
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Take the alias away; modules imported through it stay as they are."""
    while _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


def _main(argv: list[str]) -> None:
    import runpy

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m zmqfast.utils.as_zmq MODULE [ARGS...]\n"
              "runs MODULE as `python -m MODULE ARGS...` with `import zmq` giving zmqfast",
              file=sys.stderr if not argv else sys.stdout)
        raise SystemExit(2 if not argv else 0)
    install()
    sys.argv = list(argv)
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    # through the imported module, so that install() and installed() share one finder
    from zmqfast.utils.as_zmq import _main as _imported_main

    _imported_main(sys.argv[1:])
