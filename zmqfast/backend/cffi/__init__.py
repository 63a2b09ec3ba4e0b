"""``zmq.backend.cffi`` does not exist in zmqfast: importing it raises ImportError.

pyzmq's cffi backend binds libzmq through cffi (for PyPy). zmqfast has no libzmq to bind and a
single backend of its own: use ``zmqfast.backend`` (or ``zmqfast.backend.cython``)."""

from ..select import NO_CFFI

raise ImportError(NO_CFFI)
