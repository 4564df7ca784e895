"""Fault tests: crashes, unreachable peers and databases, fuzzing, soak, scale-out."""
