"""The ``stadskamer`` command line: run the stack, manage keys and tokens."""
