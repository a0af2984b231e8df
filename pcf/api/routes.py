"""The upload API: routes on Powertools' REST resolver, the same for API Gateway and the
local server.

Every route names the roles it admits in its OpenAPI ``security`` requirement
(``bearerAuth: [roles]``, as OpenAPI 3.1 allows for any scheme); one middleware
authenticates every request and checks those roles, so a route cannot be reached
without the token check, and the published OpenAPI says who may call what.
``build_api`` refuses to build an API with a route that names no roles.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import Field, field_validator

from pcf.adapters.postgres.datasets import DatasetVersion
from pcf.api.auth import AuthError, Principal, Role, authorize
from pcf.api.models import (
    CreateUploadOutput,
    CreateUploadRequest,
    DatasetDownloadOutput,
    DatasetOutput,
    DatasetsOutput,
    DatasetVersionOutput,
    ErrorOutput,
    KindVersionsOutput,
    MappedFactorsOutput,
    MappedItemOutput,
    SiteElectricityOutput,
    SiteNaturalGasOutput,
    StaleFootprintOutput,
    StaleFootprintsOutput,
    UploadErrorOutput,
    UploadOutput,
)
from pcf.core.model import MethodSettings
from pcf.formats.definitions import GwpSet
from pcf.usecases.calculate import MissingDatasetError
from pcf.usecases.mapping import publish_mapped_factors
from pcf.usecases.uploads import (
    STATIC_KINDS,
    UPLOAD_KINDS,
    DatasetVersionNotFound,
    Upload,
    UploadDependencies,
    UploadNotFound,
    UploadRefused,
    UploadTooLarge,
    create_upload,
    dataset_download_url,
    dataset_versions,
    error_report_csv,
    read_upload,
    stale_footprints,
    template_csv,
    template_xlsx,
    versions_of_kind,
)

SECURITY_SCHEME = "bearerAuth"
API_TITLE = "PCF upload API"
API_VERSION = "1.0.0"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
JSON = content_types.APPLICATION_JSON

UPLOADERS = (Role.ADMIN, Role.SME)
DATA_READERS = (Role.ADMIN, Role.SME, Role.READER, Role.AUDITOR)
UPLOAD_READERS = (Role.ADMIN, Role.SME, Role.AUDITOR)
EVERYONE = tuple(Role)

# Who is calling, from the request event as the resolver holds it (local token or
# Cognito claims): see pcf.api.auth.
Authenticator = Callable[[APIGatewayProxyEvent], Principal]


class UploadRequest(CreateUploadRequest):
    """An upload of any static kind, or of a PACT footprints file (JSON, kind
    pact_footprints, loaded as supplier footprints: decision 0013)."""

    kind: str = Field(
        description="The kind of file (see /datasets), or pact_footprints for a PACT file.",
        json_schema_extra={"enum": list(UPLOAD_KINDS)},
    )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in UPLOAD_KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(UPLOAD_KINDS)}")
        return kind


def _described(description: str, model: type[Any]) -> OpenAPIResponse:
    return {"description": description, "content": {JSON: {"model": model}}}


_ERRORS: dict[int, OpenAPIResponse] = {
    401: _described("No valid token", ErrorOutput),
    403: _described("The token's roles do not allow this", ErrorOutput),
}


@dataclass(frozen=True)
class ApiDependencies:
    uploads: UploadDependencies
    authenticate: Authenticator


def allow(*roles: Role) -> list[dict[str, list[str]]]:
    """The OpenAPI security requirement of a route open to ``roles``."""
    return [{SECURITY_SCHEME: [role.value for role in roles]}]


def build_api(dependencies: ApiDependencies) -> APIGatewayRestResolver:
    """The resolver with every route, the token check and the error responses."""
    app = APIGatewayRestResolver(enable_validation=True)
    app.configure_openapi(
        title=API_TITLE,
        version=API_VERSION,
        description="Upload static files (BOM, emission factors, ...) and read data sets.",
        security_schemes={SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT")},
    )
    uploads = dependencies.uploads

    def caller() -> Principal:
        """The caller, when the route's roles admit them; else ``AuthError``."""
        principal = dependencies.authenticate(app.current_event)
        route = app.context.get("_route")
        security = getattr(route, "security", None)
        if security:  # else the resolver's own "not found" route: 404 after the check
            authorize(principal, (Role(name) for name in security[0][SECURITY_SCHEME]))
        return principal

    def check_token(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
        app.append_context(principal=caller())  # type: ignore[no-untyped-call]
        return next_middleware(app)

    app.use(middlewares=[check_token])

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def invalid_request(error: RequestValidationError) -> Response[Any]:
        # Powertools validates the request before any middleware runs: the token is
        # checked here too, so a caller without one learns nothing about the API.
        try:
            caller()
        except AuthError as refusal:
            return _refusal(refusal)
        details = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in error.errors()
        ]
        body = {"message": "the request does not match the API", "detail": details}
        return Response(422, content_types.APPLICATION_JSON, body)

    @app.exception_handler(AuthError)  # type: ignore[untyped-decorator]
    def refused(error: AuthError) -> Response[Any]:
        return _refusal(error)

    @app.exception_handler(UploadRefused)  # type: ignore[untyped-decorator]
    def upload_refused(error: UploadRefused) -> Response[Any]:
        status = 413 if isinstance(error, UploadTooLarge) else 400
        return _error(status, str(error))

    @app.exception_handler(UploadNotFound)  # type: ignore[untyped-decorator]
    @app.exception_handler(DatasetVersionNotFound)  # type: ignore[untyped-decorator]
    def not_found(error: KeyError) -> Response[Any]:
        return _error(404, f"not found: {error.args[0] if error.args else ''}")

    @app.exception_handler(MissingDatasetError)  # type: ignore[untyped-decorator]
    def missing_dataset(error: MissingDatasetError) -> Response[Any]:
        return _error(404, f"not found: {error}")

    @app.post(
        "/uploads",
        summary="Ask for an upload: get its id and a pre-signed URL to PUT the file to",
        responses={
            201: _described("Upload created", CreateUploadOutput),
            400: _described("Unknown kind or file type", ErrorOutput),
            413: _described("File over the size limit", ErrorOutput),
            **_ERRORS,
        },
        security=allow(*UPLOADERS),
    )
    def post_upload(request: UploadRequest) -> Response[CreateUploadOutput]:
        content = None
        if request.content_base64 is not None:
            try:
                content = base64.b64decode(request.content_base64, validate=True)
            except binascii.Error as error:
                raise UploadRefused(f"content_base64 is not base64 ({error})") from error
        created = create_upload(
            uploads,
            kind=request.kind,
            file_name=request.file_name,
            size_bytes=request.size_bytes,
            sha256=request.sha256,
            created_by=_principal(app).subject,
            content=content,
            valid_from=request.valid_from,
            valid_to=request.valid_to,
        )
        output = CreateUploadOutput(
            upload=_upload_output(created.upload),
            upload_url=created.upload_url,
            upload_method="PUT" if created.upload_url else None,
            expires_in_seconds=created.expires_in,
        )
        return Response(201, content_types.APPLICATION_JSON, output)

    @app.get(
        "/uploads/<upload_id>",
        summary="An upload's status, with the errors of a rejected file",
        responses={404: {"description": "No such upload"}, **_ERRORS},
        security=allow(*UPLOAD_READERS),
    )
    def get_upload(upload_id: Annotated[str, Path(max_length=64)]) -> UploadOutput:
        return _upload_output(read_upload(uploads.engine, upload_id))

    @app.get(
        "/uploads/<upload_id>/error-report",
        summary="A rejected upload's errors as CSV (file, row, column, value, reason)",
        responses={
            200: {"description": "CSV", "content": {CSV_CONTENT_TYPE: {}}},
            404: {"description": "No such upload"},
            **_ERRORS,
        },
        security=allow(*UPLOAD_READERS),
    )
    @_returns_a_file
    def get_error_report(upload_id: Annotated[str, Path(max_length=64)]) -> Response[bytes]:
        upload = read_upload(uploads.engine, upload_id)
        return _file(error_report_csv(upload), CSV_CONTENT_TYPE, f"{upload.id}-errors.csv")

    @app.get(
        "/datasets",
        summary="Every kind of data set and its versions",
        responses=_ERRORS,
        security=allow(*DATA_READERS),
    )
    def get_datasets() -> DatasetsOutput:
        versions = dataset_versions(uploads.engine)
        return DatasetsOutput(
            datasets=[
                DatasetOutput(
                    kind=kind,
                    title=file_format.title,
                    description=file_format.description,
                    versions=[_version_output(version) for version in versions[kind]],
                )
                for kind, file_format in STATIC_KINDS.items()
            ]
        )

    @app.get(
        "/datasets/<kind>/versions",
        summary="A kind's versions, oldest first; with as_of, the one in force that day",
        responses={404: {"description": "No such kind"}, **_ERRORS},
        security=allow(*DATA_READERS),
    )
    def get_kind_versions(
        kind: Annotated[str, Path(max_length=64)],
        as_of: Annotated[date | None, Query()] = None,
    ) -> KindVersionsOutput:
        versions = versions_of_kind(uploads.engine, kind, as_of)
        return KindVersionsOutput(
            kind=kind, as_of=as_of, versions=[_version_output(v) for v in versions]
        )

    @app.get(
        "/datasets/<kind>/versions/<version>",
        summary="A data set version and a pre-signed URL to download it (CSV or Parquet)",
        responses={404: {"description": "No such kind or version"}, **_ERRORS},
        security=allow(*DATA_READERS),
    )
    def get_dataset_version(
        kind: Annotated[str, Path(max_length=64)],
        version: Annotated[int, Path(ge=1)],
        file_format: Annotated[Literal["csv", "parquet"], Query(alias="format")] = "csv",
    ) -> DatasetDownloadOutput:
        found, url = dataset_download_url(uploads, kind, version, file_format)
        return DatasetDownloadOutput(
            version=_version_output(found),
            format=file_format,
            download_url=url,
            expires_in_seconds=uploads.limits.url_expires_seconds,
        )

    @app.get(
        "/footprints/stale",
        summary="Footprints of open periods that a newer dataset version would change",
        responses=_ERRORS,
        security=allow(*DATA_READERS),
    )
    def get_stale_footprints(
        site_id: Annotated[str | None, Query(max_length=64)] = None,
        period: Annotated[str | None, Query(max_length=7)] = None,
    ) -> StaleFootprintsOutput:
        stale = stale_footprints(uploads.engine, site_id=site_id, period_label=period)
        return StaleFootprintsOutput(
            stale=[
                StaleFootprintOutput(
                    footprint_id=s.footprint_id,
                    item_id=s.item_id,
                    site_id=s.site_id,
                    period_label=s.period_label,
                    run_id=s.run_id,
                    kind=s.kind,
                    pinned_version=s.pinned_version,
                    superseding_version=s.superseding_version,
                    as_of=s.as_of,
                    reason=s.reason,
                )
                for s in stale
            ]
        )

    @app.get(
        "/mapped-factors",
        summary="The factor of every item, and electricity and natural gas per site, as of "
        "a day (written to the curated tier)",
        responses={404: {"description": "No version valid that day"}, **_ERRORS},
        security=allow(*DATA_READERS),
    )
    def get_mapped_factors(
        as_of: Annotated[date | None, Query()] = None,
        gwp: Annotated[GwpSet, Query()] = GwpSet.AR6,
    ) -> MappedFactorsOutput:
        day = as_of if as_of is not None else datetime.now(UTC).date()
        mapped, keys = publish_mapped_factors(
            uploads.engine, uploads.store, day, MethodSettings(gwp_set=gwp)
        )
        return MappedFactorsOutput(
            as_of=mapped.as_of,
            gwp_set=mapped.gwp_set,
            build_id=mapped.build_id,
            dataset_versions={k: v.version for k, v in mapped.dataset_versions.items()},
            items=[MappedItemOutput(**dataclasses.asdict(i)) for i in mapped.items],
            unmapped=list(mapped.unmapped),
            electricity=[
                SiteElectricityOutput(**dataclasses.asdict(e)) for e in mapped.electricity
            ],
            natural_gas=[SiteNaturalGasOutput(**dataclasses.asdict(g)) for g in mapped.natural_gas],
            problems=list(mapped.problems),
            curated_keys=keys,
        )

    @app.get(
        "/templates/<kind>",
        summary="An empty file of a kind to fill in: header and one example row",
        responses={
            200: {
                "description": "The template",
                "content": {CSV_CONTENT_TYPE: {}, XLSX_CONTENT_TYPE: {}},
            },
            404: {"description": "No such kind"},
            **_ERRORS,
        },
        security=allow(*DATA_READERS),
    )
    @_returns_a_file
    def get_template(
        kind: Annotated[str, Path(max_length=64)],
        file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    ) -> Response[bytes]:
        if file_format == "xlsx":
            return _file(template_xlsx(kind), XLSX_CONTENT_TYPE, f"{kind}.xlsx")
        return _file(template_csv(kind), CSV_CONTENT_TYPE, f"{kind}.csv")

    # imported here: pcf.api.footprints builds on this module's helpers
    from pcf.api.footprints import add_footprint_routes

    add_footprint_routes(app, uploads.engine)

    @app.get(
        "/openapi.json",
        summary="This API's OpenAPI document",
        responses=_ERRORS,
        security=allow(*EVERYONE),
    )
    def get_openapi() -> Response[Any]:
        return Response(200, content_types.APPLICATION_JSON, app.get_openapi_json_schema())

    _check_every_route_declares_roles(app)
    return app


