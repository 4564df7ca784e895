"""The consent service: purpose catalogue, consent registry, policy checks and link grants."""
