"""Footprint API load: requests per second and latency of the footprint routes on the local
server with 5,000 products stored, at 50 concurrent clients, beside a trivial route.

What it measures: an embedded PostgreSQL (pgserver) in a temporary folder, migrated to the
current schema, seeded with the sample factory (``pcf.sample``) at ``--products``
finished products through the normal path: ``generate_static_files`` and
``load_static_files``, the telemetry through ``PostgresTelemetryStore.write_windows``,
then ``calculate_site_period`` for each site, which stores every item's footprint. To
keep the seeding short the factory gets the small preset's 6 machines, one day of
telemetry (Monday 5 January 2026) and hourly windows; every product is still a real
footprint from the real calculation (its BOM, meters, factors and allocation). Seeding is
not timed in the results (its seconds are printed).

Then ``LocalServer`` runs in this process on a free port, and ``--clients`` threads, each
with its own keep-alive ``http.client`` connection and a reader token, issue requests
back to back for ``--seconds``, in a seeded mix:

- 10 % ``GET /products`` (every product's latest footprint at each site),
- 40 % ``GET /products/{item}/footprints`` (a random product),
- 40 % ``GET /footprints/{id}`` (a random product footprint's breakdown),
- 10 % ``GET /hotspots?limit=10``.

Baseline: the same clients for the same time against ``GET /bench-no-such-route`` (a
404 from the same resolver, behind the same lock, no database), the server's own
ceiling. It prints requests/s overall and per route, p50/p99/max latency and the errors
(any status but 200, or 404 on the baseline, or a connection failure). The clients share
the process (and the GIL) with the server, as they would share a 2-core machine anyway.
Exit 1 if any request failed.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import http.client
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from pcf.adapters.postgres import migrations
from pcf.adapters.postgres.connection import create_engine, database_url
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.api.auth import Role
from pcf.api.local_server import LocalServer
from pcf.observability import logger
from pcf.sample.factory import generate_static_files, generate_telemetry
from pcf.sample.spec import SMALL
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.footprints import latest_footprints
from pcf.usecases.load_datasets import load_static_files

MIX = (("products", 0.10), ("product footprints", 0.40), ("footprint", 0.40), ("hotspots", 0.10))
BASELINE = "/bench-no-such-route"


@dataclass
class ClientResults:
    """One client's requests: (route, seconds) of each success, and the failures."""

    latencies: list[tuple[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def seed(engine: Engine, products: int) -> tuple[list[str], list[int], float]:
    """The sample factory with ``products`` products, loaded and calculated; the product
    ids, their footprint ids, and the seconds it took."""
    started = time.perf_counter()
    spec = dataclasses.replace(SMALL, products=products, days=1, window_seconds=3600)
    files = generate_static_files(spec)
    load_static_files(engine, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(engine)
    for batch in generate_telemetry(spec):
        store.write_windows(batch)
    sites = sorted({row.split(",")[0] for row in files["sites"].decode().splitlines()[1:]})
    for site in sites:
        calculate_site_period(engine, store, site, spec.month)
    found = latest_footprints(engine)
    items = sorted({row["item_id"] for row in found})
    footprint_ids = sorted(row["footprint_id"] for row in found)
    return items, footprint_ids, time.perf_counter() - started


def mixed_paths(
    items: list[str], footprint_ids: list[int]
) -> Callable[[random.Random], tuple[str, str]]:
    routes = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]

    def next_path(rng: random.Random) -> tuple[str, str]:
        route = rng.choices(routes, weights)[0]
        if route == "products":
            return route, "/products"
        if route == "product footprints":
            return route, f"/products/{rng.choice(items)}/footprints"
        if route == "footprint":
            return route, f"/footprints/{rng.choice(footprint_ids)}"
        return route, "/hotspots?limit=10"

    return next_path


def run_load(
    server: LocalServer,
    token: str,
    next_path: Callable[[random.Random], tuple[str, str]],
    expected: int,
    clients: int,
    seconds: float,
) -> tuple[list[ClientResults], float]:
    host, port = server.http.server_address[:2]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    results = [ClientResults() for _ in range(clients)]
    start_gate = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(index: int) -> None:
        rng = random.Random(index)
        mine = results[index]
        connection = http.client.HTTPConnection(str(host), port, timeout=60)
        connection.connect()  # before the clock: keep-alive clients are connected already
        start_gate.wait()
        while True:
            began = time.perf_counter()
            if began >= deadline[0]:
                break
            route, path = next_path(rng)
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                mine.errors.append(f"{route}: {type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection(str(host), port, timeout=60)
                continue
            if status != expected:
                mine.errors.append(f"{route}: HTTP {status}")
            else:
                mine.latencies.append((route, time.perf_counter() - began))
        connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def report(label: str, results: list[ClientResults], elapsed: float) -> int:
    latencies = [item for r in results for item in r.latencies]
    errors = [error for r in results for error in r.errors]
    by_route: dict[str, list[float]] = {}
    for route, seconds in latencies:
        by_route.setdefault(route, []).append(seconds)
    print(f"\n{label} ({elapsed:.1f} s):")
    print(
        f"  {'route':22s} {'requests':>9s} {'req/s':>9s} "
        f"{'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}"
    )
    rows = [(route, by_route[route]) for route in sorted(by_route)]
    rows.append(("all", [seconds for _, seconds in latencies]))
    for route, values in rows:
        values.sort()
        print(
            f"  {route:22s} {len(values):9,d} {len(values) / elapsed:9,.1f} "
            f"{percentile(values, 0.50) * 1e3:8.1f} {percentile(values, 0.99) * 1e3:8.1f} "
            f"{(values[-1] if values else float('nan')) * 1e3:8.1f}"
        )
    print(f"  errors: {len(errors)}")
    for error in sorted(set(errors))[:10]:
        print(f"    {error}")
    return len(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pcf-bench-api-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # runs after the server stops
    os.environ.pop("DATABASE_URL", None)  # the seeding writes data sets; never someone's
    logger.setLevel("WARNING")  # no log line per request
    engine = create_engine(database_url(work / "postgres"))
    migrations.upgrade(engine)

    items, footprint_ids, seed_seconds = seed(engine, args.products)
    print(
        f"footprint API load: {len(items):,} products, {len(footprint_ids):,} product "
        f"footprints (seeded in {seed_seconds:.1f} s), {args.clients} clients, "
        f"{args.seconds:g} s per run, reader token, keep-alive connections"
    )
    print("  mix: " + ", ".join(f"{share:.0%} {name}" for name, share in MIX))

    server = LocalServer(engine, b"bench secret", objects_dir=work / "objects", port=0)
    token = server.tokens.issue("bench", [Role.READER])
    errors = 0
    with server.running():
        # warm-up: the resolver, pydantic models and the connection pool
        run_load(server, token, mixed_paths(items, footprint_ids), 200, 4, 1.0)
        results, elapsed = run_load(
            server, token, mixed_paths(items, footprint_ids), 200, args.clients, args.seconds
        )
        errors += report("footprint routes", results, elapsed)
        results, elapsed = run_load(
            server, token, lambda _: ("404 baseline", BASELINE), 404, args.clients, args.seconds
        )
        errors += report(f"baseline: GET {BASELINE} (404, no database)", results, elapsed)
    engine.dispose()
    print(f"\n{'PASS' if errors == 0 else 'FAIL'}: {errors} failed requests")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
