"""What every test session reports first."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_report_header(config: pytest.Config) -> str:
    """The free disk where the tests write: the Lambda bundles and the edge artifact
    (``build/``, about 0.4 GB), PostgreSQL, Spark and the browser (the temporary folder).
    A full disk shows up as errors far from their cause (PostgreSQL failing to start),
    so a run says how much it had."""
    temporary = Path(tempfile.gettempdir())
    return (
        f"free disk: {shutil.disk_usage(ROOT).free / 2**30:.1f} GiB at {ROOT}, "
        f"{shutil.disk_usage(temporary).free / 2**30:.1f} GiB at {temporary}"
    )
