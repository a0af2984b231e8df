"""CloudFormation custom resource (through the CDK's provider framework) -> apply the
schema migrations (``pcf.adapters.postgres.migrations.upgrade``) on every deploy.

Create and Update apply whatever migration files the bundle carries and the database
lacks (the resource's properties carry the files' digest, so a deploy with a new
migration updates the resource and runs this). Delete does nothing: the data outlives
the stack. Configured by DATABASE_URL, DATABASE_SECRET_ARN and PCF_SQL_DIR.
"""

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pcf.adapters.postgres.connection import create_engine
from pcf.adapters.postgres.migrations import migrations_dir, upgrade
from pcf.observability import capture_lambda_handler, logger


@logger.inject_lambda_context
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event["RequestType"]
    if request in ("Create", "Update"):
        engine = create_engine(os.environ["DATABASE_URL"])
        try:
            applied = upgrade(engine, migrations_dir())
        finally:
            engine.dispose()
        logger.info("schema migrations applied", applied=applied, request=request)
    # one schema per database: a constant id, so an Update never replaces (deletes) it
    return {"PhysicalResourceId": "pcf-schema"}
