"""Logging, metrics and tracing, set up once for the whole package (Powertools).

Import ``logger``, ``metrics`` and ``capture_lambda_handler`` from here; Lambda entry
points are decorated with them, never hand-instrumented. Logs are structured JSON under
the service name ``pcf``; metrics go to CloudWatch (embedded metric format) in the
``PCF`` namespace.

Tracing needs the X-Ray SDK (``aws-lambda-powertools[tracer]``, or the Powertools Lambda
layer, which bundles it). Where it is not installed, as in a plain local install,
``capture_lambda_handler`` leaves the handler as it is and ``tracer`` is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "pcf"
METRICS_NAMESPACE = "PCF"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
tracer: Tracer | None = Tracer(service=SERVICE) if find_spec("aws_xray_sdk") else None

Handler = TypeVar("Handler", bound=Callable[..., Any])


def capture_lambda_handler(handler: Handler) -> Handler:
    """The handler traced with X-Ray (a subsegment per invocation, cold start annotated)
    when the X-Ray SDK is installed; the handler unchanged otherwise."""
    if tracer is None:
        return handler
    return cast(Handler, tracer.capture_lambda_handler(handler))
