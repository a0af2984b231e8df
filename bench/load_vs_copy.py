"""Dataset load throughput: rows per second through the path an accepted upload takes,
side by side with a plain ``COPY`` of the same rows into the same ``ds_<kind>`` table.

What it measures: an embedded PostgreSQL (pgserver) in a temporary folder, migrated to the
current schema. Two seeded files, written as an SME's export would be (a header, cells
quoted only when they hold a comma):

- emission factors: 1,000,000 rows (``--rows``): half given as CO2, CH4 and N2O, half as
  CO2e with its GWP set; per kg, t, g, kWh, MWh, MJ, MMBtu, m3, L, m2, m or piece (energy
  factors with their calorific basis); names and sources with commas; a quarter with a
  validity period;
- a bill of materials: 1,000,000 lines (``--edges``) over ``edges / 5`` items: products
  and sub-assemblies in a DAG (a parent consumes only items after it), materials per kg,
  t, m2 or L and purchased parts per piece; quantities in the child's declared unit or a
  convertible one (g of a kg material, kg of a t material, m3 of an L material, kg of a
  piece part with a mass), a third of the lines with scrap. Its items are loaded first
  (not timed) as the current items version that the BOM's references are checked against.

Timed lines, each the best of ``--repeats`` runs into an empty ``ds_<kind>`` table (that
kind's rows, versions and uploads deleted and a ``CHECKPOINT`` before each run, outside
the timer):

- validate + load: what the upload Lambda does with a landed file, on bytes already in
  memory: its SHA-256; the current versions of the kinds the file refers to, read from
  PostgreSQL (``read_dataset``: the items, for the BOM); ``validate_files`` (reading, row
  checks, table rules, references); ``load_dataset_version`` in one transaction,
  committed. This is the line the target applies to.
- upload path: for reference, the whole ``process_landed_object`` on a folder object
  store: the line above plus the upload row locked, the file read from the store, and
  the processed Parquet written (``read_dataset`` of the new version, Parquet to the
  processed tier) before the commit.
- plain COPY: ``COPY ds_<kind> (...) FROM STDIN WITH (FORMAT csv)`` of the same rows
  (the typed rows the validator gives, tagged with a dataset version created outside the
  timer) in one statement and one transaction, commit included. The CSV is written
  beforehand with pyarrow, so only the COPY is timed.

The script checks that the loaded version and the COPY hold the same rows (count and an
md5 over every column) and that the upload path accepted both files.

Target (issue 4, point 9): validate + load at least 0.3 of plain COPY in rows per second,
for each file. Prints PASS or FAIL and exits 1 on FAIL. On FAIL (or with ``--profile``)
it runs validate + load once more under cProfile and prints the time per stage (reading,
row checks, table rules, references, load) and the functions with the most own time.

``DATABASE_URL`` is ignored: the script deletes data sets, so it only ever runs against
its own embedded server.

Run: ``.venv/bin/python bench/load_vs_copy.py [--rows 1000000] [--edges 1000000]
[--repeats 3] [--seed 1] [--profile]``
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import hashlib
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from profiling import cumulative, print_top_functions
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.object_store import FolderObjectStore, UrlSigner
from pcf.adapters.postgres import migrations
from pcf.adapters.postgres.connection import create_engine, database_url, transaction
from pcf.adapters.postgres.datasets import (
    current_versions,
    dataset_table_name,
    load_dataset_version,
    read_dataset,
)
from pcf.formats.definitions import FORMATS
from pcf.formats.rules import referenced_kinds
from pcf.formats.validation import validate_files
from pcf.usecases.uploads import (
    UploadDependencies,
    UploadLimits,
    UploadStatus,
    create_upload,
    process_landed_object,
)

TARGET_RATIO = 0.3
QUIET_LOGS = {"POWERTOOLS_LOG_LEVEL": "WARNING", "LOG_LEVEL": "WARNING"}


# --- data ------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, options: list[str], size: int, p: Any = None) -> pa.Array:
    return pa.array(np.asarray(options, dtype=object)[rng.choice(len(options), size, p=p)])


def _numbers(values: npt.NDArray[np.float64], given: npt.NDArray[np.bool_]) -> pa.Array:
    """Numbers as an SME's export writes them (6 significant digits), "" where not given."""
    texts = np.char.mod("%.6g", values).astype(object)
    texts[~given] = ""
    return pa.array(texts, pa.string())


def _dates(days: npt.NDArray[np.int64], given: npt.NDArray[np.bool_]) -> pa.Array:
    texts = np.datetime_as_string(days.astype("datetime64[D]")).astype(object)
    texts[~given] = ""
    return pa.array(texts, pa.string())


