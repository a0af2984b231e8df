"""The local demo: the whole pipeline on a generated sample factory and on METHOD.md's
worked example, against the embedded PostgreSQL (or ``DATABASE_URL``)."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine, text
from tqdm import tqdm

from pcf.adapters.postgres.connection import create_engine, database_url
from pcf.adapters.postgres.migrations import upgrade
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.core.engine import machine_breakdown
from pcf.report.html import render_results_report
from pcf.report.results import ResultRow, write_results
from pcf.sample.factory import generate_static_files, generate_telemetry, telemetry_window_count
from pcf.sample.spec import FactorySpec
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.calculate import SiteCalculation, calculate_site_period
from pcf.usecases.load_datasets import load_static_files

# METHOD.md, "Worked example": the figures the demo must reproduce.
WORKED_EXAMPLE_EXPECTED = {
    "A": 4.1070942,
    "P": 10.1207884,
    "P.materials": 6.11,
    "P.purchased_parts": 2.4,
    "P.electricity": 1.53056,
    "P.natural_gas": 0.0802284,
    "P.M1.electricity": 0.9566,
    "P.M2.electricity": 0.57396,
    "P.M2.natural_gas": 0.0802284,
    "P.primary_data_share": 0.277724,
}
WORKED_EXAMPLE_SCHEMA = "worked_example"


@dataclass(frozen=True)
class DemoOutcome:
    calculations: tuple[SiteCalculation, ...]
    worked_example: dict[str, float]
    worked_example_reproduced: bool
    out_dir: Path


def run_demo(
    spec: FactorySpec,
    data_dir: Path,
    out_dir: Path,
    *,
    stream: TextIO = sys.stdout,
    progress: bool = True,
) -> DemoOutcome:
    def say(message: str) -> None:
        print(message, file=stream, flush=True)

    url = database_url(data_dir)
    engine = create_engine(url)
    say(f"database: {_describe(url)}")
    applied = upgrade(engine)
    say(f"schema: {len(applied)} migration(s) applied" if applied else "schema: up to date")

    say("generating the sample factory files")
    files = generate_static_files(spec)
    versions = load_static_files(
        engine, {kind: (f"{kind}.csv", data) for kind, data in files.items()}
    )
    say(
        "loaded "
        + ", ".join(f"{kind} v{v.version} ({v.row_count} rows)" for kind, v in versions.items())
    )

    store = PostgresTelemetryStore(engine)
    total_windows = telemetry_window_count(spec)
    with tqdm(
        total=total_windows,
        desc="telemetry windows",
        unit="win",
        unit_scale=True,
        disable=not progress,
        file=sys.stderr,
    ) as bar:
        written = 0
        for batch in generate_telemetry(spec):
            outcome = store.write_windows(batch)
            written += outcome.inserted + outcome.replaced + outcome.ignored
            bar.update(len(batch))
    say(f"telemetry: {written:,} windows written through the store")

    sites = sorted({row.split(",")[0] for row in files["sites"].decode().splitlines()[1:]})
    calculations = tuple(calculate_site_period(engine, store, site, spec.month) for site in sites)
    for calculation in calculations:
        for warning in calculation.warnings:
            say(f"warning ({calculation.site_id}): {warning}")
    _print_table(calculations, say)

    out_dir.mkdir(parents=True, exist_ok=True)
    names = _item_names(files["items"])
    rows = [
        ResultRow(c.site_id, c.period.label, f, names.get(f.item_id, ""))
        for c in calculations
        for f in c.footprints
    ]
    write_results(out_dir, rows)
    # the report is for people deciding about products; results files hold every item
    report = render_results_report(
        "Product carbon footprints, sample factory",
        [row for row in rows if row.footprint.item_type == "product"],
        context={"database": _describe(url), "factory seed": str(spec.seed)},
    )
    (out_dir / "report.html").write_text(report, encoding="utf-8")
    say(f"wrote {out_dir / 'results.json'}, {out_dir / 'results.csv'}, {out_dir / 'report.html'}")

    worked, reproduced = run_worked_example(url, say)
    (out_dir / "worked_example.json").write_text(json.dumps(worked, indent=2), encoding="utf-8")
    return DemoOutcome(calculations, worked, reproduced, out_dir)


def run_worked_example(url: str, say: Callable[[str], None]) -> tuple[dict[str, float], bool]:
    """METHOD.md's worked example through the same loaders, store and calculator, in a
    schema of its own (data sets are full snapshots per kind, so it cannot share the
    sample factory's)."""
    engine = schema_engine(url, WORKED_EXAMPLE_SCHEMA)
    upgrade(engine)
    files = worked_example_files()
    load_static_files(engine, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(engine)
    store.write_windows(worked_example_telemetry(whole_month=True))
    calculation = calculate_site_period(engine, store, "S1", "2026-01")
    by_item = {f.item_id: f for f in calculation.footprints}
    p = by_item["P"]
    machines = machine_breakdown(p)
    got = {
        "A": by_item["A"].total_kg_co2e,
        "P": p.total_kg_co2e,
        **{f"P.{category}": value for category, value in p.by_category.items()},
        "P.M1.electricity": machines["M1"]["electricity"],
        "P.M2.electricity": machines["M2"]["electricity"],
        "P.M2.natural_gas": machines["M2"]["natural_gas"],
        "P.primary_data_share": p.primary_data_share or 0.0,
    }
    say("\nMETHOD.md worked example (site S1, January 2026):")
    reproduced = True
    for name, expected in WORKED_EXAMPLE_EXPECTED.items():
        # METHOD.md prints the primary data share to 6 digits; everything else is exact
        tolerance = 1e-6 if name == "P.primary_data_share" else 1e-9
        ok = math.isclose(got[name], expected, rel_tol=tolerance)
        reproduced &= ok
        say(
            f"  {name:<22} {got[name]:>14.9f}  expected {expected:<12} {'ok' if ok else 'MISMATCH'}"
        )
    say("worked example reproduced" if reproduced else "worked example NOT reproduced")
    return got, reproduced


def schema_engine(url: str, schema: str, *, fresh: bool = False) -> Engine:
    """An engine whose connections work in ``schema`` (created if missing; dropped first
    with everything in it when ``fresh``)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        if fresh:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    return create_engine(url, search_path=schema)


def _describe(url: str) -> str:
    # never print credentials
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _item_names(items_csv: bytes) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(items_csv.decode("utf-8")))
    return {row["item_id"]: row["name"] for row in rows}


def _print_table(calculations: Sequence[SiteCalculation], say: Callable[[str], None]) -> None:
    header = (
        f"{'site':<5} {'product':<10} {'kg CO2e/unit':>13} {'materials':>10} {'parts':>9} "
        f"{'electr.':>9} {'gas':>8} {'primary':>8}  complete"
    )
    say("\n" + header)
    say("-" * len(header))
    for calculation in calculations:
        for f in calculation.footprints:
            if f.item_type != "product":
                continue
            c = f.by_category
            share = f"{f.primary_data_share:.1%}" if f.primary_data_share is not None else "-"
            say(
                f"{calculation.site_id:<5} {f.item_id:<10} {f.total_kg_co2e:>13.4f} "
                f"{c['materials']:>10.4f} {c['purchased_parts']:>9.4f} "
                f"{c['electricity']:>9.4f} {c['natural_gas']:>8.4f} {share:>8}  "
                f"{'yes' if f.complete else 'no'}"
            )
