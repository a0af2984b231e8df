"""The object store (data lake): one interface, a local folder or an S3 bucket behind it.

Keys are made by the code, never from a user's file name (a name is metadata only), and
the first part of a key is its tier. This is the one list of keys (decision records 0007
and 0008 explain them)::

    raw/uploads/<kind>/<upload id>.<csv|xlsx>         the file as uploaded; never changed
    quarantine/uploads/<kind>/<upload id>.<csv|xlsx>  a rejected file, moved untouched
    processed/<kind>/version=<version id>/<kind>.parquet
                                                      an accepted version's typed rows
                                                      (``read_dataset``), written when the
                                                      version is accepted
    processed/datasets/<kind>/<version>.csv           a dataset version as the system
                                                      writes it back (downloads), made on
                                                      the first download
    curated/mapped_factors/<part>/as_of=<date>/build=<build id>/<part>.parquet
                                                      the mapped factor set as of a day,
                                                      ``part`` = items | electricity |
                                                      natural_gas
    curated/footprints/period=<YYYY-MM>/run=<run id>/footprints.parquet
    curated/audit/period=<YYYY-MM>/run=<run id>/audit_records.parquet
                                                      a calculation run's footprints and
                                                      audit records (with its site
                                                      inputs), ``pcf.usecases.export_results``

In AWS each tier is a bucket of its own (``S3ObjectStore`` with a bucket per tier; the
key keeps its tier segment), locally one folder.

``<version id>`` is ``dataset_version.id``, the id a calculation run pins, so a run's
``dataset_versions`` lead straight to the Parquet it read. ``<build id>`` is a digest of
what a mapped factor set is built from (day, GWP set, dataset version ids): the same
inputs give the same key. The same keys are used in S3 and in the local folder, so a
Glue job or Athena table reads either (one table per ``processed/<kind>/`` and per
``curated/mapped_factors/<part>/``, partitioned by the ``name=value`` segments).

A pre-signed URL lets someone without credentials PUT or GET one object until it
expires: ``S3ObjectStore`` asks boto3 for one (SigV4); ``FolderObjectStore`` signs the
method, key and expiry with HMAC-SHA256 under a local secret, and the local server
(``pcf.api.local_server``) checks the signature before it touches the folder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, Self

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import Field, model_validator

from pcf.environment import EnvironmentSettings

RAW_UPLOADS_PREFIX = "raw/uploads"
QUARANTINE_UPLOADS_PREFIX = "quarantine/uploads"
PROCESSED_DATASETS_PREFIX = "processed/datasets"
PROCESSED_PREFIX = "processed"
MAPPED_FACTORS_PREFIX = "curated/mapped_factors"

# The URL path under which the local server answers pre-signed requests.
LOCAL_OBJECTS_PATH = "/objects/"

# Lower-case letters, digits and a few separators; no "..", no leading "/".
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.=-]*(/[a-z0-9][a-z0-9_.=-]*)*$")


class ObjectNotFoundError(KeyError):
    """No object under that key."""


class ObjectExistsError(RuntimeError):
    """An object already exists under that key and must not be replaced."""


class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        """Store ``data`` under ``key``; ``ObjectExistsError`` when the key holds an
        object already, unless ``overwrite``."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; ``ObjectNotFoundError`` when there is none."""
        ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is no object under ``key``."""
        ...

    def move(self, source: str, target: str) -> None:
        """Move an object, bytes untouched, to another key (replacing what is there)."""
        ...

    def presigned_put_url(self, key: str, expires_in: int) -> str:
        """A URL anyone holding it may PUT the object to, for ``expires_in`` seconds."""
        ...

    def presigned_get_url(self, key: str, expires_in: int) -> str:
        """A URL anyone holding it may GET the object from, for ``expires_in`` seconds."""
        ...


def processed_parquet_key(kind: str, version_id: int) -> str:
    """The processed-tier key of a dataset version's typed rows as Parquet."""
    return check_key(f"{PROCESSED_PREFIX}/{kind}/version={int(version_id)}/{kind}.parquet")