def emission_factors_file(rows: int, seed: int) -> bytes:
    """A seeded emission-factor CSV of ``rows`` rows (see the module docstring)."""
    rng = np.random.default_rng(seed)
    units = ["kg", "t", "g", "kWh", "MWh", "MJ", "MMBtu", "m3", "L", "m2", "m", "piece"]
    energy = np.isin(np.arange(len(units)), [3, 4, 5, 6])
    unit_index = rng.integers(0, len(units), rows)
    gases = rng.random(rows) < 0.5
    ch4 = gases & (rng.random(rows) < 0.6)
    n2o = gases & (rng.random(rows) < 0.4)
    dated = rng.random(rows) < 0.25
    start = np.datetime64("2015-01-01", "D").astype(np.int64) + rng.integers(0, 3000, rows)
    ids = np.char.add("EF-", np.char.zfill(np.arange(rows).astype(str), 7)).astype(object)
    materials = ["Steel", "Aluminium", "Copper", "PET", "Board", "Glass", "Natural gas"]
    routes = ["global average", "primary", "recycled", "EU mix", "US mix", "cradle to gate"]
    names = pc.binary_join_element_wise(_pick(rng, materials, rows), _pick(rng, routes, rows), ", ")
    sources = [
        "worldsteel",
        "ecoinvent 3.10",
        "US EPA GHG Emission Factors Hub",
        "DEFRA 2024, conversion factors",
        "FEFCO 2021, 2020 data",
        "International Aluminium Institute",
    ]
    table = pa.table(
        {
            "factor_id": pa.array(ids, pa.string()),
            "name": names,
            "per_unit": pa.array(np.asarray(units, dtype=object)[unit_index]),
            "co2_kg": _numbers(rng.lognormal(0, 1.5, rows), gases),
            "ch4_kg": _numbers(rng.lognormal(-7, 1, rows), ch4),
            "n2o_kg": _numbers(rng.lognormal(-9, 1, rows), n2o),
            "co2e_kg": _numbers(rng.lognormal(0, 1.5, rows), ~gases),
            "co2e_gwp_set": pa.array(
                np.where(~gases, np.where(rng.random(rows) < 0.7, "AR6", "AR5"), "").astype(object)
            ),
            "ch4_origin": pa.array(
                np.where(ch4, np.where(rng.random(rows) < 0.8, "fossil", "non_fossil"), "").astype(
                    object
                )
            ),
            "energy_basis": pa.array(
                np.where(
                    energy[unit_index], np.where(rng.random(rows) < 0.5, "gross", "net"), ""
                ).astype(object)
            ),
            "source": _pick(rng, sources, rows),
            "year": pa.array(np.char.mod("%d", rng.integers(1990, 2026, rows)).astype(object)),
            "valid_from": _dates(start, dated),
            "valid_to": _dates(
                start + rng.integers(0, 2000, rows), dated & (rng.random(rows) < 0.5)
            ),
        }
    )
    return _export(table)


@dataclass(frozen=True)
class BomFiles:
    items: bytes
    bom: bytes


