"""The whole system: one stack per concern, wired together.

    global edge (us-east-1)   CloudFront's web ACL and certificate
    network                   VPC, the database clients' security group, VPC endpoints
    storage                   KMS key, S3 tiers, PostgreSQL (+ migrations), Timestream
    ingestion                 Kinesis stream, ingest Lambda, dead letters, Firehose
    edge                      Greengrass component, deployment, token-exchange role
    processing                upload validation on S3 events, Glue jobs and catalog
    calculation               calculator Lambda on a schedule and on demand, audit logs
    api                       Cognito, API Gateway (upload/footprint API and PACT), WAF
    web                       the web app on S3 + CloudFront (+ Route 53 when a domain)
    dashboards                QuickSight data source and data sets (when enabled)
    monitoring                CloudWatch dashboard, alarms, SNS topic

Stacks pass constructs to each other; the CDK turns those into exports and imports (and,
across regions, into the SSM-backed references of ``cross_region_references``).
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from stacks.api import ApiStack
from stacks.calculation import CalculationStack
from stacks.dashboards import DashboardsStack
from stacks.edge import EdgeStack
from stacks.global_edge import GlobalEdgeStack
from stacks.ingestion import IngestionStack
from stacks.monitoring import MonitoringStack
from stacks.nag import check_with_nag
from stacks.network import NetworkStack
from stacks.processing import ProcessingStack
from stacks.settings import CLOUDFRONT_REGION, DeploymentSettings
from stacks.storage import StorageStack
from stacks.web import WebStack


@dataclass
class System:
    global_edge: GlobalEdgeStack
    network: NetworkStack
    storage: StorageStack
    ingestion: IngestionStack
    edge: EdgeStack
    processing: ProcessingStack
    calculation: CalculationStack
    api: ApiStack
    web: WebStack
    dashboards: DashboardsStack | None
    monitoring: MonitoringStack

    def stacks(self) -> list[cdk.Stack]:
        return [
            stack
            for stack in (
                self.global_edge,
                self.network,
                self.storage,
                self.ingestion,
                self.edge,
                self.processing,
                self.calculation,
                self.api,
                self.web,
                self.dashboards,
                self.monitoring,
            )
            if stack is not None
        ]


def build_system(app: cdk.App, settings: DeploymentSettings) -> System:
    """Every stack of the system in ``app``, checked by cdk-nag at synthesis."""
    env = cdk.Environment(account=settings.account, region=settings.region)
    prefix = settings.prefix

    def stack_props(concern: str, description: str) -> dict[str, object]:
        return {
            "stack_name": f"{prefix}-{concern}",
            "description": f"PCF platform ({settings.environment}): {description}",
            "env": env,
            "termination_protection": settings.removal.value == "retain",
        }

    global_edge = GlobalEdgeStack(
        app,
        "GlobalEdge",
        settings=settings,
        **{  # type: ignore[arg-type]
            **stack_props("global-edge", "CloudFront web ACL and certificate (us-east-1)"),
            "env": cdk.Environment(account=settings.account, region=CLOUDFRONT_REGION),
            "cross_region_references": True,
        },
    )
    network = NetworkStack(
        app,
        "Network",
        settings=settings,
        **stack_props("network", "VPC and endpoints"),  # type: ignore[arg-type]
    )
    storage = StorageStack(
        app,
        "Storage",
        settings=settings,
        network=network,
        **stack_props("storage", "data lake tiers, PostgreSQL, Timestream"),  # type: ignore[arg-type]
    )
    ingestion = IngestionStack(
        app,
        "Ingestion",
        settings=settings,
        network=network,
        storage=storage,
        **stack_props("ingestion", "Kinesis, ingest Lambda, raw telemetry archive"),  # type: ignore[arg-type]
    )
    edge = EdgeStack(
        app,
        "Edge",
        settings=settings,
        storage=storage,
        ingestion=ingestion,
        **stack_props("edge", "Greengrass meter component and its deployment"),  # type: ignore[arg-type]
    )
    processing = ProcessingStack(
        app,
        "Processing",
        settings=settings,
        network=network,
        storage=storage,
        **stack_props("processing", "upload validation, Glue jobs and catalog"),  # type: ignore[arg-type]
    )
    calculation = CalculationStack(
        app,
        "Calculation",
        settings=settings,
        network=network,
        storage=storage,
        **stack_props("calculation", "footprint calculator and audit logs"),  # type: ignore[arg-type]
    )
    api = ApiStack(
        app,
        "Api",
        settings=settings,
        network=network,
        storage=storage,
        calculation=calculation,
        **stack_props("api", "Cognito, API Gateway, upload/footprint and PACT APIs"),  # type: ignore[arg-type]
    )
    web = WebStack(
        app,
        "Web",
        settings=settings,
        storage=storage,
        global_edge=global_edge,
        api=api,
        **{  # type: ignore[arg-type]
            **stack_props("web", "web app on S3 and CloudFront"),
            "cross_region_references": True,
        },
    )
    dashboards = (
        DashboardsStack(
            app,
            "Dashboards",
            settings=settings,
            network=network,
            storage=storage,
            **stack_props("dashboards", "QuickSight data source and data sets"),  # type: ignore[arg-type]
        )
        if settings.quicksight.enabled
        else None
    )
    monitoring = MonitoringStack(
        app,
        "Monitoring",
        settings=settings,
        watched=[ingestion, edge, processing, calculation, api, storage],
        **stack_props("monitoring", "dashboard, alarms and alarm topic"),  # type: ignore[arg-type]
    )
    system = System(
        global_edge,
        network,
        storage,
        ingestion,
        edge,
        processing,
        calculation,
        api,
        web,
        dashboards,
        monitoring,
    )
    for stack in system.stacks():
        cdk.Tags.of(stack).add("application", "pcf")
        cdk.Tags.of(stack).add("environment", settings.environment)
    check_with_nag(app)
    return system