def mapped_factors_key(part: str, as_of: date, build_id: str) -> str:
    """The curated-tier key of one part (items, electricity, natural_gas) of a mapped
    factor set."""
    return check_key(
        f"{MAPPED_FACTORS_PREFIX}/{part}/as_of={as_of.isoformat()}/build={build_id}/{part}.parquet"
    )


def parquet_bytes(table: pa.Table) -> bytes:
    """A table as one Parquet file (zstd), the format of the processed and curated tiers."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def read_parquet(data: bytes) -> pa.Table:
    """The table in a Parquet file's bytes."""
    return pq.read_table(pa.BufferReader(data))


def check_key(key: str) -> str:
    """``key`` when it is a key this code makes, else ``ValueError``: keys never come
    from user input, so anything else is a bug or an attack."""
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"not a valid object key: {key!r}")
    return key


@dataclass(frozen=True)
class UrlSigner:
    """HMAC-SHA256 signatures for the local server's pre-signed URLs."""

    secret: bytes

    def query(self, method: str, key: str, expires_at: int) -> str:
        """The query string of a signed URL: expiry (epoch seconds) and signature."""
        signature = self._signature(method, key, expires_at)
        return urllib.parse.urlencode({"expires": expires_at, "signature": signature})

    def verify(self, method: str, key: str, expires: str, signature: str) -> str | None:
        """None when the signature is this signer's for method, key and expiry and the
        URL has not expired; else the reason it is refused."""
        try:
            expires_at = int(expires)
        except ValueError:
            return "the URL's expiry is not a number"
        expected = self._signature(method, key, expires_at)
        if not hmac.compare_digest(expected, signature):
            return "the URL's signature does not match (altered, or for another method)"
        if expires_at < time.time():
            return "the URL has expired; ask for a new one"
        return None

    def _signature(self, method: str, key: str, expires_at: int) -> str:
        message = f"{method.upper()}\n{key}\n{expires_at}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class FolderObjectStore:
    """Objects as files under ``root`` (key = relative path). Writes go to a temporary
    file first, so a reader never sees half an object."""

    def __init__(self, root: Path, signer: UrlSigner, base_url: str) -> None:
        self.root = root.resolve()
        self.signer = signer
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):  # pragma: no cover - check_key forbids it
            raise ValueError(f"not a valid object key: {key!r}")
        return path

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            if overwrite:
                os.replace(temporary, path)
            else:
                try:
                    os.link(temporary, path)  # fails when the key exists: no overwrite race
                except FileExistsError as error:
                    raise ObjectExistsError(f"an object exists under {key}") from error
        finally:
            Path(temporary).unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as error:
            raise ObjectNotFoundError(key) from error

    def size(self, key: str) -> int | None:
        path = self.path(key)
        return path.stat().st_size if path.is_file() else None

    def move(self, source: str, target: str) -> None:
        source_path, target_path = self.path(source), self.path(target)
        if not source_path.is_file():
            raise ObjectNotFoundError(source)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source_path, target_path)

    def presigned_put_url(self, key: str, expires_in: int) -> str:
        return self._presigned_url("PUT", key, expires_in)

    def presigned_get_url(self, key: str, expires_in: int) -> str:
        return self._presigned_url("GET", key, expires_in)

    def _presigned_url(self, method: str, key: str, expires_in: int) -> str:
        check_key(key)
        query = self.signer.query(method, key, int(time.time()) + expires_in)
        return f"{self.base_url}{LOCAL_OBJECTS_PATH}{key}?{query}"


TIERS = ("raw", "processed", "curated", "quarantine")


def tier_buckets(text: str) -> dict[str, str]:
    """``"raw=b1 processed=b2 ..."`` (the ``OBJECT_STORE_BUCKETS`` setting) as a mapping;
    every tier must be named once."""
    buckets: dict[str, str] = {}
    for pair in text.split():
        tier, _, bucket = pair.partition("=")
        if tier not in TIERS or not bucket or tier in buckets:
            raise ValueError(f"expected 'tier=bucket' once per tier of {TIERS}, got {pair!r}")
        buckets[tier] = bucket
    missing = set(TIERS) - set(buckets)
    if missing:
        raise ValueError(f"no bucket for the tiers {sorted(missing)}")
    return buckets


