"""Dashboards (``quickSight.enabled``): QuickSight over the curated views of PostgreSQL.

- A **VPC connection** into the private subnets, in the database clients' security group
  (the one the database admits), with a role QuickSight assumes to manage its network
  interfaces there.
- A **data source** on the Aurora PostgreSQL cluster over TLS, with the credentials from
  the storage stack's database secret (QuickSight reads the secret itself).
- A **data set** per curated view (``qs_*``, migrations 0010 and 0011, docs/decisions/
  0009), imported into SPICE, the columns as the views define them.
- The principal of ``quickSight.principalArn`` owns the data source and the data sets.

What must exist first (by hand, once per account: README): a QuickSight Enterprise
subscription in the region, the principal, and QuickSight allowed to read the database
secret (and decrypt it with the platform key).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_quicksight as quicksight
from constructs import Construct

from stacks.base import PcfStack
from stacks.nag import acknowledge
from stacks.network import NetworkStack
from stacks.settings import DeploymentSettings
from stacks.storage import DATABASE_NAME, DATABASE_PORT, StorageStack

DATA_SOURCE_ACTIONS = (
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
)
DATA_SET_ACTIONS = (
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
)

_ID, _TEXT, _NUMBER, _FLAG, _TIME = "INTEGER", "STRING", "DECIMAL", "BOOLEAN", "DATETIME"
# The curated views' columns (PostgreSQL bigint -> INTEGER, text -> STRING, double
# precision -> DECIMAL, boolean -> BOOLEAN, timestamptz -> DATETIME), in view order.
CURATED_VIEWS: dict[str, tuple[tuple[str, str], ...]] = {
    "qs_footprint": (
        ("footprint_id", _ID), ("run_id", _ID), ("site_id", _TEXT), ("period_label", _TEXT),
        ("period_start", _TIME), ("period_closed", _FLAG), ("item_id", _TEXT),
        ("item_type", _TEXT), ("declared_unit", _TEXT), ("units_produced", _NUMBER),
        ("total_kg_co2e", _NUMBER), ("materials_kg_co2e", _NUMBER),
        ("purchased_parts_kg_co2e", _NUMBER), ("electricity_kg_co2e", _NUMBER),
        ("natural_gas_kg_co2e", _NUMBER), ("electricity_location_kg_co2e", _NUMBER),
        ("electricity_market_kg_co2e", _NUMBER), ("electricity_kwh", _NUMBER),
        ("natural_gas_kwh", _NUMBER), ("primary_data_share", _NUMBER), ("complete", _FLAG),
    ),
    "qs_footprint_category": (
        ("footprint_id", _ID), ("site_id", _TEXT), ("period_label", _TEXT), ("item_id", _TEXT),
        ("item_type", _TEXT), ("declared_unit", _TEXT), ("category", _TEXT),
        ("kg_co2e", _NUMBER), ("share", _NUMBER),
    ),
    "qs_footprint_source": (
        ("footprint_id", _ID), ("site_id", _TEXT), ("period_label", _TEXT), ("item_id", _TEXT),
        ("item_type", _TEXT), ("declared_unit", _TEXT), ("units_produced", _NUMBER),
        ("category", _TEXT), ("source_kind", _TEXT), ("source_id", _TEXT),
        ("machine_id", _TEXT), ("amount", _NUMBER), ("amount_unit", _TEXT),
        ("kg_co2e", _NUMBER), ("period_kg_co2e", _NUMBER), ("share", _NUMBER),
    ),
    "qs_machine_energy": (
        ("run_id", _ID), ("site_id", _TEXT), ("period_label", _TEXT), ("machine_id", _TEXT),
        ("process", _TEXT), ("items_made", _TEXT), ("units_produced", _NUMBER),
        ("electricity_kwh", _NUMBER), ("natural_gas_kwh", _NUMBER), ("kwh", _NUMBER),
        ("kg_co2e", _NUMBER), ("kwh_per_unit", _NUMBER), ("kg_co2e_per_unit", _NUMBER),
        ("best_kwh_per_unit", _NUMBER), ("kwh_ratio_to_best", _NUMBER),
        ("best_kg_co2e_per_unit", _NUMBER), ("kg_co2e_ratio_to_best", _NUMBER),
        ("peers", _ID),
    ),
    "qs_site_energy": (
        ("run_id", _ID), ("site_id", _TEXT), ("period_label", _TEXT),
        ("electricity_kwh", _NUMBER), ("natural_gas_kwh", _NUMBER), ("kwh", _NUMBER),
        ("kg_co2e", _NUMBER), ("units_produced", _NUMBER), ("kwh_per_unit", _NUMBER),
        ("kg_co2e_per_unit", _NUMBER),
    ),
    "qs_site_item_energy": (
        ("footprint_id", _ID), ("site_id", _TEXT), ("period_label", _TEXT), ("item_id", _TEXT),
        ("item_type", _TEXT), ("declared_unit", _TEXT), ("units_produced", _NUMBER),
        ("kwh_per_unit", _NUMBER), ("energy_kg_co2e_per_unit", _NUMBER),
        ("kg_co2e_per_unit", _NUMBER), ("best_kwh_per_unit", _NUMBER),
        ("best_kg_co2e_per_unit", _NUMBER), ("kg_co2e_ratio_to_best", _NUMBER),
        ("peers", _ID),
    ),
}  # fmt: skip


class DashboardsStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        network: NetworkStack,
        storage: StorageStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        principal = settings.quicksight.principal_arn
        if principal is None:  # settings refuse this; kept for the type checker
            raise ValueError("quickSight.principalArn is required when QuickSight is enabled")
        self.vpc_connection = self._vpc_connection(network)
        self.data_source = quicksight.CfnDataSource(
            self,
            "DataSource",
            aws_account_id=self.account,
            data_source_id=f"{settings.prefix}-postgres",
            name=f"PCF {settings.environment} (PostgreSQL curated views)",
            type="AURORA_POSTGRESQL",
            data_source_parameters=quicksight.CfnDataSource.DataSourceParametersProperty(
                aurora_postgre_sql_parameters=quicksight.CfnDataSource.AuroraPostgreSqlParametersProperty(
                    host=storage.database.cluster_endpoint.hostname,
                    port=DATABASE_PORT,
                    database=DATABASE_NAME,
                )
            ),
            credentials=quicksight.CfnDataSource.DataSourceCredentialsProperty(
                secret_arn=storage.database_secret.secret_arn
            ),
            ssl_properties=quicksight.CfnDataSource.SslPropertiesProperty(disable_ssl=False),
            vpc_connection_properties=quicksight.CfnDataSource.VpcConnectionPropertiesProperty(
                vpc_connection_arn=self.vpc_connection.attr_arn
            ),
            permissions=[
                quicksight.CfnDataSource.ResourcePermissionProperty(
                    principal=principal, actions=list(DATA_SOURCE_ACTIONS)
                )
            ],
        )
        self.data_sets = {
            view: self._data_set(view, columns, principal)
            for view, columns in CURATED_VIEWS.items()
        }

    def _vpc_connection(self, network: NetworkStack) -> quicksight.CfnVPCConnection:
        role = iam.Role(
            self,
            "VpcConnectionRole",
            assumed_by=iam.ServicePrincipal("quicksight.amazonaws.com"),
            description="QuickSight manages its network interfaces in the private subnets",
        )
        # Describe* take no resource; the interfaces QuickSight makes are named by type
        # (their ids do not exist yet), in this account and region
        ec2_arn = f"arn:{self.partition}:ec2:{self.region}:{self.account}"
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"], resources=["*"]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:ModifyNetworkInterfaceAttribute",
                    "ec2:DeleteNetworkInterface",
                ],
                resources=[
                    f"{ec2_arn}:network-interface/*",
                    f"{ec2_arn}:subnet/*",
                    f"{ec2_arn}:security-group/*",
                ],
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "QuickSight's VPC connection role (its documented permissions): EC2's describe "
            "actions take no resource, and the network interfaces it creates have no id "
            "before they exist, so they are named by type in this account and region.",
            applies_to=[
                "Resource::*",
                f"Resource::arn:{_nag_partition(self)}:ec2:{self.region}:{self.account}:network-interface/*",
                f"Resource::arn:{_nag_partition(self)}:ec2:{self.region}:{self.account}:subnet/*",
                f"Resource::arn:{_nag_partition(self)}:ec2:{self.region}:{self.account}:security-group/*",
            ],
        )
        subnets = network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        connection = quicksight.CfnVPCConnection(
            self,
            "VpcConnection",
            aws_account_id=self.account,
            vpc_connection_id=f"{self.settings.prefix}-database",
            name=f"PCF {self.settings.environment} database",
            role_arn=role.role_arn,
            security_group_ids=[network.database_clients.security_group_id],
            subnet_ids=subnets.subnet_ids,
        )
        connection.node.add_dependency(role)
        return connection

    def _data_set(
        self, view: str, columns: tuple[tuple[str, str], ...], principal: str
    ) -> quicksight.CfnDataSet:
        name = view.removeprefix("qs_")
        return quicksight.CfnDataSet(
            self,
            f"DataSet{''.join(part.capitalize() for part in name.split('_'))}",
            aws_account_id=self.account,
            data_set_id=f"{self.settings.prefix}-{name.replace('_', '-')}",
            name=f"PCF {name.replace('_', ' ')}",
            import_mode="SPICE",
            physical_table_map={
                name.replace("_", "-"): quicksight.CfnDataSet.PhysicalTableProperty(
                    relational_table=quicksight.CfnDataSet.RelationalTableProperty(
                        data_source_arn=self.data_source.attr_arn,
                        schema="public",
                        name=view,
                        input_columns=[
                            quicksight.CfnDataSet.InputColumnProperty(name=column, type=kind)
                            for column, kind in columns
                        ],
                    )
                )
            },
            permissions=[
                quicksight.CfnDataSet.ResourcePermissionProperty(
                    principal=principal, actions=list(DATA_SET_ACTIONS)
                )
            ],
        )

    @property
    def data_source_arn(self) -> str:
        return self.data_source.attr_arn


def _nag_partition(stack: cdk.Stack) -> str:
    """The partition as cdk-nag writes it in a finding: the literal when the CDK knows
    it (``enablePartitionLiterals`` with a region), else ``<AWS::Partition>``."""
    return "<AWS::Partition>" if cdk.Token.is_unresolved(stack.partition) else stack.partition
