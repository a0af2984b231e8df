"""Lambda bundles: built without Docker, within Lambda's size limit, each importable from
its own files alone (built the same way for this machine)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.packaging import (
    FUNCTION_DEPENDENCIES,
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    RUNTIME_PROVIDED,
    build_bundle,
    this_machine,
    unzipped_size,
)


@pytest.mark.parametrize("function", sorted(FUNCTION_DEPENDENCIES))
def test_bundle_fits_lambda_and_has_only_its_dependencies(function: str) -> None:
    bundle = build_bundle(function)
    size = unzipped_size(bundle)
    assert size < LAMBDA_UNZIPPED_LIMIT_BYTES, f"{function}: {size / 2**20:.1f} MiB unzipped"
    assert (bundle / "handler.py").is_file() and (bundle / "pcf" / "__init__.py").is_file()
    assert not (bundle / "botocore").exists() and not (bundle / "boto3").exists()
    # a second build of the same inputs is the same folder
    assert build_bundle(function) == bundle
    if "scipy" not in FUNCTION_DEPENDENCIES[function]:
        assert not (bundle / "scipy").exists()


@pytest.mark.parametrize("function", sorted(FUNCTION_DEPENDENCIES))
def test_handler_imports_from_its_bundle_alone(function: str, tmp_path: Path) -> None:
    """The handler module imports with nothing but the bundle (and what the runtime
    provides) on sys.path; import-time settings come from a minimal environment.

    The bundle for this machine is built in the test's own folder and removed at once:
    kept, the six of them would take another 1.6 GB of disk."""
    bundle = build_bundle(function, this_machine(), build_root=tmp_path / "build")
    try:
        _import_handler(bundle, tmp_path)
    finally:
        shutil.rmtree(tmp_path / "build")


def _import_handler(bundle: Path, tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    site_packages = Path(__import__("boto3").__file__).parent.parent
    for name in RUNTIME_PROVIDED:
        for source in site_packages.glob(f"{name}*"):
            (runtime / source.name).symlink_to(source)
    environment = {
        "DATABASE_URL": "postgresql://user@127.0.0.1:1/none",
        "OBJECT_STORE_BUCKETS": "raw=r processed=p curated=c quarantine=q",
        "AUDIT_LOG_GROUP": "/pcf/test/audit",
        "DEAD_LETTER_QUEUE_URL": str(tmp_path / "dead"),
        "ARCHIVE": str(tmp_path / "archive"),
        "AWS_DEFAULT_REGION": "eu-central-1",
        "PCF_SQL_DIR": str(bundle / "sql" / "migrations"),
        "PCF_PACT_TOKEN_ENDPOINT": "https://pcf.auth.eu-central-1.amazoncognito.com/oauth2/token",
        "PCF_PACT_ISSUER": "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Example",
        "PCF_PACT_SCOPE": "pact/footprints",
    }
    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
        "import handler; assert callable(handler.lambda_handler);"
        "import pcf; assert pcf.__file__.startswith(sys.argv[1])"
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, str(bundle), str(runtime)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_bundles_share_the_files_they_have_in_common() -> None:
    """A dependency file two bundles both hold is one file on disk (a hard link), and
    each bundle still holds it in full."""
    api, calculator = build_bundle("api"), build_bundle("calculator")
    shared = Path("pyarrow") / "__init__.py"
    assert (api / shared).stat().st_ino == (calculator / shared).stat().st_ino
    assert (api / shared).read_bytes() == (calculator / shared).read_bytes()
    # the handlers differ, and stay apart
    assert (api / "handler.py").stat().st_ino != (calculator / "handler.py").stat().st_ino
