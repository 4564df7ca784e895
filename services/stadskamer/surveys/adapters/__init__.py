"""Adapters of the surveys service: its database, the peers' gRPC contracts, message delivery."""
