"""Utilities that pyzmq code imports from zmq.utils."""
