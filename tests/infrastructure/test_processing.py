"""The processing stack: the upload event rule, the Glue job and the catalog."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from pcf.formats.definitions import FORMATS, STATIC_FORMATS
from pcf.formats.validation import typed_schema
from stacks.processing import GLUE_VERSION, glue_python_modules
from tests.infrastructure.conftest import Synthesized


def _one(template: Template, kind: str) -> tuple[str, dict[str, Any]]:
    found = template.find_resources(kind)
    assert len(found) == 1, found
    return next(iter(found.items()))


def test_uploads_landing_under_raw_uploads_trigger_the_validation_function(
    default: Synthesized,
) -> None:
    processing = default.system.processing
    rule = _rule_of_bucket(default, "raw")
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"] == {"key": [{"prefix": "raw/uploads/"}]}
    (target,) = rule["Targets"]
    function_id = default.logical_id(processing.validation.function)
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert "DeadLetterConfig" in target


def test_a_dataset_version_landing_in_the_processed_tier_triggers_the_factor_mapping(
    default: Synthesized,
) -> None:
    processing = default.system.processing
    rule = _rule_of_bucket(default, "processed")
    assert rule["EventPattern"]["detail"]["object"] == {
        "key": [{"wildcard": "processed/*.parquet"}]
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [default.logical_id(processing.mapping.function), "Arn"]}
    assert "DeadLetterConfig" in target
    # the processed bucket sends its events to EventBridge
    default.template(default.system.storage).has_resource_properties(
        "Custom::S3BucketNotifications",
        {
            "BucketName": {"Ref": default.logical_id(default.system.storage.buckets.processed)},
            "NotificationConfiguration": {"EventBridgeConfiguration": {}},
        },
    )
    # it writes the curated tier only, and reads no other bucket
    policies = json.dumps(
        [
            policy
            for policy in default.template(processing).find_resources("AWS::IAM::Policy").values()
            if "FactorMapping" in json.dumps(policy["Properties"]["Roles"])
        ]
    )
    storage = default.system.storage
    assert storage.bucket_name("curated") in policies
    for tier in ("raw", "processed", "quarantine"):
        assert storage.bucket_name(tier) not in policies


def _rule_of_bucket(synthesized: Synthesized, tier: str) -> dict[str, Any]:
    """The processing stack's one EventBridge rule on ``tier``'s bucket."""
    name = synthesized.system.storage.bucket_name(tier)
    rules = synthesized.template(synthesized.system.processing).find_resources("AWS::Events::Rule")
    (rule,) = [
        r["Properties"]
        for r in rules.values()
        if r["Properties"].get("EventPattern", {}).get("detail", {}).get("bucket", {}).get("name")
        == [name]
    ]
    return rule


def test_the_glue_job_runs_glue_5_with_pcf_and_its_pins_under_a_security_configuration(
    default: Synthesized,
) -> None:
    template = default.template(default.system.processing)
    _, job = _one(template, "AWS::Glue::Job")
    configuration_id, configuration = _one(template, "AWS::Glue::SecurityConfiguration")
    properties = job["Properties"]
    arguments = properties["DefaultArguments"]

    assert properties["GlueVersion"] == GLUE_VERSION == "5.0"
    assert properties["Command"]["Name"] == "glueetl"
    assert properties["SecurityConfiguration"] == {"Ref": configuration_id}
    assert arguments["--extra-py-files"].startswith("s3://cdk-")
    assert arguments["--extra-py-files"].endswith(".zip")
    assert arguments["--additional-python-modules"] == ",".join(glue_python_modules())
    assert all("==" in module for module in glue_python_modules())
    assert arguments["--output_root"] == f"s3://{default.system.storage.bucket_name('processed')}"
    encryption = configuration["Properties"]["EncryptionConfiguration"]
    assert encryption["S3Encryptions"][0]["S3EncryptionMode"] == "SSE-KMS"
    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    assert default.system.processing.glue_job.name in default.system.processing.monitored.glue_jobs


def test_the_glue_job_role_touches_only_its_tiers(default: Synthesized) -> None:
    processing = default.system.processing
    template = default.template(processing)
    role_id = default.logical_id(processing.glue_job.role)
    policies = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]

    text = json.dumps(policies)

    storage = default.system.storage
    for tier in ("raw", "processed", "quarantine"):
        assert storage.bucket_name(tier) in text
    for tier in ("curated", "access-logs"):
        assert storage.bucket_name(tier) not in text


def test_the_catalog_has_a_table_per_processed_kind_with_the_formats_columns(
    default: Synthesized,
) -> None:
    template = default.template(default.system.processing)
    tables = {
        t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"]
        for t in template.find_resources("AWS::Glue::Table").values()
    }

    for definition in STATIC_FORMATS:
        table = tables[f"processed_{definition.kind}"]
        columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
        assert columns == typed_schema(FORMATS[definition.kind]).names
        assert table["PartitionKeys"] == [{"Name": "version", "Type": "bigint"}]
    for part in ("items", "electricity", "natural_gas"):
        table = tables[f"curated_mapped_factors_{part}"]
        assert [k["Name"] for k in table["PartitionKeys"]] == ["as_of", "build"]
    assert {"curated_footprints", "curated_audit_records"} <= set(tables)
