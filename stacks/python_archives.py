"""The ``pcf`` package as files other runtimes install: a wheel (the Greengrass
component's offline install) and a plain zip (a Glue job's ``--extra-py-files``).

Both are written here, byte for byte reproducible: entries sorted, one fixed timestamp,
fixed permissions. The same sources give the same archive, so the CDK's asset hash (and
the deployed artifact) changes only when a source does.

The wheel is written directly rather than by setuptools for one reason: its
``Requires-Dist`` is what the runtime that installs it needs, not everything
``pyproject.toml`` lists. The edge device needs neither the embedded PostgreSQL
(``pgserver``) nor matplotlib, and has no wheels for some of them; its wheel names
exactly the distributions ``pcf.edge`` imports.
"""

from __future__ import annotations

import base64
import hashlib
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pcf"

# 1980-01-01, the earliest time a zip entry can carry: no build's clock leaks in.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o644 << 16


def project_metadata() -> Mapping[str, object]:
    """``[project]`` of pyproject.toml."""
    project: Mapping[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def package_files() -> dict[str, Path]:
    """Every file of the ``pcf`` package (sources and package data) by its archive path."""
    return {
        path.relative_to(ROOT).as_posix(): path
        for path in sorted(PACKAGE.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def write_zip(target: Path, entries: Mapping[str, bytes]) -> Path:
    """A zip of ``entries`` (archive path -> bytes), reproducible: sorted, fixed times."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = _FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
    partial.replace(target)
    return target


def package_zip(target: Path) -> Path:
    """The ``pcf`` package as a zip with ``pcf/`` at its root (importable from the zip)."""
    return write_zip(target, {name: path.read_bytes() for name, path in package_files().items()})


def wheel_name() -> str:
    project = project_metadata()
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def write_wheel(folder: Path, requires: Iterable[str]) -> Path:
    """The ``pcf`` wheel (pure Python) in ``folder``, requiring exactly ``requires``
    (``name==version`` lines)."""
    project = project_metadata()
    name, version = str(project["name"]), str(project["version"])
    dist_info = f"{name}-{version}.dist-info"
    entries = {archive_path: path.read_bytes() for archive_path, path in package_files().items()}
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {project['description']}",
        f"Requires-Python: {project['requires-python']}",
        *(f"Requires-Dist: {requirement}" for requirement in sorted(requires)),
    ]
    entries[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    entries[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: pcf stacks.python_archives\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entries[f"{dist_info}/top_level.txt"] = f"{name}\n".encode()
    record = [
        f"{path},sha256={_digest(data)},{len(data)}" for path, data in sorted(entries.items())
    ]
    record.append(f"{dist_info}/RECORD,,")
    entries[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    return write_zip(folder / wheel_name(), entries)


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
