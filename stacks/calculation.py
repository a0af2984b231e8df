"""Calculation: the calculator Lambda on a schedule and on demand, and the audit log.

- **Calculator** (``lambdas/calculator``, ``pcf.usecases.calculation_runs``): every site's
  footprints for the previous month on the 2nd of each month (06:00 UTC: the month has
  ended everywhere and late telemetry has had a day) and for the month so far every day
  (06:30 UTC); one site and month on demand by a direct invocation ``{"site_id",
  "period"}`` (the API stack's what-if and recalculation routes, or ``aws lambda
  invoke``). Each run is stored in PostgreSQL, exported to the curated tier
  (``curated/footprints/``, ``curated/audit/``) and summarised in the audit log.
  Scheduled invocations are not retried: a failed site fails the invocation (alarmed),
  and a retry would recalculate every site again.
- **Sizing**: 4 GB (Lambda's CPU grows with memory; the engine's sparse solve and the
  Arrow reads are CPU-bound) and 15 minutes (Lambda's maximum), sized for a site of
  5,000 products. A scheduled run calculates the sites one after another in one
  invocation; a larger site, or many sites whose sum passes 15 minutes, needs the
  calculation per site fanned out (a Step Functions Map state invoking this function
  with ``{"site_id", "period"}`` per site) or moved to an ECS task with the same code.
- **Audit log**: a CloudWatch log group of its own, encrypted with the system key, kept
  ten years and never deleted with the stack, where the calculator writes each
  footprint's summary line (``pcf.adapters.audit_log``) through the API (a group of its
  own keeps the audit trail apart from the function's operational logs, which are kept
  one year). A metric filter counts the lines (``PCF/FootprintsAudited``).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.base import PcfStack
from stacks.functions import PcfFunction, grant_actions
from stacks.nag import acknowledge
from stacks.settings import DeploymentSettings, TelemetryStore

AUDIT_LOG_RETENTION = logs.RetentionDays.TEN_YEARS
CALCULATOR_MEMORY_MB = 4096
CALCULATOR_TIMEOUT = cdk.Duration.minutes(15)
# (schedule name, cron in UTC)
SCHEDULES = (
    ("previous_month", events.Schedule.cron(minute="0", hour="6", day="2")),
    ("current_month", events.Schedule.cron(minute="30", hour="6")),
)


class CalculationStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        network: Any,
        storage: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        self.audit_log = logs.LogGroup(
            self,
            "AuditLog",
            log_group_name=f"/pcf/{settings.environment}/audit",
            retention=AUDIT_LOG_RETENTION,
            encryption_key=storage.key,
            # the audit trail outlives the stack, whatever the data's removal policy
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        logs.MetricFilter(
            self,
            "FootprintsAudited",
            log_group=self.audit_log,
            filter_pattern=logs.FilterPattern.string_value("$.event", "=", "footprint_calculated"),
            metric_namespace="PCF",
            metric_name="FootprintsAudited",
            metric_value="1",
        )

        telemetry_environment = {"TELEMETRY_STORE": "postgres"}
        if settings.telemetry_store is TelemetryStore.TIMESTREAM:
            from stacks.storage import TIMESTREAM_HOURLY_TABLE, TIMESTREAM_RAW_TABLE

            telemetry_environment = {
                "TELEMETRY_STORE": (
                    f"timestream:{storage.timestream.database_name}/"
                    f"{TIMESTREAM_RAW_TABLE}/{TIMESTREAM_HOURLY_TABLE}"
                )
            }
        self.calculator = PcfFunction(
            self,
            "Calculator",
            bundle="calculator",
            description="Computes and stores every footprint of a site and month, exports "
            "them to the curated tier and writes the audit log",
            key=storage.key,
            environment={
                **storage.database_environment,
                **storage.object_store_environment,
                **telemetry_environment,
                "AUDIT_LOG_GROUP": self.audit_log.log_group_name,
            },
            placement=network.placement,
            memory_mb=CALCULATOR_MEMORY_MB,
            timeout=CALCULATOR_TIMEOUT,
        )
        self.calculator.node.add_dependency(storage.migrations)
        storage.grant_database(self.calculator)
        storage.grant_object_store(self.calculator, tiers=("curated",), write=True)
        grant_actions(
            self.calculator.role,
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [self.audit_log.log_group_arn],
        )
        if settings.telemetry_store is TelemetryStore.TIMESTREAM:
            raw, hourly = storage.timestream_tables
            grant_actions(
                self.calculator.role, ["timestream:Select"], [raw.attr_arn, hourly.attr_arn]
            )
            self.calculator.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["timestream:DescribeEndpoints"], resources=["*"])
            )
            acknowledge(
                self.calculator.role,
                "AwsSolutions-IAM5",
                "timestream:DescribeEndpoints (endpoint discovery) takes no resource; "
                "queries are granted on the two telemetry tables only.",
                applies_to=["Resource::*"],
            )
        cdk.CfnOutput(
            self,
            "CalculatorFunctionName",
            value=self.calculator.function.function_name,
            description='Invoke with {"site_id": "S1", "period": "2026-01"} to calculate on demand',
        )
        # a failed scheduled run is alarmed, not retried (a retry recalculates every site)
        self.calculator.function.configure_async_invoke(retry_attempts=0)

        self.schedules: dict[str, events.Rule] = {}
        for name, schedule in SCHEDULES:
            rule = events.Rule(
                self,
                "".join(part.capitalize() for part in name.split("_")) + "Schedule",
                description=f"Calculate every site's footprints: {name.replace('_', ' ')}",
                schedule=schedule,
            )
            rule.add_target(
                targets.LambdaFunction(
                    self.calculator.function,
                    event=events.RuleTargetInput.from_object({"schedule": name}),
                    retry_attempts=2,
                )
            )
            self.schedules[name] = rule

        self.monitored.functions.append(self.calculator.function)
