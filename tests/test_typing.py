"""The type surface: zmqfast/_core.pyi and the hints of the Python layer.

- mypy (strict) accepts tests/typing_sample.py, a program using pyzmq's common API through
  ``import zmqfast as zmq`` with assert_type checks throughout, and reveals the types the
  overloads promise (recv() is bytes, recv(copy=False) a Frame, ...);
- mypy rejects wrong calls (``sock.send(123)``, ``sock.recv(copy="x")``, ...), so the stubs
  are not just Any;
- the stub matches the compiled module: every name _core exports, every method and attribute
  of its classes, and every parameter name of its functions is declared.

The mypy runs use the zmqfast this test imports: a source tree (mypy runs from its root) or an
installed wheel, whose _core.pyi and py.typed must then have been packaged.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.zmqfast_only

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "typing_sample.py")


def _zmqfast_dir() -> str:
    import zmqfast

    return os.path.dirname(os.path.abspath(zmqfast.__file__))


def _is_source_tree(pkg_dir: str) -> bool:
    return "site-packages" not in pkg_dir and "dist-packages" not in pkg_dir


@pytest.fixture(scope="module")
def mypy_run(tmp_path_factory):
    """run(files, *flags) -> (exit status, output lines): mypy in a subprocess that resolves
    `zmqfast` to the package this test imports. One cache for the module's runs."""
    pytest.importorskip("mypy")
    cache = str(tmp_path_factory.mktemp("mypy_cache"))
    pkg_dir = _zmqfast_dir()
    # mypy looks in its working directory first: the source tree's root, or (for an installed
    # zmqfast, found in site-packages) a directory with no zmqfast in it
    cwd = os.path.dirname(pkg_dir) if _is_source_tree(pkg_dir) else cache
    env = dict(os.environ)
    env.pop("MYPYPATH", None)

    def run(files, *flags):
        cmd = [sys.executable, "-m", "mypy", "--cache-dir", cache, "--no-color-output",
               "--no-error-summary", "--show-error-codes", "--hide-error-context",
               "--python-version", f"{sys.version_info[0]}.{sys.version_info[1]}", *flags, *files]
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        if p.returncode not in (0, 1):  # 2: mypy itself failed (bad flags, crash)
            pytest.fail(f"mypy failed to run ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p.returncode, p.stdout.splitlines()

    return run


# Flags: --strict (which includes --no-implicit-reexport, so zmqfast must re-export its names
# explicitly, and --disallow-any-generics, --warn-return-any, ...), plus the optional error
# codes that catch stubs too loose to mean anything. follow-imports=silent: zmqfast's own
# modules are used for their types but not reported on, as for an installed package.
STRICT = ["--strict", "--follow-imports=silent", "--enable-error-code", "ignore-without-code",
          "--enable-error-code", "redundant-expr", "--enable-error-code", "truthy-bool"]

# What mypy reveals for expressions over `sock: zmq.Socket`, `asock: zmq_asyncio.Socket`
# (as mypy >= 2 prints them; see _normalize_type).
REVEALS = {
    "sock.recv()": "bytes",
    "sock.recv(copy=False)": "zmqfast._core.Frame",
    "sock.recv(0, False)": "zmqfast._core.Frame",
    "sock.recv(copy=True, track=False)": "bytes",
    "sock.recv_multipart()": "list[bytes]",
    "sock.recv_multipart(copy=False)": "list[zmqfast._core.Frame]",
    "sock.try_recv()": "bytes | None",
    "sock.send(b'x')": "None",
    "sock.send(b'x', copy=False)": "zmqfast.tracker.MessageTracker",
    "sock.send_multipart([b'a'], copy=False, track=True)": "zmqfast.tracker.MessageTracker",
    "sock.get(zmq.SocketOption.ROUTING_ID)": "bytes",
    "sock.get(zmq.SocketOption.RCVTIMEO)": "int",
    "sock.getsockopt(zmq.RCVTIMEO)": "int | bytes",
    "sock.recv_string()": "str",
    "sock.poll(0)": "int",
    "sock.context": "zmqfast.context.Context",
    "zmq.Context().socket(zmq.REQ)": "zmqfast.socket.Socket",
    "zmq_asyncio.Context().socket(zmq.REQ)": "zmqfast.asyncio.Socket",
    "asock.recv()": "zmqfast._core._AioOp[bytes]",
    "asock.recv(copy=False)": "zmqfast._core._AioOp[zmqfast._core.Frame]",
    "asock.recv_multipart()": "zmqfast._core._AioOp[list[bytes]]",
    "asock.send(b'x')": "zmqfast._core._AioOp[None]",
    "asock.send_multipart([b'x'], copy=False)": "zmqfast._core._AioOp[zmqfast.tracker.MessageTracker]",
    # the _core functions asyncio.Socket's methods are (declared twice: keep them alike)
    "_core._aio_recv(asock, copy=False)": "zmqfast._core._AioOp[zmqfast._core.Frame]",
    "_core._aio_recv_multipart(asock)": "zmqfast._core._AioOp[list[bytes]]",
    "_core._aio_send(asock, b'x', copy=False)": "zmqfast._core._AioOp[zmqfast.tracker.MessageTracker]",
    "_core._aio_send_multipart(asock, [b'x'])": "zmqfast._core._AioOp[None]",
    "zmq.Frame(b'x').bytes": "bytes",
    "zmq.zmq_version_info()": "tuple[int, int, int]",
    "zmq.curve_keypair()": "tuple[bytes, bytes]",
}

REVEAL_HEAD = """\
import zmqfast as zmq
import zmqfast.asyncio as zmq_asyncio
from zmqfast import _core


def check(sock: zmq.Socket, asock: zmq_asyncio.Socket) -> None:
"""

# Wrong calls, each on its own line of a function over the same names; every one must be an
# error, on its line. (Others check that the code around them is fine.)
NEGATIVES = [
    "sock.send(123)",  # an int is no buffer
    "sock.send('text')",  # str: send_string
    'sock.recv(copy="x")',
    "sock.recv(flags='1')",
    "sock.send_multipart([1, 2])",
    "sock.recv_into(b'', nbytes='3')",
    "sock.try_recv(flags=1)",  # try_recv has no flags
    "b: bytes = sock.recv(copy=False)",  # a Frame
    "f: zmq.Frame = sock.recv()",  # bytes
    "sock.get(zmq.SocketOption.LINGER).decode()",  # an int option
    "sock.set(zmq.LINGER, 'x')",
    "sock.bind(5555)",
    "ctx.socket('PUSH')",
    "ctx.set(zmq.IO_THREADS, '2')",
    "zmq.Poller().register('not a socket', zmq.POLLIN)",
    "zmq.Frame('text')",
    "t: zmq.MessageTracker = sock.send(b'x')",  # copy=True: None
    "zmq.curve_public(40)",
    "s: str = zmq.zmq_version_info()",
    "sock.poll(timeout='1')",
    "sock.recv_string(encoding=1)",
    "zmq.Context(io_threads='1')",
]

NEGATIVE_HEAD = """\
import zmqfast as zmq
import zmqfast.asyncio as zmq_asyncio


async def wrong(sock: zmq.Socket, asock: zmq_asyncio.Socket, ctx: zmq.Context) -> None:
"""

NEGATIVES_ASYNC = [
    "b: bytes = await asock.recv(copy=False)",
    "f: zmq.Frame = await asock.recv()",
    "m: list[zmq.Frame] = await asock.recv_multipart()",
    "await asock.send(123)",
]


def _split_top(text):
    """The comma-separated items of text, at bracket depth 0."""
    items, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    items.append(cur.strip())
    return items


def _normalize_type(text):
    """mypy's spelling of a type, as mypy >= 2 prints it: builtins unqualified, X | Y for
    Union[X, Y] and Optional[X], lower-case tuple/list/dict (older mypy differ in these)."""
    text = text.replace("builtins.", "")
    m = re.match(r"^(Union|Optional|Tuple|List|Dict)\[(.*)\]$", text)
    if m:
        args = [_normalize_type(a) for a in _split_top(m.group(2))]
        if m.group(1) == "Union":
            return " | ".join(args)
        if m.group(1) == "Optional":
            return f"{args[0]} | None"
        return f"{m.group(1).lower()}[{', '.join(args)}]"
    m = re.match(r"^([\w.]+)\[(.*)\]$", text)
    if m:
        return f"{m.group(1)}[{', '.join(_normalize_type(a) for a in _split_top(m.group(2)))}]"
    return text


def _errors_by_line(lines, path):
    base = os.path.basename(path)
    found = {}
    for line in lines:
        m = re.match(r"(.+?):(\d+): (error|note): (.*)", line)
        if m and os.path.basename(m.group(1)) == base:
            found.setdefault(int(m.group(2)), []).append((m.group(3), m.group(4)))
    return found


def test_mypy_accepts_the_sample_and_reveals_overloads(mypy_run, tmp_path):
    reveal = tmp_path / "reveal_snippet.py"
    body = "".join(f"    reveal_type({expr})\n" for expr in REVEALS)
    reveal.write_text(REVEAL_HEAD + body)
    status, out = mypy_run([SAMPLE, str(reveal)], *STRICT)
    errors = [line for line in out if ": error:" in line]
    assert not errors and status == 0, "\n".join(out)
    notes = _errors_by_line(out, str(reveal))
    first = len(REVEAL_HEAD.splitlines()) + 1
    for i, (expr, want) in enumerate(REVEALS.items()):
        got = [msg for kind, msg in notes.get(first + i, []) if kind == "note"]
        m = re.fullmatch(r'Revealed type is "(.*)"', got[0]) if len(got) == 1 else None
        assert m and _normalize_type(m.group(1)) == want, (expr, got)


def test_mypy_rejects_wrong_calls(mypy_run, tmp_path):
    bad = tmp_path / "negative_snippet.py"
    exprs = NEGATIVES + NEGATIVES_ASYNC
    bad.write_text(NEGATIVE_HEAD + "".join(f"    {e}\n" for e in exprs))
    status, out = mypy_run([str(bad)], "--follow-imports=silent", "--strict")
    assert status == 1, "\n".join(out)
    errors = _errors_by_line(out, str(bad))
    first = len(NEGATIVE_HEAD.splitlines()) + 1
    missed = [e for i, e in enumerate(exprs) if not any(k == "error" for k, _ in errors.get(first + i, []))]
    assert not missed, "mypy accepted:\n" + "\n".join(missed) + "\n\n" + "\n".join(out)
    stray = sorted(set(errors) - set(range(first, first + len(exprs))))
    assert not stray, "errors outside the wrong calls:\n" + "\n".join(out)


def test_mypy_on_the_package(mypy_run):
    """The package itself type-checks (mypy's defaults: the hints it has must agree). Optional
    third-party modules without type information (gevent, paramiko, cffi, ...) count as Any."""
    pkg_dir = _zmqfast_dir()
    if not _is_source_tree(pkg_dir):
        pytest.skip("zmqfast is installed, not a source tree")
    status, out = mypy_run(["-p", "zmqfast"], "--ignore-missing-imports")
    assert status == 0, "\n".join(out)


# ---- the stub against the compiled module -----------------------------------------------------

def _stub_path() -> str:
    return os.path.join(_zmqfast_dir(), "_core.pyi")


def _decorator_names(node):
    names = set()
    for d in node.decorator_list:
        while isinstance(d, ast.Call):
            d = d.func
        if isinstance(d, ast.Attribute):
            names.add(d.attr)
        elif isinstance(d, ast.Name):
            names.add(d.id)
    return names


class _Stub:
    """What _core.pyi declares: module names (split into runtime ones and typing plumbing),
    and for each class its members and each function's parameter names (all overloads)."""

    def __init__(self, path):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        self.names = {}  # name -> "runtime" | "import" | "typing"
        self.functions = {}  # name -> [ast.FunctionDef, ...] (overloads)
        self.classes = {}  # name -> {member: [FunctionDef...] or []}
        for node in tree.body:
            self._module_node(node)

    def _module_node(self, node):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                self.names.setdefault((a.asname or a.name).split(".")[0], "import")
        elif isinstance(node, ast.FunctionDef):
            self.names[node.name] = "runtime"
            self.functions.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.ClassDef):
            kind = "typing" if "type_check_only" in _decorator_names(node) else "runtime"
            self.names[node.name] = kind
            members = self.classes.setdefault(node.name, {})
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.setdefault(item.name, []).append(item)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.setdefault(item.target.id, [])
                elif isinstance(item, ast.Assign):
                    for t in item.targets:
                        if isinstance(t, ast.Name):
                            members.setdefault(t.id, [])
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            ann = ast.unparse(node.annotation)
            self.names[node.target.id] = "typing" if ann.endswith("TypeAlias") else "runtime"
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    typing_helper = isinstance(node.value, ast.Call) and \
                        ast.unparse(node.value.func) in ("TypeVar", "ParamSpec", "NewType")
                    self.names[t.id] = "typing" if typing_helper else "runtime"


