"""API Gateway events as Lambda receives them, for tests of the entry points."""

from __future__ import annotations

from typing import Any


def rest_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    claims: dict[str, str] | None = None,
    stage_path: str = "/prod",
) -> dict[str, Any]:
    """A REST API proxy event as API Gateway sends it (after its authorizer, if any)."""
    all_headers = {"Host": "abc123.execute-api.eu-central-1.amazonaws.com"}
    all_headers.update({"X-Forwarded-Proto": "https"} | (headers or {}))
    context: dict[str, Any] = {
        "resourcePath": path,
        "httpMethod": method,
        "path": f"{stage_path}{path}",
        "stage": "prod",
        "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"sourceIp": "192.0.2.10"},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }
