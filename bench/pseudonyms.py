"""Benchmark of the pseudonym service: Transcrypt and BatchTranscrypt against the echo rate.

Starts the real stack (``stadskamer up`` on a fresh data folder, port 0) as a subprocess,
or uses a running one given ``--address host:port --token T``. Polymorphic pseudonyms of
valid BSNs are made up front with the client library (not timed); then it measures

- Transcrypt (polymorphic → domain "kcc"), one pseudonym per call, at 1 and 16 in flight;
- BatchTranscrypt with 100 pseudonyms per call at 1 and 16 in flight (items per second);
- the raw gRPC echo rate at the same concurrencies (``bench/echo.py``),

and prints one line per figure with its ratio to the echo rate. Only prints figures.

Run: ``.venv/bin/python bench/pseudonyms.py [--requests N] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from harness import (
    LoadResult,
    measure_echo_rates,
    print_echo_rates,
    print_figure,
    print_header,
    print_machine,
    run_load,
)
from processes import start_process, stop_process

from stadskamer.client import PseudonymClient, make_polymorphic_pseudonym

CONCURRENCIES = (1, 16)
BATCH_SIZE = 100
POOL_SIZE = 1000
TARGET_DOMAIN = "kcc"
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
_LISTENING = re.compile(r"Stadskamer is listening on (\S+):(\d+)")


def valid_bsns(count: int, start: int = 10_000_000) -> list[str]:
    """``count`` distinct nine-digit numbers that pass the BSN 11-check."""
    found: list[str] = []
    prefix = start
    while len(found) < count:
        digits = f"{prefix:08d}"
        check = sum(w * int(d) for w, d in zip(_WEIGHTS, digits, strict=True)) % 11
        if check < 10:
            found.append(digits + str(check))
        prefix += 1
    return found


@contextmanager
def embedded_stack() -> Iterator[tuple[str, str]]:
    """Run ``stadskamer up`` on a temporary data folder; yield (address, development token).

    Stops the server with SIGTERM afterwards and reports a non-zero exit code.
    """
    command = Path(sys.executable).with_name("stadskamer")
    with tempfile.TemporaryDirectory(prefix="stadskamer-bench-") as folder:
        data_dir = Path(folder) / "data"
        log_file = Path(folder) / "server.log"
        process, lines = start_process(
            [
                str(command),
                "up",
                "--data-dir",
                str(data_dir),
                "--grpc-port",
                "0",
                "--http-port",
                "0",
            ],
            log_file,
        )
        try:
            match = _LISTENING.match(lines.wait_for("Stadskamer is listening on", 120.0))
            if match is None:
                raise RuntimeError(f"unexpected announcement: {lines.seen}")
            lines.wait_for("Development token")
            token = lines.wait_for("").strip()
            yield f"{match.group(1)}:{match.group(2)}", token
        except BaseException:
            print(log_file.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
            raise
        finally:
            code = stop_process(process)
            print(f"stack stopped with exit code {code}")


def transcrypt_factory(
    client: PseudonymClient, pool: list[bytes]
) -> Callable[[], Callable[[], object]]:
    """Per thread: a callable transcrypting the next pseudonym of ``pool``, from its own offset."""
    starts = itertools.count(0, 37)

    def make() -> Callable[[], object]:
        cursor = itertools.islice(itertools.cycle(pool), next(starts) % len(pool), None)
        return lambda: client.transcrypt(next(cursor), TARGET_DOMAIN)

    return make


def batch_factory(client: PseudonymClient, pool: list[bytes]) -> Callable[[], Callable[[], object]]:
    """Per thread: a callable transcrypting the next ``BATCH_SIZE`` pseudonyms of ``pool``."""
    batches = [pool[i : i + BATCH_SIZE] for i in range(0, len(pool) - BATCH_SIZE + 1, BATCH_SIZE)]
    starts = itertools.count()

    def make() -> Callable[[], object]:
        cursor = itertools.islice(itertools.cycle(batches), next(starts) % len(batches), None)
        return lambda: client.transcrypt_many(next(cursor), TARGET_DOMAIN)

    return make


def measure_stack(
    address: str, token: str, requests: int, batch_calls: int, seconds: float
) -> dict[str, LoadResult]:
    """Transcrypt and BatchTranscrypt at each concurrency, keyed "single/<c>" and "batch/<c>"."""
    results: dict[str, LoadResult] = {}
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        client = PseudonymClient(channel, token)
        public_key = client.public_key()
        started = time.perf_counter()
        pool = [make_polymorphic_pseudonym(bsn, public_key) for bsn in valid_bsns(POOL_SIZE)]
        print(f"made {len(pool)} polymorphic pseudonyms in {time.perf_counter() - started:.1f} s")
        for level in CONCURRENCIES:
            results[f"single/{level}"] = run_load(
                transcrypt_factory(client, pool),
                requests=requests,
                concurrency=level,
                max_seconds=seconds,
            )
        for level in CONCURRENCIES:
            results[f"batch/{level}"] = run_load(
                batch_factory(client, pool),
                requests=batch_calls,
                concurrency=level,
                warmup=level,
                max_seconds=seconds,
            )
    return results


def main() -> int:
    """Parse options, measure the echo rate and the service, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="single calls per figure")
    parser.add_argument("--batch-calls", type=int, default=100, help="batch calls per figure")
    parser.add_argument("--seconds", type=float, default=5.0, help="time cap per figure")
    parser.add_argument("--address", help="host:port of a running stack (else one is started)")
    parser.add_argument("--token", help="bearer token for --address")
    options = parser.parse_args()
    if options.address and not options.token:
        parser.error("--address needs --token")
    print_machine()
    print(
        f"requests per figure: {options.requests} single, {options.batch_calls} batch calls "
        f"of {BATCH_SIZE}; cap {options.seconds} s per figure; client in this process"
    )
    echo = measure_echo_rates(CONCURRENCIES, requests=options.requests, max_seconds=options.seconds)
    args = (options.requests, options.batch_calls, options.seconds)
    if options.address:
        results = measure_stack(options.address, options.token, *args)
    else:
        with embedded_stack() as (address, token):
            results = measure_stack(address, token, *args)
    print_header()
    print_echo_rates(echo)
    for level in CONCURRENCIES:
        print_figure(f"Transcrypt, {level} in flight", results[f"single/{level}"], echo[level])
    for level in CONCURRENCIES:
        print_figure(
            f"BatchTranscrypt x{BATCH_SIZE}, {level} in flight",
            results[f"batch/{level}"],
            echo[level],
            items_per_call=BATCH_SIZE,
            unit="items/s",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
