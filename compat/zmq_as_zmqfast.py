"""Make ``import zmq`` (and every ``zmq.*`` submodule) resolve to zmqfast.

Installed into a virtual environment by ``compat/pyzmq_suite.py`` through a ``.pth`` file, so
that pyzmq's own tests, unchanged, run against zmqfast. ``zmq.X`` is the very module object
``zmqfast.X``: classes, constants and module state are shared, not copied.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

_ALIAS = "zmq"
_REAL = "zmqfast"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real_name):
        self.real_name = real_name
        self.real_spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.real_name)
        self.real_spec = module.__spec__
        return module

    def get_code(self, fullname):
        # `python -m zmq.X` (runpy) runs zmqfast.X's code as __main__.
        return importlib.util.find_spec(self.real_name).loader.get_code(self.real_name)

    def exec_module(self, module):
        # The import system has just stamped the alias's spec on the shared module; put
        # zmqfast's own back (importlib.resources, reload and pickling read it).
        module.__spec__ = self.real_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != _ALIAS and not fullname.startswith(_ALIAS + "."):
            return None
        real = _REAL + fullname[len(_ALIAS):]
        try:
            real_spec = importlib.util.find_spec(real)
        except ImportError:
            return None
        if real_spec is None:
            return None
        spec = importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(real), is_package=real_spec.submodule_search_locations is not None
        )
        return spec


def install():
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
