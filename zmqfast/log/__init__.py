"""Logging over ZeroMQ: see zmqfast.log.handlers (PUBHandler, TopicLogger)."""
