"""The Greengrass component's artifact: one zip that installs offline on the core device.

    main.py              the component's entry script
    requirements.txt     pcf==<version> and every pin it brings
    wheels/              the pcf wheel and every dependency's wheel, for each platform

``Install`` (recipe.yaml) makes a virtual environment and installs from ``wheels/`` only
(``pip --no-index``), so a device that starts without a network still comes up.

Platforms: CPython 3.11 (Debian 12 / Raspberry Pi OS 12, the common Greengrass hosts) on
both x86_64 (industrial PCs) and aarch64 (Raspberry Pi, ARM gateways). pip on the device
picks the wheels of its own platform from the folder; pure-Python wheels are shared. A
device with another Python needs ``EDGE_PYTHON`` changed here (numpy, SciPy, pydantic-core
and awscrt ship per-version wheels).

What the device installs is what ``pcf.edge`` and the Stream Manager adapter import, not
all of ``pcf``'s dependencies (``EDGE_DEPENDENCIES``, pinned by pyproject.toml, their own
dependencies by ``lambdas/constraints.txt`` and ``EDGE_TRANSITIVE_PINS``), so the same
inputs always give the same wheels. Like the Lambda bundles (``stacks.packaging``), the
artifact sits in a folder named by a digest of its inputs and is rebuilt only when one
of them changes; the zip itself is byte-reproducible (``stacks.python_archives``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from stacks import python_archives
from stacks.packaging import (
    CONSTRAINTS,
    Platform,
    pinned_requirements,
    remove_stale_builds,
    run_pip,
)

ROOT = Path(__file__).resolve().parent.parent
COMPONENT_NAME = "com.pcf.MeterReader"
COMPONENT_DIR = ROOT / "greengrass_components" / COMPONENT_NAME
BUILD_ROOT = ROOT / "build" / "edge"

EDGE_PYTHON = "3.11"
EDGE_PLATFORMS = (
    Platform("linux-x86_64", ("manylinux_2_28_x86_64", "manylinux2014_x86_64"), EDGE_PYTHON),
    Platform("linux-aarch64", ("manylinux_2_28_aarch64", "manylinux2014_aarch64"), EDGE_PYTHON),
)

# Imported on the device: pcf.edge (numpy, SciPy through pcf.core, pint, pydantic) and the
# Greengrass SDKs (Modbus client, Stream Manager client, IPC client for the configuration).
EDGE_DEPENDENCIES = (
    "numpy",
    "scipy",
    "pint",
    "pydantic",
    "pymodbus",
    "stream-manager",
    "awsiotsdk",
)
# Dependencies of the Greengrass SDKs, not in lambdas/constraints.txt.
EDGE_TRANSITIVE_PINS = ("awscrt==0.36.1", "cbor2==5.9.0")


@dataclass(frozen=True)
class EdgeArtifact:
    zip_path: Path
    digest: str  # of every input; also names the build folder

    @property
    def component_version_patch(self) -> int:
        """A patch number that changes with the artifact (component versions are
        immutable in Greengrass: new content needs a new version)."""
        return int(self.digest[:6], 16)


def requirements() -> list[str]:
    """The device's pins: what the pcf wheel requires."""
    return [*pinned_requirements(EDGE_DEPENDENCIES), *EDGE_TRANSITIVE_PINS]


def requirements_txt() -> str:
    version = python_archives.project_metadata()["version"]
    lines = [
        f"# {COMPONENT_NAME}: installed with pip --no-index --find-links wheels",
        f"pcf=={version}",
        *requirements(),
    ]
    return "\n".join(lines) + "\n"


def artifact_digest() -> str:
    digest = hashlib.sha256()
    inputs = {
        "requirements": requirements(),
        "constraints": CONSTRAINTS.read_text(),
        "platforms": [[p.pip_platforms, p.python_version] for p in EDGE_PLATFORMS],
        "builder": Path(__file__).read_text(),
        "archives": Path(python_archives.__file__).read_text(),
        "pyproject": (ROOT / "pyproject.toml").read_text(),
    }
    digest.update(json.dumps(inputs, sort_keys=True).encode())
    files = {**python_archives.package_files(), "main.py": COMPONENT_DIR / "main.py"}
    for name, path in sorted(files.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_edge_artifact(build_root: Path = BUILD_ROOT) -> EdgeArtifact:
    """The component's artifact zip, built unless one of the same inputs exists."""
    digest = artifact_digest()
    target = build_root / f"{COMPONENT_NAME}-{digest}"
    artifact = EdgeArtifact(target / f"{COMPONENT_NAME}.zip", digest)
    if artifact.zip_path.is_file():
        return artifact
    build_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{COMPONENT_NAME}-", dir=build_root))
    try:
        wheels = staging / "wheels"
        python_archives.write_wheel(wheels, requirements())
        for platform in EDGE_PLATFORMS:
            _download_wheels(platform, wheels)
        entries = {
            "main.py": (COMPONENT_DIR / "main.py").read_bytes(),
            "requirements.txt": requirements_txt().encode(),
            **{f"wheels/{w.name}": w.read_bytes() for w in sorted(wheels.iterdir())},
        }
        python_archives.write_zip(staging / "out" / artifact.zip_path.name, entries)
        try:
            (staging / "out").rename(target)  # atomic: a concurrent build wins once
        except OSError:
            if not artifact.zip_path.is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    remove_stale_builds(target, f"{COMPONENT_NAME}-*")  # about 110 MB each
    return artifact


def _download_wheels(platform: Platform, folder: Path) -> None:
    run_pip("download", platform, requirements(), "--dest", str(folder))
