"""Adapters of the audit service: its tables, the log writer, readers and peer clients."""
