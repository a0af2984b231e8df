"""A calculation run exported to the curated tier (what the calculator Lambda does after
each run) is enough to recompute its footprints, bit for bit, without the database."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import Engine

from pcf.adapters.audit_log import FolderAuditLog
from pcf.adapters.object_store import FolderObjectStore, UrlSigner
from pcf.core.audit import recompute_from_record
from pcf.usecases.export_results import export_run, log_run
from tests.integration.footprints.conftest import TwoSites


def test_exported_run_recomputes_from_the_lake_alone(
    db: Engine, two_sites: TwoSites, tmp_path: Path
) -> None:
    # Given site S1's stored run exported to a folder lake and its audit log
    store = FolderObjectStore(tmp_path / "lake", UrlSigner(b"k" * 32), "http://localhost")
    exported = export_run(db, store, two_sites.s1.run_id)
    written = log_run(FolderAuditLog(tmp_path / "audit"), exported)
    # When the audit Parquet is read back
    table = pq.read_table(io.BytesIO(store.get(exported.keys["audit_records"])))
    rows = table.to_pylist()
    # Then it holds the run's site-inputs record (no footprint) and one record per
    # footprint, each naming the site inputs by their hash
    site_rows = [row for row in rows if row["footprint_id"] is None]
    footprint_rows = [row for row in rows if row["footprint_id"] is not None]
    assert len(site_rows) == 1
    assert len(footprint_rows) == len(two_sites.s1.footprints) == written
    site_json = site_rows[0]["record_json"]
    site_inputs = json.loads(site_json)
    # and every footprint recomputes bit for bit from those two rows alone
    for row in footprint_rows:
        record = json.loads(row["record_json"])
        _, differences = recompute_from_record(record, site_inputs, site_json)
        assert differences == [], (record["item_id"], differences)
    # and the run's records are one stretch of the chain whose links hold
    by_sequence = sorted(rows, key=lambda row: row["sequence"])
    assert [row["sequence"] for row in by_sequence] == list(
        range(by_sequence[0]["sequence"], by_sequence[0]["sequence"] + len(rows))
    )
    for earlier, later in itertools.pairwise(by_sequence):
        assert later["previous_hash"] == earlier["record_hash"]
