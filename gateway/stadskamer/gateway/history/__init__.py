"""The history fan-out: one citizen's permitted timeline across domains, kept nowhere."""
