"""The REST/JSON gateway: every route maps onto a service's public gRPC contract."""
