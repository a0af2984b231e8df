"""Lambda code bundles, built without Docker: pinned wheels for the Lambda platform, the
``pcf`` package and the function's handler, in one folder per function.

Each function lists the distributions it needs (``FUNCTION_DEPENDENCIES``), pinned at the
versions ``pyproject.toml`` gives (transitive ones at ``lambdas/constraints.txt``), so
the bundle is what the tests ran. ``pip install --target --platform ... --only-binary``
takes the wheels built for the Lambda runtime (manylinux, aarch64, CPython 3.14); no
Docker, no compiler. boto3 is not bundled: the runtime has it (and it is 100 MB).

A bundle's folder name carries a digest of everything that goes into it (pins, handler,
package sources, platform), so a build is reused until one of them changes and two
builds of the same inputs are the same files: the CDK's asset hash of the folder, and
so the deployed code, changes only when an input does.

What is left out of the wheels (``PRUNED``) keeps the calculator, which needs numpy,
SciPy and pyarrow, inside Lambda's 250 MB limit: test suites, C headers and typing
stubs, and pyarrow's Flight and S3 file system libraries that ``pcf`` does not
use. ``tests/infrastructure/test_packaging.py`` builds every bundle once, checks its
unzipped size and imports each handler from a bundle built the same way for this
machine with nothing else on ``sys.path``.
"""

from __future__ import annotations

import filecmp
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"
PACKAGE = ROOT / "pcf"
CONSTRAINTS = LAMBDAS / "constraints.txt"
BUILD_ROOT = ROOT / "build" / "lambda"

# Lambda's limit on a function's unzipped code (all layers included).
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024


@dataclass(frozen=True)
class Platform:
    """Where a bundle's compiled wheels run."""

    name: str
    pip_platforms: tuple[str, ...]  # wheel platform tags pip may take, best first
    python_version: str  # "3.14"

    @property
    def implementation_tag(self) -> str:
        return "cp" + self.python_version.replace(".", "")


LAMBDA_PYTHON = "3.14"
# Graviton: cheaper per GB-second than x86_64, and every pinned wheel has an aarch64 build.
LAMBDA_PLATFORM = Platform(
    "lambda-arm64",
    ("manylinux_2_28_aarch64", "manylinux_2_27_aarch64", "manylinux2014_aarch64"),
    LAMBDA_PYTHON,
)


def this_machine() -> Platform:
    """This interpreter's platform: a bundle built for it can be imported here (tests)."""
    import platform

    machine = platform.machine()
    return Platform(
        f"local-{machine}",
        (f"manylinux_2_28_{machine}", f"manylinux_2_27_{machine}", f"manylinux2014_{machine}"),
        f"{sys.version_info.major}.{sys.version_info.minor}",
    )


# What each function imports, as distribution names of pyproject.toml's pins. boto3 and
# botocore come from the Lambda runtime.
_DATABASE = ("SQLAlchemy", "psycopg2-binary")
_POWERTOOLS = ("aws-lambda-powertools[tracer]", "pydantic")
_TABLES = ("numpy", "scipy", "pyarrow", "pint")  # pcf.formats checks BOMs with scipy.sparse
FUNCTION_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "ingest": (*_POWERTOOLS, *_DATABASE, *_TABLES, "msgspec"),
    "upload_validation": (*_POWERTOOLS, *_DATABASE, *_TABLES, "openpyxl", "PyJWT"),
    "mapping": (*_POWERTOOLS, *_DATABASE, *_TABLES, "openpyxl", "PyJWT"),
    "api": (*_POWERTOOLS, *_DATABASE, *_TABLES, "openpyxl", "PyJWT"),
    "pact_api": (*_POWERTOOLS, *_DATABASE, *_TABLES, "PyJWT"),
    "calculator": (*_POWERTOOLS, *_DATABASE, *_TABLES, "msgspec"),
    "migrations": (*_POWERTOOLS, *_DATABASE),
}

