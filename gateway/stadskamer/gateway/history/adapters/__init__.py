"""gRPC clients of the history fan-out, carrying the calling user's identity."""