def bom_files(edges: int, seed: int) -> BomFiles:
    """A seeded items file and a BOM of exactly ``edges`` lines over them."""
    rng = np.random.default_rng(seed + 1)
    count = max(edges // 5, 50)
    in_house = count // 2  # products first, then sub-assemblies
    products = max(in_house // 10, 1)
    purchased = count - in_house
    materials = purchased // 2
    # item types and declared units, by position: in-house, materials, purchased parts
    item_type = np.empty(count, dtype=object)
    item_type[:products] = "product"
    item_type[products:in_house] = "subassembly"
    item_type[in_house : in_house + materials] = "material"
    item_type[in_house + materials :] = "purchased_part"
    material_units = np.array(["kg", "t", "m2", "L"], dtype=object)
    declared = np.full(count, "piece", dtype=object)
    declared[in_house : in_house + materials] = material_units[
        rng.choice(4, materials, p=[0.6, 0.15, 0.15, 0.1])
    ]
    has_mass = item_type != "material"
    has_mass[in_house + materials :] &= rng.random(count - in_house - materials) < 0.7
    mass = rng.lognormal(-1, 1, count)
    ids = np.char.add(
        np.where(np.arange(count) < in_house, "P-", "M-").astype(str),
        np.char.zfill(np.arange(count).astype(str), 7),
    ).astype(object)
    items = pa.table(
        {
            "item_id": pa.array(ids, pa.string()),
            "name": pa.array(np.char.add("Item ", np.arange(count).astype(str)).astype(object)),
            "item_type": pa.array(item_type, pa.string()),
            "declared_unit": pa.array(declared, pa.string()),
            "mass_per_piece_kg": _numbers(mass, has_mass),
        }
    )

    # lines: a parent (in-house) consumes an item after it, so the lines form a DAG
    key_space = np.int64(count)
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < edges:
        draw = int((edges - len(keys)) * 1.2) + 16
        parents = rng.integers(0, in_house - 1, draw)
        children = parents + 1 + (rng.random(draw) * (count - 1 - parents)).astype(np.int64)
        keys = np.unique(np.concatenate([keys, parents * key_space + children]))
    keys = rng.permutation(keys)[:edges]
    parents, children = keys // key_space, keys % key_space
    child_unit = declared[children]
    unit = child_unit.copy()
    alternative = rng.random(edges) < 0.3
    unit[alternative & (child_unit == "kg")] = "g"
    unit[alternative & (child_unit == "t")] = "kg"
    unit[alternative & (child_unit == "L")] = "m3"
    unit[alternative & (child_unit == "piece") & has_mass[children]] = "kg"
    quantity = rng.lognormal(0, 1, edges)
    quantity[unit == "piece"] = rng.integers(1, 12, int((unit == "piece").sum()))
    bom = pa.table(
        {
            "parent_item_id": pa.array(ids[parents], pa.string()),
            "child_item_id": pa.array(ids[children], pa.string()),
            "quantity": _numbers(quantity, np.ones(edges, dtype=np.bool_)),
            "unit": pa.array(unit, pa.string()),
            "scrap_rate": _numbers(rng.uniform(0, 0.1, edges), rng.random(edges) < 0.33),
        }
    )
    return BomFiles(_export(items), _export(bom))


def _export(table: pa.Table) -> bytes:
    """The table as CSV with a header, cells quoted only when needed."""
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


# --- runs ------------------------------------------------------------------------------


def empty_kind(engine: Engine, kind: str) -> None:
    """Delete every version of ``kind`` (rows, uploads, errors), then a checkpoint."""
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {dataset_table_name(kind)}"))
        connection.execute(
            text(
                "DELETE FROM upload_error WHERE upload_id IN "
                "(SELECT id FROM upload WHERE kind = :kind)"
            ),
            {"kind": kind},
        )
        connection.execute(text("DELETE FROM upload WHERE kind = :kind"), {"kind": kind})
        connection.execute(text("DELETE FROM dataset_version WHERE kind = :kind"), {"kind": kind})
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("CHECKPOINT"))


def validate_and_load(engine: Engine, kind: str, file_name: str, data: bytes) -> int:
    """What the upload Lambda does with a valid landed file: checksum, references read
    from PostgreSQL, validation, the load in one transaction. The new version's id."""
    hashlib.sha256(data).hexdigest()
    with transaction(engine) as connection:
        current = current_versions(connection)
        references = {
            other: read_dataset(connection, current[other].id)
            for other in referenced_kinds(FORMATS[kind])
            if other in current
        }
        result = validate_files({kind: (file_name, data)}, references)[kind]
        if result.table is None:
            raise SystemExit(f"{file_name} was rejected: {result.errors[:5]}")
        version = load_dataset_version(
            connection,
            kind,
            result.table,
            file_name=file_name,
            sha256=hashlib.sha256(data).hexdigest(),
        )
    return version.id


def upload_path(dependencies: UploadDependencies, kind: str, file_name: str, data: bytes) -> float:
    """Seconds for ``process_landed_object`` on a file already in the raw tier."""
    created = create_upload(
        dependencies,
        kind=kind,
        file_name=file_name,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_by="bench",
    )
    key = created.upload.object_key
    dependencies.store.put(key, data)
    started = time.perf_counter()
    upload = process_landed_object(dependencies, key)
    elapsed = time.perf_counter() - started
    if upload.status is not UploadStatus.ACCEPTED:
        raise SystemExit(f"{file_name} was not accepted: {upload.errors[:5]}")
    return elapsed


def copy_csv(table: pa.Table, version_id: int) -> bytes:
    """The typed rows tagged with ``version_id`` as header-less CSV (strings quoted, nulls
    empty), as ``COPY ... WITH (FORMAT csv)`` reads them."""
    tagged = table.add_column(
        0, "dataset_version_id", pa.array(np.full(table.num_rows, version_id, dtype=np.int64))
    )
    sink = io.BytesIO()
    pa_csv.write_csv(tagged, sink, write_options=pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


def plain_copy(engine: Engine, kind: str, table: pa.Table) -> float:
    """Seconds to COPY the rows into ``ds_<kind>`` in one statement and transaction; the
    version row is made beforehand, outside the timer."""
    with engine.begin() as connection:
        version_id = connection.execute(
            text(
                "INSERT INTO dataset_version (kind, version, file_name, sha256, row_count) "
                "VALUES (:kind, 1, 'copy.csv', repeat('0', 64), :rows) RETURNING id"
            ),
            {"kind": kind, "rows": table.num_rows},
        ).scalar_one()
    data = copy_csv(table, version_id)
    columns = ", ".join(["dataset_version_id", *table.column_names])
    statement = f"COPY {dataset_table_name(kind)} ({columns}) FROM STDIN WITH (FORMAT csv)"
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        stream = io.BytesIO(data)
        started = time.perf_counter()
        cursor.copy_expert(statement, stream, size=1 << 20)
        connection.commit()
        elapsed = time.perf_counter() - started
        cursor.close()
    finally:
        connection.close()
    return elapsed


def fingerprint(engine: Engine, kind: str) -> tuple[int, str]:
    """Row count and md5 over every column but the version id, in key order."""
    file_format = FORMATS[kind]
    columns = ", ".join(f"{name}::text" for name in file_format.column_names)
    order = ", ".join(f'{name} COLLATE "C"' for name in file_format.key)
    with engine.connect() as connection:
        count, digest = connection.execute(
            text(
                f"SELECT count(*), md5(string_agg(concat_ws('|', {columns}), ';' "
                f"ORDER BY {order})) FROM {dataset_table_name(kind)}"
            )
        ).one()
    return int(count), str(digest)


def best_of(repeats: int, engine: Engine, kind: str, run: Callable[[], float]) -> float:
    times = []
    for _ in range(repeats):
        empty_kind(engine, kind)
        times.append(run())
    return min(times)


def timed(run: Callable[[], object]) -> Callable[[], float]:
    def seconds() -> float:
        started = time.perf_counter()
        run()
        return time.perf_counter() - started

    return seconds


# --- profile ---------------------------------------------------------------------------

STAGES = [
    ("sha256", "~", "<built-in method _hashlib.openssl_sha256>"),
    ("references read (read_dataset)", "adapters/postgres/datasets.py", "read_dataset"),
    ("validate_files", "formats/validation.py", "validate_files"),
    ("  reading (read_csv)", "formats/reading.py", "read_csv"),
    ("  row checks (check_rows)", "formats/validation.py", "check_rows"),
    ("    column checks (parse_column)", "formats/columns.py", "parse_column"),
    ("    row rules (check_row_rules)", "formats/rules.py", "check_row_rules"),
    ("  table rules (check_table_rules)", "formats/rules.py", "check_table_rules"),
    ("  references (check_reference_rules)", "formats/rules.py", "check_reference_rules"),
    ("load (load_dataset_version)", "adapters/postgres/datasets.py", "load_dataset_version"),
    ("  CSV for COPY (_csv_parts)", "adapters/postgres/datasets.py", "_csv_parts"),
    ("  COPY (copy_expert, CSV made inside)", "~", "copy_expert"),
]


def profile(engine: Engine, kind: str, file_name: str, data: bytes, rows: int) -> None:
    """Run validate + load once under cProfile; the time per stage and the top
    functions by own time."""
    empty_kind(engine, kind)
    profiler = cProfile.Profile()
    profiler.enable()
    validate_and_load(engine, kind, file_name, data)
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]

    total = cumulative(entries, "load_vs_copy.py", "validate_and_load")
    print(f"\nprofile of {file_name}: validate + load once under cProfile, {total:.2f} s")
    print("  (cProfile slows Python code, not the server or Arrow: shares are indicative)")
    print(f"  {'stage':42s} {'seconds':>8s} {'share':>6s} {'us/row':>7s}")
    for label, file_end, name in STAGES:
        seconds = cumulative(entries, file_end, name)
        print(f"  {label:42s} {seconds:8.2f} {seconds / total:6.1%} {seconds / rows * 1e6:7.2f}")
    print_top_functions(entries, 12)


# --- main ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    rows: int
    megabytes: float
    load_s: float
    upload_s: float
    copy_s: float
    sorted_copy_s: float
    same_rows: bool

    @property
    def ratio(self) -> float:
        return self.copy_s / self.load_s


def measure(
    engine: Engine, dependencies: UploadDependencies, kind: str, data: bytes, repeats: int
) -> Outcome:
    file_name = f"{kind}.csv"
    # warm-up (pint tables, time zones, the first COPY), not timed
    warm = data[: data.index(b"\n", min(len(data) - 1, 200_000)) + 1]
    empty_kind(engine, kind)
    validate_and_load(engine, kind, file_name, warm)
    # the rows COPY is given: the validator's typed table, in the file's order
    with transaction(engine) as connection:
        current = current_versions(connection)
        references = {
            other: read_dataset(connection, current[other].id)
            for other in referenced_kinds(FORMATS[kind])
            if other in current
        }
    table = validate_files({kind: (file_name, data)}, references)[kind].table
    assert table is not None
    in_key_order = table.sort_by([(name, "ascending") for name in FORMATS[kind].key])

    load_s = best_of(
        repeats, engine, kind, timed(lambda: validate_and_load(engine, kind, file_name, data))
    )
    loaded = fingerprint(engine, kind)
    upload_s = best_of(1, engine, kind, lambda: upload_path(dependencies, kind, file_name, data))
    copy_s = best_of(repeats, engine, kind, lambda: plain_copy(engine, kind, table))
    copied = fingerprint(engine, kind)
    sorted_copy_s = best_of(1, engine, kind, lambda: plain_copy(engine, kind, in_key_order))
    empty_kind(engine, kind)
    return Outcome(
        kind,
        table.num_rows,
        len(data) / 1e6,
        load_s,
        upload_s,
        copy_s,
        sorted_copy_s,
        loaded == copied,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="emission factor rows")
    parser.add_argument("--edges", type=int, default=None, help="BOM lines (default: --rows)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="profile even on PASS")
    args = parser.parse_args()
    edges = args.edges if args.edges is not None else args.rows
    os.environ.update(QUIET_LOGS)

    work = Path(tempfile.mkdtemp(prefix="pcf-bench-load-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # runs after the server stops
    os.environ.pop("DATABASE_URL", None)  # never delete someone's real data sets
    engine = create_engine(database_url(work / "postgres"))
    migrations.upgrade(engine)
    store = FolderObjectStore(work / "objects", UrlSigner(b"bench"), "http://127.0.0.1:0")
    dependencies = UploadDependencies(engine, store, UploadLimits(max_bytes=1 << 40))

    started = time.perf_counter()
    factors = emission_factors_file(args.rows, args.seed)
    bom = bom_files(edges, args.seed)
    item_count = bom.items.count(b"\n") - 1
    print(
        f"load vs COPY: {args.rows:,} emission factors ({len(factors) / 1e6:.0f} MB), "
        f"{edges:,} BOM lines ({len(bom.bom) / 1e6:.0f} MB) over "
        f"{item_count:,} items; best of {args.repeats} "
        f"(files made in {time.perf_counter() - started:.1f} s)"
    )
    validate_and_load(engine, "items", "items.csv", bom.items)  # the BOM's current items

    outcomes = [
        measure(engine, dependencies, "emission_factors", factors, args.repeats),
        measure(engine, dependencies, "bom", bom.bom, args.repeats),
    ]
    print(f"  {'':38s} {'seconds':>8s} {'rows/s':>11s} {'MB/s':>6s} {'/ COPY':>7s}")
    passed = True
    for outcome in outcomes:
        lines = [
            ("validate + load (target line)", outcome.load_s),
            ("upload path (once)", outcome.upload_s),
            ("plain COPY, one statement", outcome.copy_s),
            ("plain COPY, rows in key order (once)", outcome.sorted_copy_s),
        ]
        print(f"  {outcome.kind} ({outcome.rows:,} rows, {outcome.megabytes:.0f} MB)")
        for label, seconds in lines:
            print(
                f"    {label:36s} {seconds:8.2f} {outcome.rows / seconds:11,.0f} "
                f"{outcome.megabytes / seconds:6.1f} {outcome.copy_s / seconds:7.3f}"
            )
        if not outcome.same_rows:
            print(f"    PROBLEM: the loaded {outcome.kind} rows differ from the COPY's")
        passed &= outcome.ratio >= TARGET_RATIO and outcome.same_rows
    verdict = ", ".join(f"{o.kind} {o.ratio:.3f}" for o in outcomes)
    print(
        f"{'PASS' if passed else 'FAIL'}: validate + load / plain COPY in rows per second: "
        f"{verdict} vs target {TARGET_RATIO}"
    )
    if not passed or args.profile:
        validate_and_load(engine, "items", "items.csv", bom.items)
        for outcome, data in zip(outcomes, (factors, bom.bom), strict=True):
            profile(engine, outcome.kind, f"{outcome.kind}.csv", data, outcome.rows)
    engine.dispose()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