# Folders of the repository a function reads at run time, copied to the same relative
# path in its bundle (the migrations Lambda sets PCF_SQL_DIR to its copy).
FUNCTION_FILES: dict[str, tuple[str, ...]] = {
    "migrations": ("sql/migrations",),
}

# Left out of the installed wheels (glob patterns on paths relative to the bundle root).
PRUNED = (
    "*/__pycache__",
    "*.pyc",
    "*.pyi",
    "*.pyx",
    "*.pxd",
    "*.h",
    "numpy/*/tests",
    "numpy/tests",
    "numpy/_core/include",
    "scipy/*/tests",
    "scipy/*/*/tests",
    "pyarrow/tests",
    "pyarrow/include",
    "pyarrow/src",
    # Flight RPC and the S3 file system: not used (S3 is reached through boto3), and no
    # other pyarrow library links them (Substrait, which looks as unused, is linked)
    "pyarrow/libarrow_flight.so*",
    "pyarrow/_flight.*.so",
    "pyarrow/libarrow_python_flight.so*",
    "pyarrow/libarrow_s3.so*",
    "pyarrow/_s3fs.*.so",
    # link-time copies; the extensions load libarrow_python.so.<major> by its soname
    "pyarrow/libarrow_python.so",
    "pyarrow/libarrow_python.so.*.*.*",
    # SciPy subpackages that scipy.sparse (all pcf imports of SciPy) does not load
    *(
        f"scipy/{name}"
        for name in (
            "cluster",
            "datasets",
            "differentiate",
            "fft",
            "fftpack",
            "integrate",
            "interpolate",
            "io",
            "misc",
            "ndimage",
            "odr",
            "optimize",
            "signal",
            "spatial",
            "stats",
        )
    ),
    # aws-xray-sdk's dependencies that the runtime's boto3 provides
    "botocore",
    "botocore-*.dist-info",
    "urllib3",
    "urllib3-*.dist-info",
    "dateutil",
    "python_dateutil-*.dist-info",
    "six.py",
    "six-*.dist-info",
)

# Provided by the Lambda Python runtime, so left out of bundles (see PRUNED) and put
# beside a bundle when a test imports it on this machine.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six", "jmespath")


