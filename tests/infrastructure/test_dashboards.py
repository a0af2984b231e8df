"""The dashboards stack: only with QuickSight enabled; VPC connection, the data source
over TLS with the database secret, a data set per curated view, the principal's rights."""

from __future__ import annotations

from aws_cdk.assertions import Match

from stacks.dashboards import CURATED_VIEWS, DATA_SET_ACTIONS, DATA_SOURCE_ACTIONS
from tests.infrastructure.conftest import Synthesized


def test_without_quicksight_there_is_no_dashboards_stack(default: Synthesized) -> None:
    assert default.system.dashboards is None
    assert all(stack.stack_name != "pcf-dev-dashboards" for stack in default.system.stacks())


def test_the_data_source_reads_postgresql_over_tls_through_the_vpc_connection(
    enterprise: Synthesized,
) -> None:
    dashboards = enterprise.system.dashboards
    assert dashboards is not None
    template = enterprise.template(dashboards)
    principal = enterprise.settings.quicksight.principal_arn

    ((connection_id, connection),) = template.find_resources(
        "AWS::QuickSight::VPCConnection"
    ).items()
    assert connection["Properties"]["SubnetIds"]
    assert connection["Properties"]["SecurityGroupIds"]
    template.has_resource_properties(
        "AWS::QuickSight::DataSource",
        {
            "Type": "AURORA_POSTGRESQL",
            "DataSourceParameters": {
                "AuroraPostgreSqlParameters": Match.object_like({"Database": "pcf", "Port": 5432})
            },
            "Credentials": {"SecretArn": Match.any_value()},
            "SslProperties": {"DisableSsl": False},
            "VpcConnectionProperties": {"VpcConnectionArn": {"Fn::GetAtt": [connection_id, "Arn"]}},
            "Permissions": [{"Principal": principal, "Actions": list(DATA_SOURCE_ACTIONS)}],
        },
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {
                    "Statement": [
                        Match.object_like({"Principal": {"Service": "quicksight.amazonaws.com"}})
                    ]
                }
            )
        },
    )


def test_each_curated_view_is_a_data_set_the_principal_owns(enterprise: Synthesized) -> None:
    dashboards = enterprise.system.dashboards
    assert dashboards is not None
    template = enterprise.template(dashboards)
    principal = enterprise.settings.quicksight.principal_arn

    data_sets = template.find_resources("AWS::QuickSight::DataSet")
    tables = {}
    for data_set in data_sets.values():
        properties = data_set["Properties"]
        assert properties["ImportMode"] == "SPICE"
        assert properties["Permissions"] == [
            {"Principal": principal, "Actions": list(DATA_SET_ACTIONS)}
        ]
        (table,) = properties["PhysicalTableMap"].values()
        relational = table["RelationalTable"]
        tables[relational["Name"]] = [
            (column["Name"], column["Type"]) for column in relational["InputColumns"]
        ]
    assert tables == {view: list(columns) for view, columns in CURATED_VIEWS.items()}
    assert set(tables) == {
        "qs_footprint",
        "qs_footprint_category",
        "qs_footprint_source",
        "qs_machine_energy",
        "qs_site_energy",
        "qs_site_item_energy",
    }
