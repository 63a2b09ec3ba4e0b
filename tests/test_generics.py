"""Context and Socket are generic at run time, as pyzmq's are: ``zmq.Context[zmq.Socket]`` and
``zmq.Socket[bytes]`` evaluate. ipykernel evaluates such an annotation when its modules load."""

import typing


def test_context_and_socket_can_be_subscripted(zmq):
    ctx_alias = zmq.Context[zmq.Socket]
    sock_alias = zmq.Socket[bytes]
    assert typing.get_origin(ctx_alias) is zmq.Context
    assert typing.get_args(ctx_alias) == (zmq.Socket,)
    assert typing.get_origin(sock_alias) is zmq.Socket
    assert typing.get_args(sock_alias) == (bytes,)
    assert typing.get_origin(zmq.Context[typing.Any]) is zmq.Context


def test_a_signature_naming_a_parameterised_context_evaluates(zmq):
    # what ipykernel 7 has in a signature, evaluated when its module is imported
    def start(context: zmq.Context[typing.Any] | None = None) -> zmq.Socket[bytes]:
        raise NotImplementedError

    hints = typing.get_type_hints(start)
    assert typing.get_origin(hints["return"]) is zmq.Socket


def test_a_subclass_of_a_parameterised_context_makes_its_sockets(zmq):
    class MySocket(zmq.Socket):
        pass

    class MyContext(zmq.Context[MySocket]):
        _socket_class = MySocket

    with MyContext() as c:
        s = c.socket(zmq.PAIR)
        try:
            assert type(s) is MySocket
            assert isinstance(c, zmq.Context)
        finally:
            s.close(linger=0)


def test_the_parameter_is_not_checked_at_run_time(zmq):
    # a generic alias is a hint: instances are made of the plain class
    with zmq.Context[zmq.Socket]() as c:
        assert type(c) is zmq.Context
        c.socket(zmq.PAIR).close(linger=0)
