"""Footprint API load: requests per second and p50/p95/p99 latency of the footprint routes
on the local server with 5,000 products stored, at 50 concurrent keep-alive clients.

Seeding (its own figure, never part of the load figures): an embedded PostgreSQL
(pgserver) in a temporary folder, migrated to the current schema, and the sample factory
(``pcf.sample``) at ``--products`` finished products loaded through the normal path
(``generate_static_files``, ``load_static_files``, ``PostgresTelemetryStore.write_windows``),
then ``calculate_site_period`` for each site, which computes and stores every item's
footprint with its audit records. To keep the loading short the factory gets the small
preset's 6 machines, one day of telemetry (Monday 5 January 2026) and hourly windows;
every product is still a real footprint from the real calculation. The calculation's
seconds are printed per site and in total.

Load: ``LocalServer`` in this process on a free port; ``--clients`` threads, each with its
own keep-alive ``http.client`` connection, send requests back to back. Every client walks
the same fixed schedule of routes (``MIX``, 20 slots, each client starting at another
slot), with the product, footprint and page drawn from a generator seeded by the client's
number, so two runs send the same requests:

- ``list``: ``GET /products?limit=50&offset=..`` (a page of the latest footprints), every
  other one filtered by ``site_id``,
- ``product``: ``GET /products/{item}/footprints``,
- ``footprint``: ``GET /footprints/{id}`` (breakdown by category and source),
- ``audit``: ``GET /footprints/{id}/audit`` (auditor token: the record joined with the
  run's site inputs, recomputed),
- ``stale``: ``GET /footprints/stale?site_id=..``,
- ``what-if``: ``POST /footprints/{id}/what-if`` with another grid factor.

A warm-up (``--warmup`` seconds, same clients and mix, not counted) comes first. Then the
clients run for ``--seconds``; at the deadline each finishes the request it has in
flight and stops (drained: the elapsed time runs to the last answer). Every request has a
``--timeout``; a timeout, a connection error or any status but 2xx is an error, and any
error fails the run (exit 1). Printed: requests, requests/s, p50/p95/p99/max per route and
overall. The clients share the process (and the GIL) with the server, as they would
share a 2-core machine anyway. ``--baseline`` adds a run against a route that does not
exist (a 404 from the same resolver, no database): the server's own ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import dataclasses
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres import migrations
from pcf.adapters.postgres.connection import create_engine, database_url
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.api.auth import Role
from pcf.api.local_server import DEFAULT_CONCURRENT_REQUESTS, LocalServer
from pcf.observability import logger
from pcf.sample.factory import generate_static_files, generate_telemetry
from pcf.sample.spec import SMALL
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.footprints import latest_footprints
from pcf.usecases.load_datasets import load_static_files

# The fixed schedule every client walks (20 slots): mostly reads of lists and single
# footprints, some audit trails, stale lists and what-ifs.
MIX = (
    ("list", 5),
    ("product", 4),
    ("footprint", 5),
    ("audit", 2),
    ("stale", 2),
    ("what-if", 2),
)
SCHEDULE = tuple(route for route, slots in MIX for _ in range(slots))
PAGE = 50
BASELINE = "/bench-no-such-route"
WHAT_IF = json.dumps({"grid_kg_co2e_per_kwh": 0.25}).encode()


@dataclass(frozen=True)
class Seeded:
    items: list[str]
    footprint_ids: list[int]
    sites: list[str]
    load_seconds: float
    calculation_seconds: dict[str, float]


@dataclass(frozen=True)
class Request:
    route: str
    method: str
    path: str
    body: bytes | None = None
    auditor: bool = False


@dataclass
class ClientResults:
    """One client's answered requests as (route, seconds), and its failures."""

    latencies: list[tuple[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    finished_at: float = 0.0


def seed(engine: Engine, products: int) -> Seeded:
    """The sample factory with ``products`` products, loaded, then calculated site by
    site through ``calculate_site_period``."""
    started = time.perf_counter()
    spec = dataclasses.replace(SMALL, products=products, days=1, window_seconds=3600)
    files = generate_static_files(spec)
    load_static_files(engine, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(engine)
    for batch in generate_telemetry(spec):
        store.write_windows(batch)
    load_seconds = time.perf_counter() - started
    sites = sorted({row.split(",")[0] for row in files["sites"].decode().splitlines()[1:]})
    calculation_seconds: dict[str, float] = {}
    for site in sites:
        began = time.perf_counter()
        calculate_site_period(engine, store, site, spec.month)
        calculation_seconds[site] = time.perf_counter() - began
    # what autovacuum does within a minute of a bulk load: planner statistics for the
    # new rows (without them the first plans assume near-empty tables)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    found = latest_footprints(engine)
    return Seeded(
        items=sorted({row["item_id"] for row in found}),
        footprint_ids=sorted(row["footprint_id"] for row in found),
        sites=sites,
        load_seconds=load_seconds,
        calculation_seconds=calculation_seconds,
    )


@dataclass(frozen=True)
class MixedRequests:
    """The request at slot ``n`` of a client's walk through SCHEDULE (picklable: it is
    sent to the load process)."""

    seeded: Seeded

    def __call__(self, rng: random.Random, n: int) -> Request:
        seeded = self.seeded
        route = SCHEDULE[n % len(SCHEDULE)]
        if route == "list":
            pages = max(1, len(seeded.footprint_ids) // PAGE)  # of all sites' products
            if n % 2:
                site = rng.choice(seeded.sites)
                page = rng.randrange(pages // len(seeded.sites) or 1)
                query = f"site_id={site}&limit={PAGE}&offset={page * PAGE}"
            else:
                query = f"limit={PAGE}&offset={rng.randrange(pages) * PAGE}"
            return Request(route, "GET", f"/products?{query}")
        if route == "product":
            return Request(route, "GET", f"/products/{rng.choice(seeded.items)}/footprints")
        footprint = rng.choice(seeded.footprint_ids)
        if route == "footprint":
            return Request(route, "GET", f"/footprints/{footprint}")
        if route == "audit":
            return Request(route, "GET", f"/footprints/{footprint}/audit", auditor=True)
        if route == "stale":
            return Request(route, "GET", f"/footprints/stale?site_id={rng.choice(seeded.sites)}")
        return Request(route, "POST", f"/footprints/{footprint}/what-if", WHAT_IF)


@dataclass(frozen=True)
class Baseline:
    def __call__(self, rng: random.Random, n: int) -> Request:
        return Request("404", "GET", BASELINE)


def _is_2xx(status: int) -> bool:
    return 200 <= status < 300


def _is_404(status: int) -> bool:
    return status == 404


def run_load(
    address: tuple[str, int],
    tokens: dict[bool, str],
    make: Callable[[random.Random, int], Request],
    *,
    clients: int,
    seconds: float,
    timeout: float,
    expected: Callable[[int], bool] = _is_2xx,
) -> tuple[list[ClientResults], float]:
    """``clients`` keep-alive clients sending back to back until ``seconds`` have passed,
    then draining (each finishes its request in flight), in a process of their own (one
    asyncio loop), so they share neither the server's GIL nor its threads. Returns each
    client's results and the seconds from the start to the last answer."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(
        target=_load_process,
        args=(child, address, tokens, make, clients, seconds, timeout, expected),
        name="bench-clients",
    )
    process.start()
    child.close()
    if not parent.poll(seconds + 2 * timeout + 60):
        process.kill()
        raise RuntimeError("the load process did not answer")
    results, elapsed = parent.recv()
    process.join()
    return results, elapsed


def _load_process(
    connection: Any,
    address: tuple[str, int],
    tokens: dict[bool, str],
    make: Callable[[random.Random, int], Request],
    clients: int,
    seconds: float,
    timeout: float,
    expected: Callable[[int], bool],
) -> None:
    connection.send(asyncio.run(_load(address, tokens, make, clients, seconds, timeout, expected)))
    connection.close()


async def _load(
    address: tuple[str, int],
    tokens: dict[bool, str],
    make: Callable[[random.Random, int], Request],
    clients: int,
    seconds: float,
    timeout: float,
    expected: Callable[[int], bool],
) -> tuple[list[ClientResults], float]:
    results = [ClientResults() for _ in range(clients)]
    # connected before the clock: keep-alive clients are connected already
    streams = [await asyncio.open_connection(*address) for _ in range(clients)]
    started = time.perf_counter()
    deadline = started + seconds

    async def client(index: int) -> None:
        rng = random.Random(index)
        mine = results[index]
        reader, writer = streams[index]
        slot = index  # each client starts at another slot of the schedule
        while time.perf_counter() < deadline:
            request = make(rng, slot)
            slot += 1
            began = time.perf_counter()
            try:
                writer.write(_http_request(request, tokens, address))
                status = await asyncio.wait_for(_http_response(reader), timeout)
            except (TimeoutError, OSError, ValueError) as error:
                mine.errors.append(f"{request.route}: {type(error).__name__}: {error}")
                writer.close()
                reader, writer = await asyncio.open_connection(*address)
                continue
            if expected(status):
                mine.latencies.append((request.route, time.perf_counter() - began))
            else:
                mine.errors.append(
                    f"{request.route}: HTTP {status} {request.method} {request.path}"
                )
        mine.finished_at = time.perf_counter()
        writer.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    last = max((r.finished_at for r in results), default=started)
    return results, max(last, started + 1e-9) - started


def _http_request(request: Request, tokens: dict[bool, str], address: tuple[str, int]) -> bytes:
    body = request.body or b""
    head = (
        f"{request.method} {request.path} HTTP/1.1\r\n"
        f"Host: {address[0]}:{address[1]}\r\n"
        f"Authorization: Bearer {tokens[request.auditor]}\r\n"
        "Accept: application/json\r\n"
        + ("Content-Type: application/json\r\n" if request.body is not None else "")
        + f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _http_response(reader: asyncio.StreamReader) -> int:
    """Read one whole response (the local server always sends Content-Length); its
    status."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return status


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(-(-share * len(sorted_values) // 1)))  # ceil
    return sorted_values[min(rank, len(sorted_values)) - 1]


def report(label: str, results: list[ClientResults], elapsed: float) -> int:
    latencies = [item for r in results for item in r.latencies]
    errors = [error for r in results for error in r.errors]
    by_route: dict[str, list[float]] = {}
    for route, seconds in latencies:
        by_route.setdefault(route, []).append(seconds)
    print(f"\n{label} ({elapsed:.1f} s, drained):")
    print(
        f"  {'route':10s} {'requests':>9s} {'req/s':>8s} {'p50 ms':>8s} "
        f"{'p95 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}"
    )
    order = [route for route, _ in MIX if route in by_route] + sorted(
        set(by_route) - {route for route, _ in MIX}
    )
    rows = [(route, by_route[route]) for route in order]
    rows.append(("all", [seconds for _, seconds in latencies]))
    for route, values in rows:
        values.sort()
        print(
            f"  {route:10s} {len(values):9,d} {len(values) / elapsed:8,.1f} "
            + " ".join(f"{percentile(values, q) * 1e3:8.1f}" for q in (0.50, 0.95, 0.99))
            + f" {(values[-1] if values else float('nan')) * 1e3:8.1f}"
        )
    print(f"  errors: {len(errors)}")
    for error in sorted(set(errors))[:10]:
        print(f"    {error}")
    return len(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds, not counted")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    parser.add_argument("--baseline", action="store_true", help="also the 404 baseline")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENT_REQUESTS,
        help="API requests the server runs at once (LocalServer's max_concurrent_requests)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pcf-bench-api-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # runs after the server stops
    os.environ.pop("DATABASE_URL", None)  # the seeding writes data sets; never someone's
    logger.setLevel("WARNING")  # no log line per request
    engine = create_engine(database_url(work / "postgres"))
    migrations.upgrade(engine)

    seeded = seed(engine, args.products)
    calculation = sum(seeded.calculation_seconds.values())
    print(
        f"footprint API load: {len(seeded.items):,} products at {len(seeded.sites)} sites, "
        f"{len(seeded.footprint_ids):,} product footprints"
    )
    print(
        f"  seeding: calculation {calculation:.1f} s ("
        + ", ".join(f"{site} {s:.1f} s" for site, s in seeded.calculation_seconds.items())
        + f"; every item's footprint and audit records stored), loading the files and "
        f"telemetry {seeded.load_seconds:.1f} s"
    )
    print(
        f"  {args.clients} keep-alive clients, {args.warmup:g} s warm-up, "
        f"{args.seconds:g} s measured, {args.timeout:g} s timeout per request; the server "
        f"runs {args.concurrency} API requests at once"
    )
    print("  mix: " + ", ".join(f"{slots * 5}% {route}" for route, slots in MIX))

    server = LocalServer(
        engine,
        b"bench secret",
        objects_dir=work / "objects",
        port=0,
        max_concurrent_requests=args.concurrency,
    )
    tokens = {
        False: server.tokens.issue("bench", [Role.READER]),
        True: server.tokens.issue("bench-auditor", [Role.AUDITOR]),
    }
    make = MixedRequests(seeded)
    errors = 0
    with server.running():
        host, port = server.http.server_address[:2]
        address = (str(host), int(port))
        clients, timeout = args.clients, args.timeout
        warmup, _ = run_load(
            address, tokens, make, clients=clients, seconds=args.warmup, timeout=timeout
        )
        errors += sum(len(r.errors) for r in warmup)
        results, elapsed = run_load(
            address, tokens, make, clients=clients, seconds=args.seconds, timeout=timeout
        )
        errors += report(f"footprint routes, {clients} clients", results, elapsed)
        if args.baseline:
            results, elapsed = run_load(
                address,
                tokens,
                Baseline(),
                clients=clients,
                seconds=args.seconds,
                timeout=timeout,
                expected=_is_404,
            )
            errors += report(f"baseline: GET {BASELINE} (404, no database)", results, elapsed)
    engine.dispose()
    print(f"\n{'PASS' if errors == 0 else 'FAIL'}: {errors} failed requests (warm-up included)")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
