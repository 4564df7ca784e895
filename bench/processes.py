"""Servers under test as subprocesses: start, read their announcement lines, stop.

The client of a benchmark always runs in the benchmark's own process and every server in a
subprocess, so the two do not share one interpreter lock.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO


class OutputLines:
    """Reads a process's standard output on a daemon thread, so the pipe never fills up.

    :meth:`wait_for` hands out the lines in order, waiting for one with a given prefix.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_for(self, prefix: str = "", timeout: float = 30.0) -> str:
        """The next line starting with ``prefix`` (any line if empty), skipping others.

        Raises :class:`RuntimeError` when the output ends or ``timeout`` seconds pass first.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                raise RuntimeError(f"no line {prefix!r} within {timeout} s: {self.seen}") from None
            if line is None:
                raise RuntimeError(f"output ended before a line {prefix!r}: {self.seen}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line


def start_process(
    command: Sequence[str], stderr_file: Path | None = None
) -> tuple[subprocess.Popen[str], OutputLines]:
    """Start ``command`` with its stdout read by an :class:`OutputLines`.

    Standard error goes to ``stderr_file`` when given (server logs), else it is inherited.
    """
    stderr: IO[str] | None = None
    if stderr_file is not None:
        stderr = stderr_file.open("w", encoding="utf-8")
    try:
        process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=stderr, text=True)
    finally:
        if stderr is not None:
            stderr.close()
    assert process.stdout is not None
    return process, OutputLines(process.stdout)


def stop_process(process: subprocess.Popen[str], timeout: float = 15.0) -> int:
    """Send SIGTERM, wait up to ``timeout`` s (then SIGKILL); return the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
