"""Request and response models of the upload API (pydantic; the OpenAPI schemas)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    valid_from: date | None = Field(
        default=None,
        description="First day the version applies to (default: the upload's day, UTC).",
    )
    valid_to: date | None = Field(
        default=None, description="Last day the version applies to, inclusive; null: open."
    )

    @model_validator(mode="after")
    def _validity_in_order(self) -> Self:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self

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
    valid_from: date | None = Field(description="The version's first day; null: always.")
    valid_to: date | None = Field(description="The version's last day; null: open-ended.")
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
    format: str = Field(description="csv (written back, neutralised) or parquet (typed).")
    download_url: str = Field(description="GET the version here, until it expires.")
    expires_in_seconds: int


class KindVersionsOutput(BaseModel):
    kind: str
    as_of: date | None = Field(description="With as_of: only the version in force that day.")
    versions: list[DatasetVersionOutput]


class StaleFootprintOutput(BaseModel):
    footprint_id: int
    item_id: str
    site_id: str
    period_label: str
    run_id: int
    kind: str
    pinned_version: int | None = Field(description="The version the run used; null: none.")
    superseding_version: int = Field(description="The version in force now on as_of.")
    as_of: date = Field(description="The period's first day, as the calculation reads it.")
    reason: str


class StaleFootprintsOutput(BaseModel):
    stale: list[StaleFootprintOutput]


class MappedItemOutput(BaseModel):
    item_id: str
    item_type: str
    declared_unit: str
    choice: str = Field(description="supplier_pcf, database_factor or unmapped.")
    kg_co2e_per_declared_unit: float | None
    supplier: str | None
    factor_id: str | None
    primary_data_share: float | None
    gwp_set: str | None
    dataset_version: str | None
    reason: str


class SiteElectricityOutput(BaseModel):
    site_id: str
    grid_region: str
    method: str = Field(description="location or market: the one footprints use.")
    kg_co2e_per_kwh: float
    location_kg_co2e_per_kwh: float
    market_kg_co2e_per_kwh: float | None
    grid_mix: str
    reason: str


class SiteNaturalGasOutput(BaseModel):
    site_id: str
    factor_id: str | None
    co2_kg_per_kwh: float | None
    ch4_kg_per_kwh: float | None
    n2o_kg_per_kwh: float | None
    ch4_origin: str | None
    gwp_set: str
    combustion_kg_co2e_per_kwh: float | None
    upstream_factor_id: str | None
    upstream_kg_co2e_per_kwh: float | None
    kg_co2e_per_kwh: float | None
    kwh_per_m3: float | None
    calorific_basis: str
    reason: str


class MappedFactorsOutput(BaseModel):
    as_of: date
    gwp_set: str
    build_id: str = Field(description="Digest of the day, GWP set and dataset versions.")
    dataset_versions: dict[str, int] = Field(description="kind -> version number used.")
    items: list[MappedItemOutput]
    unmapped: list[str] = Field(description="Items with neither supplier data nor a factor.")
    electricity: list[SiteElectricityOutput]
    natural_gas: list[SiteNaturalGasOutput]
    problems: list[str] = Field(description="Sites whose factors could not be mapped.")
    curated_keys: dict[str, str] = Field(description="Part -> curated-tier Parquet key.")
