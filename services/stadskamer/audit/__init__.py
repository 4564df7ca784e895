"""The audit service: the tamper-evident processing log and the privacy officer's queries."""
