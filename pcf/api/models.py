"""Request and response models of the upload API (pydantic; the OpenAPI schemas)."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pcf.usecases.uploads import STATIC_KINDS, FileType, UploadStatus

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ErrorOutput(BaseModel):
    message: str


class CreateUploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        description="The kind of file (see /datasets).",
        json_schema_extra={"enum": list(STATIC_KINDS)},
    )
    file_name: str = Field(
        min_length=1,
        max_length=255,
        description="The file's name as the user knows it (.csv or .xlsx); metadata only.",
    )
    size_bytes: int = Field(gt=0, description="Exact size of the file in bytes.")
    sha256: str = Field(
        pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the file, 64 hex digits."
    )
    content_base64: str | None = Field(
        default=None,
        description="A small file (up to 4 MiB) sent inline, base64; else PUT it to upload_url.",
    )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in STATIC_KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(STATIC_KINDS)}")
        return kind

    @field_validator("file_name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        if _CONTROL.search(name):
            raise ValueError("the file name must not contain control characters")
        return name


class UploadErrorOutput(BaseModel):
    file: str
    row: int | None = Field(description="Spreadsheet row (header = 1); null for the file.")
    column: str | None
    value: str | None = Field(description="The cell as written.")
    reason: str


class UploadOutput(BaseModel):
    upload_id: str
    kind: str
    file_name: str
    file_type: FileType
    size_bytes: int
    sha256: str
    status: UploadStatus
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    dataset_version: int | None = Field(description="The kind's version, once accepted.")
    errors: list[UploadErrorOutput]


class CreateUploadOutput(BaseModel):
    upload: UploadOutput
    upload_url: str | None = Field(description="PUT the file's bytes here; null if inline.")
    upload_method: str | None
    expires_in_seconds: int


class DatasetVersionOutput(BaseModel):
    kind: str
    version: int
    file_name: str
    sha256: str
    row_count: int
    valid_from: date | None
    valid_to: date | None
    loaded_at: datetime


class DatasetOutput(BaseModel):
    kind: str
    title: str
    description: str
    versions: list[DatasetVersionOutput]


class DatasetsOutput(BaseModel):
    datasets: list[DatasetOutput]


class DatasetDownloadOutput(BaseModel):
    version: DatasetVersionOutput
    download_url: str = Field(description="GET the version as CSV here, until it expires.")
    expires_in_seconds: int