class S3BucketSettings(EnvironmentSettings):
    """Where an ``S3ObjectStore`` keeps objects, as a function's environment says it:
    ``OBJECT_STORE_BUCKETS`` (``raw=<bucket> processed=<bucket> curated=<bucket>
    quarantine=<bucket>``, as the CDK app deploys it) or ``OBJECT_STORE_BUCKET`` (one
    bucket, tiers by key prefix); exactly one of them."""

    bucket: str | None = Field(alias="OBJECT_STORE_BUCKET", default=None, min_length=3)
    tier_buckets: str | None = Field(alias="OBJECT_STORE_BUCKETS", default=None)

    @model_validator(mode="after")
    def _one_object_store(self) -> Self:
        if (self.bucket is None) == (self.tier_buckets is None):
            raise ValueError("set exactly one of OBJECT_STORE_BUCKET and OBJECT_STORE_BUCKETS")
        if self.tier_buckets is not None:
            tier_buckets(self.tier_buckets)
        return self

    @property
    def buckets(self) -> str | dict[str, str]:
        """The ``S3ObjectStore`` buckets: one name, or a bucket per tier."""
        if self.tier_buckets is not None:
            return tier_buckets(self.tier_buckets)
        assert self.bucket is not None  # the validator allows no other case
        return self.bucket


class S3ObjectStore:
    """Objects in S3, through a boto3 S3 client: in one bucket (key prefixes as tiers), or
    in one bucket per tier (``buckets`` maps a key's first segment to its bucket; the key
    is kept whole, so an object's key is the same wherever it lives)."""

    def __init__(self, client: Any, buckets: str | dict[str, str]) -> None:
        self.client = client
        self.buckets = buckets

    def bucket_of(self, key: str) -> str:
        if isinstance(self.buckets, str):
            return self.buckets
        return self.buckets[key.split("/", 1)[0]]

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        arguments: dict[str, Any] = {
            "Bucket": self.bucket_of(key),
            "Key": check_key(key),
            "Body": data,
        }
        if not overwrite:
            arguments["IfNoneMatch"] = "*"  # S3 conditional write: refused when it exists
        try:
            self.client.put_object(**arguments)
        except self.client.exceptions.ClientError as error:
            if _error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise ObjectExistsError(f"an object exists under {key}") from error
            raise

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket_of(key), Key=check_key(key))
        except self.client.exceptions.NoSuchKey as error:
            raise ObjectNotFoundError(key) from error
        body: bytes = response["Body"].read()
        return body

    def size(self, key: str) -> int | None:
        try:
            response = self.client.head_object(Bucket=self.bucket_of(key), Key=check_key(key))
        except self.client.exceptions.ClientError as error:
            if _error_code(error) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        length: int = response["ContentLength"]
        return length

    def move(self, source: str, target: str) -> None:
        # CopyObject copies the bytes server-side (up to 5 GB, far above the upload limit)
        self.client.copy_object(
            Bucket=self.bucket_of(target),
            Key=check_key(target),
            CopySource={"Bucket": self.bucket_of(source), "Key": check_key(source)},
        )
        self.client.delete_object(Bucket=self.bucket_of(source), Key=source)

    def presigned_put_url(self, key: str, expires_in: int) -> str:
        return self._presigned_url("put_object", key, expires_in)

    def presigned_get_url(self, key: str, expires_in: int) -> str:
        return self._presigned_url("get_object", key, expires_in)

    def _presigned_url(self, operation: str, key: str, expires_in: int) -> str:
        url: str = self.client.generate_presigned_url(
            operation,
            Params={"Bucket": self.bucket_of(key), "Key": check_key(key)},
            ExpiresIn=expires_in,
        )
        return url


def _error_code(error: Any) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