def _params(fn: ast.FunctionDef, method: bool):
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    if method and "staticmethod" not in _decorator_names(fn):
        names = names[1:]
    return set(names), a.vararg is not None, a.kwarg is not None


def _runtime_params(obj, method: bool):
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    ps = list(sig.parameters.values())
    if method and ps and ps[0].name in ("self", "cls"):
        ps = ps[1:]
    named = {p.name for p in ps if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return (named, any(p.kind == p.VAR_POSITIONAL for p in ps),
            any(p.kind == p.VAR_KEYWORD for p in ps))


def _check_signature(where, runtime_obj, overloads, method):
    rt = _runtime_params(runtime_obj, method)
    if rt is None or not overloads:
        return []
    named, varargs, varkw = rt
    problems = []
    stub_named = set()
    for fn in overloads:
        n, va, vk = _params(fn, method)
        stub_named |= n
        extra = n - named
        if extra and not varkw:
            problems.append(f"{where}: stub parameters {sorted(extra)} do not exist at runtime")
        if va and not varargs:
            problems.append(f"{where}: stub takes *args, runtime does not")
        if vk and not varkw:
            problems.append(f"{where}: stub takes **kwargs, runtime does not")
    missing = named - stub_named
    if missing:
        problems.append(f"{where}: runtime parameters {sorted(missing)} missing from the stub")
    return problems


# Members every class has, or that only the binding's machinery uses.
_IMPLEMENTATION_MEMBERS = {
    "__doc__", "__new__", "__reduce__", "__reduce_cython__", "__setstate__",
    "__setstate_cython__", "__pyx_vtable__", "__dict__", "__weakref__", "__module__",
    "__repr__", "__init__", "__dealloc__", "__getbuffer__", "__releasebuffer__",
}


def _runtime_names(mod):
    # (less Cython's pickling helpers, __pyx_unpickle_<class>)
    return {n for n in dir(mod) if not (n.startswith("__") and n.endswith("__"))
            and not n.startswith("__pyx_")}


def test_stub_declares_every_runtime_name():
    import zmqfast._core as core

    stub = _Stub(_stub_path())
    missing = sorted(_runtime_names(core) - set(stub.names))
    assert not missing, f"_core exports names _core.pyi does not declare: {missing}"
    public = {n for n in _runtime_names(core) if not n.startswith("_")}
    assert public >= {"Context", "Socket", "Frame", "Poller", "zmq_poll", "COPY_THRESHOLD"}


def test_stub_declares_nothing_the_runtime_lacks():
    import zmqfast._core as core

    stub = _Stub(_stub_path())
    declared = {n for n, kind in stub.names.items() if kind == "runtime"}
    extra = sorted(declared - _runtime_names(core))
    assert not extra, f"_core.pyi declares names _core does not have: {extra}"


def test_stub_classes_match_runtime_classes():
    import zmqfast._core as core

    stub = _Stub(_stub_path())
    problems = []
    classes = [(n, v) for n, v in vars(core).items() if isinstance(v, type) and v.__module__ == core.__name__]
    assert len(classes) >= 5
    for name, cls in classes:
        members = stub.classes.get(name)
        if members is None:
            problems.append(f"class {name} is not in the stub")
            continue
        for attr in sorted(set(vars(cls)) - _IMPLEMENTATION_MEMBERS):
            if attr not in members:
                problems.append(f"{name}.{attr} is not declared in the stub")
                continue
            if not attr.startswith("__"):  # (slot wrappers' parameters are positional-only)
                problems += _check_signature(f"{name}.{attr}", getattr(cls, attr), members[attr], True)
        for attr in sorted(members):
            if attr in ("__init__",) or attr.startswith("__") and not hasattr(cls, attr):
                continue  # protocol methods the stub adds (__buffer__ on Pythons before 3.12)
            if not hasattr(cls, attr) and attr not in getattr(cls, "__annotations__", {}):
                problems.append(f"stub declares {name}.{attr}, which the runtime class lacks")
    assert not problems, "\n".join(problems)


def test_stub_functions_match_runtime_signatures():
    import zmqfast._core as core

    stub = _Stub(_stub_path())
    problems = []
    checked = 0
    for name, overloads in stub.functions.items():
        obj = getattr(core, name, None)
        if obj is None:
            continue  # reported by test_stub_declares_nothing_the_runtime_lacks
        if _runtime_params(obj, False) is not None:
            checked += 1
        problems += _check_signature(name, obj, overloads, False)
    # the binding's functions expose signatures (binding=True): 18 module-level functions have
    # them since the _crypto_* test hooks left the extension (tests/crypto_lib.py)
    assert checked >= 15, checked
    assert not problems, "\n".join(problems)


def test_typed_package_data_is_next_to_the_module():
    """py.typed and _core.pyi sit beside the package (in an installed wheel too)."""
    pkg = _zmqfast_dir()
    assert os.path.isfile(os.path.join(pkg, "py.typed"))
    assert os.path.isfile(os.path.join(pkg, "_core.pyi"))


def test_pyproject_packages_the_stub():
    root = os.path.dirname(HERE)
    path = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(path):
        pytest.skip("no pyproject.toml beside the tests")
    text = open(path).read()
    m = re.search(r"\[tool\.setuptools\.package-data\]\s*\n\s*zmqfast\s*=\s*\[([^\]]*)\]", text)
    assert m, "no package-data for zmqfast in pyproject.toml"
    patterns = re.findall(r'"([^"]+)"', m.group(1))
    assert "py.typed" in patterns and any(p in ("*.pyi", "_core.pyi") for p in patterns), patterns
    manifest = os.path.join(root, "MANIFEST.in")
    if os.path.isfile(manifest):
        assert re.search(r"recursive-include zmqfast .*\*\.pyi", open(manifest).read())


def test_sample_is_not_collected():
    # typing_sample.py is checked, never run: its name must stay outside pytest's test_*.py
    assert not os.path.basename(SAMPLE).startswith("test_")


def _literal_members(stub_path, alias):
    """The SocketOption member names in the stub's `alias: TypeAlias = Literal[...]`."""
    with open(stub_path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == alias:
            sub = node.value
            assert isinstance(sub, ast.Subscript) and ast.unparse(sub.value) == "Literal"
            elts = sub.slice.elts if isinstance(sub.slice, ast.Tuple) else [sub.slice]
            names = []
            for e in elts:
                assert isinstance(e, ast.Attribute) and ast.unparse(e.value) == "SocketOption", \
                    ast.unparse(e)
                names.append(e.attr)
            return names
    raise AssertionError(f"{alias} is not in the stub")


def test_stub_option_types_match_constants():
    """Socket.get's overloads sort options by what get() returns: _BytesOption (bytes_sockopts)
    and _IntOption (the rest). A new SocketOption goes in one of the two lists of _core.pyi."""
    from zmqfast import constants

    as_bytes = _literal_members(_stub_path(), "_BytesOption")
    as_int = _literal_members(_stub_path(), "_IntOption")
    members = constants.SocketOption.__members__  # (aliases too: IDENTITY, CONNECT_RID, ...)
    assert len(set(as_bytes)) == len(as_bytes) and len(set(as_int)) == len(as_int)
    assert not set(as_bytes) & set(as_int), sorted(set(as_bytes) & set(as_int))
    unknown = sorted((set(as_bytes) | set(as_int)) - set(members))
    assert not unknown, f"not SocketOption members: {unknown}"
    missing = sorted(set(members) - set(as_bytes) - set(as_int))
    assert not missing, f"SocketOption members in neither list of _core.pyi: {missing}"
    wrong = sorted(n for n in as_bytes if int(members[n]) not in constants.bytes_sockopts)
    wrong += sorted(n for n in as_int if int(members[n]) in constants.bytes_sockopts)
    assert not wrong, f"in the wrong list of _core.pyi (see constants.bytes_sockopts): {wrong}"
