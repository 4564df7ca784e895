"""Benchmark of the pseudonym service: issuance and claims against the echo rate.

Starts the real stack (``stadskamer up`` on a fresh data folder, port 0) as a subprocess,
or uses a running one given ``--address host:port --token T`` (a token with roles issuer,
system and service and domain "kcc"). It measures

- IssuePolymorphicPseudonyms, one BSN per call, at 1 and 16 in flight (each issuance also
  appends its processing record to the audit service before it answers);
- Transcrypt as a claim (a tagged pseudonym of "kcc" into "kcc": tag verification, the
  single-use row, the stored reference and the audit subject), at 1 and 16 in flight; the
  tagged pseudonyms are issued up front in batches (not timed), since each is claimed once;
- BatchTranscrypt with 100 claims per call at 1 and 16 in flight (items per second);
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

from stadskamer.client import PseudonymClient

CONCURRENCIES = (1, 16)
BATCH_SIZE = 100
POOL_SIZE = 1000
TARGET_DOMAIN = "kcc"
PURPOSE = "contact-registration"
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


def issue_factory(client: PseudonymClient, bsns: list[str]) -> Callable[[], Callable[[], object]]:
    """Per thread: a callable issuing the next BSN of ``bsns`` into the target domain."""
    starts = itertools.count(0, 37)

    def make() -> Callable[[], object]:
        cursor = itertools.islice(itertools.cycle(bsns), next(starts) % len(bsns), None)
        return lambda: client.issue_one(next(cursor), TARGET_DOMAIN, PURPOSE)

    return make


def claim_factory(client: PseudonymClient, pool: list[bytes]) -> Callable[[], Callable[[], object]]:
    """Per thread: a callable claiming the next unclaimed tagged pseudonym of ``pool``."""
    shared = iter(pool)

    def make() -> Callable[[], object]:
        return lambda: client.claim(next(shared), TARGET_DOMAIN)

    return make


def batch_factory(client: PseudonymClient, pool: list[bytes]) -> Callable[[], Callable[[], object]]:
    """Per thread: a callable claiming the next ``BATCH_SIZE`` unclaimed pseudonyms of ``pool``."""
    batches = iter([pool[i : i + BATCH_SIZE] for i in range(0, len(pool), BATCH_SIZE)])

    def make() -> Callable[[], object]:
        return lambda: client.claim_many([(t, TARGET_DOMAIN) for t in next(batches)])

    return make


def issued_pool(client: PseudonymClient, bsns: list[str], count: int) -> list[bytes]:
    """``count`` fresh tagged pseudonyms of ``TARGET_DOMAIN`` (issued in batches, untimed)."""
    pool: list[bytes] = []
    while len(pool) < count:
        answers = client.issue(bsns[: min(1000, count - len(pool))], [TARGET_DOMAIN], PURPOSE)
        pool += [answer[0] for answer in answers if answer]
    return pool


def measure_stack(
    address: str, token: str, requests: int, batch_calls: int, seconds: float
) -> dict[str, LoadResult]:
    """Issuance, claims and batched claims at each concurrency."""
    results: dict[str, LoadResult] = {}
    bsns = valid_bsns(POOL_SIZE)
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        client = PseudonymClient(channel, token, timeout=30.0)
        for level in CONCURRENCIES:
            results[f"issue/{level}"] = run_load(
                issue_factory(client, bsns),
                requests=requests,
                concurrency=level,
                max_seconds=seconds,
            )
        for level in CONCURRENCIES:
            started = time.perf_counter()
            pool = issued_pool(client, bsns, requests + requests // 10 + 4 * level)
            print(f"issued {len(pool)} pseudonyms in {time.perf_counter() - started:.1f} s")
            results[f"single/{level}"] = run_load(
                claim_factory(client, pool),
                requests=requests,
                concurrency=level,
                max_seconds=seconds,
            )
        for level in CONCURRENCIES:
            pool = issued_pool(client, bsns, (batch_calls + 2 * level) * BATCH_SIZE)
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
    parser.add_argument("--requests", type=int, default=1000, help="single calls per figure")
    parser.add_argument("--batch-calls", type=int, default=40, help="batch calls per figure")
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
        print_figure(f"Issue (1 BSN), {level} in flight", results[f"issue/{level}"], echo[level])
    for level in CONCURRENCIES:
        print_figure(f"Claim, {level} in flight", results[f"single/{level}"], echo[level])
    for level in CONCURRENCIES:
        print_figure(
            f"BatchTranscrypt x{BATCH_SIZE} claims, {level} in flight",
            results[f"batch/{level}"],
            echo[level],
            items_per_call=BATCH_SIZE,
            unit="items/s",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
