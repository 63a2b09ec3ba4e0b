"""zmqfast's constants and errors must match pyzmq's, side by side."""

import enum
import pickle

import pytest

import zmq as pyzmq
import zmq.constants as py_constants
import zmq.error as py_error

import zmqfast
import zmqfast.constants as zf_constants
import zmqfast.error as zf_error

ENUM_BASES = (enum.Enum, enum.IntEnum, enum.IntFlag)

PY_ENUMS = [
    name
    for name in py_constants.__all__
    if isinstance(getattr(py_constants, name), type)
    and getattr(py_constants, name) not in ENUM_BASES
]
PY_FLAT = [
    name for name in py_constants.__all__ if not isinstance(getattr(py_constants, name), type)
]


def test_all_names_match():
    assert set(zf_constants.__all__) == set(py_constants.__all__)
    assert len(zf_constants.__all__) == len(set(zf_constants.__all__))


@pytest.mark.parametrize("name", PY_FLAT)
def test_flat_constant(name):
    expected = getattr(py_constants, name)
    got = getattr(zf_constants, name)
    assert int(got) == int(expected)
    # flat names are enum members, as in pyzmq
    assert type(got).__name__ == type(expected).__name__
    assert got.name == expected.name


@pytest.mark.parametrize("name", PY_FLAT)
def test_flat_constant_at_top_level(name):
    assert int(getattr(zmqfast, name)) == int(getattr(pyzmq, name))


@pytest.mark.parametrize("name", PY_ENUMS)
def test_enum(name):
    expected = getattr(py_constants, name)
    got = getattr(zf_constants, name)
    assert getattr(zmqfast, name) is got
    # same kind of enum (IntEnum vs IntFlag)
    assert [b.__name__ for b in got.__mro__] == [b.__name__ for b in expected.__mro__]
    # member by member, including aliases and their order
    assert [(k, int(v)) for k, v in got.__members__.items()] == [
        (k, int(v)) for k, v in expected.__members__.items()
    ]
    # the canonical member for each alias is the same one
    for k, v in expected.__members__.items():
        assert got[k].name == v.name
    assert [m.name for m in got] == [m.name for m in expected]


def test_socket_option_types():
    types = zf_constants._OPTION_TYPES
    assert set(types) == {int(o) for o in py_constants.SocketOption}
    assert set(types.values()) <= {"int", "int64", "bytes", "str", "fd"}
    pyzmq_kind = {"int": "int", "int64": "int64", "bytes": "bytes", "str": "bytes", "fd": "fd"}
    for opt in py_constants.SocketOption:
        assert pyzmq_kind[types[opt]] == opt._opt_type.value, opt.name
        assert zf_constants.SocketOption[opt.name]._opt_type.value == opt._opt_type.value
    by_kind = {
        "int": zf_constants.int_sockopts,
        "int64": zf_constants.int64_sockopts,
        "bytes": zf_constants.bytes_sockopts,
        "fd": zf_constants.fd_sockopts,
    }
    for kind, opts in by_kind.items():
        assert opts == {int(o) for o in py_constants.SocketOption if o._opt_type.value == kind}
    assert zf_constants.msg_opts == {int(o) for o in py_constants.MessageOption}
    assert zf_constants.ctx_opts == {int(o) for o in py_constants.ContextOption}


def test_module_settings():
    for name in ("COPY_THRESHOLD", "IPC_PATH_MAX_LEN", "DRAFT_API", "PYZMQ_DRAFT_API"):
        assert getattr(zf_constants, name) == getattr(pyzmq, name), name


ERRNOS = list(py_constants.Errno) + [0, 1, 4, 99999, -1]


@pytest.mark.parametrize("errnum", ERRNOS, ids=str)
def test_strerror(errnum):
    assert zmqfast.strerror(errnum) == pyzmq.strerror(errnum)
    assert zf_error.strerror(errnum) == pyzmq.strerror(errnum)


ERROR_CLASSES = list(py_error.__all__)


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_error_class_hierarchy(name):
    if name == "strerror":
        return
    expected = getattr(py_error, name)
    got = getattr(zf_error, name)
    assert getattr(zmqfast, name) is got
    assert [b.__name__ for b in got.__mro__] == [b.__name__ for b in expected.__mro__]


def test_error_issubclass():
    zf = zf_error
    assert issubclass(zf.ZMQError, zf.ZMQBaseError)
    assert issubclass(zf.ZMQBaseError, Exception)
    for cls in (zf.Again, zf.ContextTerminated, zf.InterruptedSystemCall):
        assert issubclass(cls, zf.ZMQError)
    assert issubclass(zf.InterruptedSystemCall, InterruptedError)
    assert issubclass(zf.NotDone, zf.ZMQBaseError)
    assert issubclass(zf.ZMQBindError, zf.ZMQBaseError)
    assert issubclass(zf.ZMQVersionError, NotImplementedError)
    assert issubclass(zf.DraftFDWarning, RuntimeWarning)


ERROR_CASES = [
    ("ZMQError", (11,)),
    ("ZMQError", (11, "custom message")),
    ("ZMQError", ("just a message",)),
    ("ZMQError", (1, "")),
    ("ZMQError", (99999,)),
    ("ZMQError", (int(py_constants.EFSM),)),
    ("ZMQError", (int(py_constants.ETERM),)),
    ("Again", ()),
    ("Again", (35, "ignored")),
    ("ContextTerminated", ()),
    ("InterruptedSystemCall", ()),
    ("InterruptedSystemCall", (4,)),
    ("NotDone", ()),
    ("ZMQBindError", ("no port",)),
    ("ZMQBaseError", ("x",)),
    ("DraftFDWarning", ("m",)),
]


def _attrs(exc):
    return (
        getattr(exc, "errno", None),
        getattr(exc, "strerror", None),
        exc.args,
        str(exc),
        repr(exc),
    )


@pytest.mark.parametrize("name,args", ERROR_CASES, ids=repr)
def test_error_instances(name, args):
    expected = getattr(py_error, name)(*args)
    got = getattr(zf_error, name)(*args)
    assert _attrs(got) == _attrs(expected)
    # round-trips through pickle the same way
    assert _attrs(pickle.loads(pickle.dumps(got))) == _attrs(expected)


@pytest.mark.parametrize("args", [((4, 3), "Thing"), ((4, 3),), ("4.3.0",)], ids=repr)
def test_version_error(args):
    expected = py_error.ZMQVersionError(*args)
    got = zf_error.ZMQVersionError(*args)
    assert got.args == expected.args
    assert got.min_version == expected.min_version
    assert got.msg == expected.msg
    # the "have X" part names the libzmq version each library reports
    want = str(expected).replace(pyzmq.zmq_version(), zmqfast.zmq_version())
    assert str(got) == want
    assert repr(got) == f"ZMQVersionError('{want}')"


@pytest.mark.parametrize(
    "errnum,cls",
    [
        (int(py_constants.EAGAIN), "Again"),
        (int(py_constants.ETERM), "ContextTerminated"),
        (4, "InterruptedSystemCall"),
        (int(py_constants.EINVAL), "ZMQError"),
        (int(py_constants.EFSM), "ZMQError"),
    ],
)
def test_error_for(errnum, cls):
    exc = zf_error._error_for(errnum)
    assert type(exc) is getattr(zf_error, cls)
    assert exc.errno == errnum
    assert str(exc) == str(getattr(py_error, cls)(errnum))
