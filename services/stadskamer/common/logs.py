"""Logging set-up: one line per event, with the trace id; never request content.

Code in this project logs method names, codes, counts and durations only. The filter below
adds ``trace_id`` so a log line can be found from a processing-log record and vice versa.
"""

from __future__ import annotations

import logging
import sys

from opentelemetry import trace

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s trace_id=%(trace_id)s %(message)s"


class TraceIdFilter(logging.Filter):
    """Adds the current trace id (hex, or ``-``) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach ``trace_id``; never drops a record."""
        context = trace.get_current_span().get_span_context()
        record.trace_id = f"{context.trace_id:032x}" if context.is_valid else "-"
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send the ``stadskamer`` loggers to standard error in the project's line format."""
    root = logging.getLogger("stadskamer")
    if any(isinstance(f, TraceIdFilter) for h in root.handlers for f in h.filters):
        root.setLevel(level.upper())
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(TraceIdFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
