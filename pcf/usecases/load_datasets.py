"""Load static files: validate them all, then store each as a new dataset version.

The same path serves the CLI, the demo and (later) the upload API: nothing is stored
unless every file of the load is valid, and then all of them are stored in one
transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date

from sqlalchemy import Engine

from pcf.adapters.postgres.connection import transaction
from pcf.adapters.postgres.datasets import (
    DatasetVersion,
    current_versions,
    load_dataset_version,
    read_dataset,
)
from pcf.formats.definitions import STATIC_FORMATS
from pcf.formats.errors import RowError
from pcf.formats.validation import validate_files


class DatasetRejected(ValueError):
    """One or more files failed validation; nothing was loaded."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s); nothing was loaded")


def load_static_files(
    engine: Engine,
    files: Mapping[str, tuple[str, bytes]],
    *,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> dict[str, DatasetVersion]:
    """Validate ``files`` (kind -> (file name, content)) against each other and against
    the current versions of the kinds not in the load, then store each as the next
    version of its kind, all in one transaction. Raises ``DatasetRejected`` with every
    error (file, row, column, reason) and stores nothing when any file is invalid."""
    unknown = sorted(set(files) - {f.kind for f in STATIC_FORMATS})
    if unknown:
        raise ValueError(f"not a static data kind: {', '.join(unknown)}")
    current = current_versions(engine)
    references = {
        kind: read_dataset(engine, version.id)
        for kind, version in current.items()
        if kind not in files
    }
    results = validate_files(files, references)
    errors = [error for result in results.values() for error in result.errors]
    if errors:
        raise DatasetRejected(errors)
    loaded: dict[str, DatasetVersion] = {}
    with transaction(engine) as connection:
        for file_format in STATIC_FORMATS:
            if file_format.kind not in files:
                continue
            file_name, data = files[file_format.kind]
            table = results[file_format.kind].table
            assert table is not None  # validated without errors
            loaded[file_format.kind] = load_dataset_version(
                connection,
                file_format.kind,
                table,
                file_name=file_name,
                sha256=hashlib.sha256(data).hexdigest(),
                valid_from=valid_from,
                valid_to=valid_to,
            )
    return loaded