def pinned_requirements(distributions: tuple[str, ...]) -> list[str]:
    """``name==version`` (with extras) for each distribution, as pyproject.toml pins it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins: dict[str, str] = {}
    for requirement in [
        *project["dependencies"],
        *(r for extra in project["optional-dependencies"].values() for r in extra),
    ]:
        name = requirement.split("==")[0].split("[")[0].strip()
        pins[_canonical(name)] = requirement.split("==")[1].strip()
    requirements = []
    for distribution in distributions:
        name = distribution.split("[")[0]
        if _canonical(name) not in pins:
            raise KeyError(f"{name} is not pinned in pyproject.toml")
        requirements.append(f"{distribution}=={pins[_canonical(name)]}")
    return requirements


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-")


def _source_files(function: str) -> list[Path]:
    files = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [p for p in (LAMBDAS / function).rglob("*.py") if "__pycache__" not in p.parts]
    for folder in FUNCTION_FILES.get(function, ()):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    return sorted(files)


def bundle_digest(function: str, platform: Platform) -> str:
    """A digest of every input of the function's bundle."""
    digest = hashlib.sha256()
    inputs = {
        "requirements": pinned_requirements(FUNCTION_DEPENDENCIES[function]),
        "constraints": CONSTRAINTS.read_text(),
        "platform": [platform.pip_platforms, platform.python_version],
        "pruned": PRUNED,
        "packaging": Path(__file__).read_text(),
    }
    digest.update(json.dumps(inputs, sort_keys=True).encode())
    for path in _source_files(function):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_bundle(
    function: str, platform: Platform = LAMBDA_PLATFORM, build_root: Path = BUILD_ROOT
) -> Path:
    """The folder of the function's bundle, built unless one of the same inputs exists.

    The handler is ``handler.lambda_handler`` at the folder's root, ``pcf`` beside it.
    """
    if function not in FUNCTION_DEPENDENCIES:
        raise KeyError(
            f"no Lambda function {function!r}; known: {', '.join(FUNCTION_DEPENDENCIES)}"
        )
    target = build_root / f"{function}-{platform.name}-{bundle_digest(function, platform)}"
    if target.is_dir():
        return target
    build_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{function}-", dir=build_root))
    try:
        _pip_install(FUNCTION_DEPENDENCIES[function], platform, staging)
        _prune(staging)
        shutil.copytree(
            PACKAGE, staging / "pcf", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        for source in (LAMBDAS / function).glob("*.py"):
            shutil.copy2(source, staging / source.name)
        for folder in FUNCTION_FILES.get(function, ()):
            shutil.copytree(ROOT / folder, staging / folder)
        _link_files_shared_with(staging, sorted(build_root.glob(f"[!.]*-{platform.name}-*")))
        try:
            staging.rename(target)  # atomic: a concurrent build of the same inputs wins once
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # earlier builds of this function for this platform: about 250 MB each
    remove_stale_builds(target, f"{function}-{platform.name}-*")
    return target


def remove_stale_builds(current: Path, pattern: str) -> None:
    """Remove the folders beside ``current`` that match ``pattern`` (its name with
    another digest): builds whose inputs have changed since."""
    for stale in current.parent.glob(pattern):
        if stale != current:
            shutil.rmtree(stale, ignore_errors=True)


def _link_files_shared_with(bundle: Path, others: list[Path]) -> None:
    """Replace each file of ``bundle`` that another bundle holds with the same bytes at
    the same place by a hard link to it. The functions share most of their
    dependencies, so the seven bundles take about 0.26 GB of disk instead of 1.5 (CI
    machines may have little). Bundles are never modified once built, and Lambda's
    zip and the CDK's asset copy each hold their own bytes."""
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(bundle)
        for other in others:
            twin = other / relative
            if twin.is_file() and not twin.is_symlink() and filecmp.cmp(path, twin, False):
                try:
                    linked = path.with_name(f".{path.name}.link")
                    os.link(twin, linked)
                    linked.replace(path)
                except OSError:  # another file system, or no hard links: keep the copy
                    pass
                break


def run_pip(command: str, platform: Platform, requirements: list[str], *options: str) -> None:
    """``pip <command>`` of ``requirements`` as wheels for ``platform`` (no compiler, no
    sdist), with the transitive pins of ``CONSTRAINTS``."""
    arguments = [
        sys.executable,
        "-m",
        "pip",
        command,
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        platform.python_version,
        *(argument for tag in platform.pip_platforms for argument in ("--platform", tag)),
        "--constraint",
        str(CONSTRAINTS),
        *options,
        *requirements,
    ]
    environment = {**os.environ, "PIP_NO_INPUT": "1"}
    completed = subprocess.run(arguments, capture_output=True, text=True, env=environment)
    if completed.returncode != 0:
        raise RuntimeError(
            f"pip {command} failed for {platform.name} ({' '.join(requirements)}):\n"
            f"{completed.stderr}"
        )


def _pip_install(distributions: tuple[str, ...], platform: Platform, target: Path) -> None:
    run_pip(
        "install",
        platform,
        pinned_requirements(distributions),
        "--no-compile",
        "--target",
        str(target),
    )
    # console scripts: nothing runs them in Lambda
    shutil.rmtree(target / "bin", ignore_errors=True)


def _prune(root: Path) -> None:
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        relative = path.relative_to(root).as_posix()
        if any(fnmatch.fnmatchcase(relative, pattern) for pattern in PRUNED):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def unzipped_size(folder: Path) -> int:
    """Bytes of every file under ``folder``: what Lambda counts against its limit."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