RouteFunction = TypeVar("RouteFunction", bound=Callable[..., Any])


def _returns_a_file(route: RouteFunction) -> RouteFunction:
    """The route without its return annotation, from which Powertools would otherwise
    serialise the file's bytes as JSON."""
    route.__annotations__.pop("return", None)
    return route


def _check_every_route_declares_roles(app: APIGatewayRestResolver) -> None:
    schema = app.get_openapi_schema()
    for path, item in (schema.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch", "head", "options"):
            operation = getattr(item, method, None)
            if operation is not None and not operation.security:
                raise RuntimeError(f"{method.upper()} {path} declares no roles (security=allow())")


def _principal(app: APIGatewayRestResolver) -> Principal:
    principal: Principal = app.context["principal"]
    return principal


def _refusal(error: AuthError) -> Response[Any]:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
    return _error(error.status, error.message, headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status,
        content_types.APPLICATION_JSON,
        ErrorOutput(message=message).model_dump_json(),
        headers=headers or {},
    )


def _file(content: bytes, content_type: str, name: str) -> Response[bytes]:
    return Response(
        HTTPStatus.OK,
        content_type,
        content,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _upload_output(upload: Upload) -> UploadOutput:
    return UploadOutput(
        upload_id=upload.id,
        kind=upload.kind,
        file_name=upload.file_name,
        file_type=upload.file_type,
        size_bytes=upload.size_bytes,
        sha256=upload.sha256,
        status=upload.status,
        created_by=upload.created_by,
        created_at=upload.created_at,
        finished_at=upload.finished_at,
        dataset_version=upload.dataset_version,
        valid_from=upload.valid_from,
        valid_to=upload.valid_to,
        errors=[
            UploadErrorOutput(
                file=e.file, row=e.row, column=e.column, value=e.value, reason=e.reason
            )
            for e in upload.errors
        ],
    )


def _version_output(version: DatasetVersion) -> DatasetVersionOutput:
    return DatasetVersionOutput(
        kind=version.kind,
        version=version.version,
        file_name=version.file_name,
        sha256=version.sha256,
        row_count=version.row_count,
        valid_from=version.valid_from,
        valid_to=version.valid_to,
        loaded_at=version.loaded_at,
    )
