"""Cross-cutting code shared by every Stadskamer service, written once.

Settings, errors and their gRPC status mapping, authentication, interceptors, telemetry,
the database bootstrap, key files and the server factory.
"""
