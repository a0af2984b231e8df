"""The calculation stack: the calculator's schedules, size and the audit log."""

from __future__ import annotations

import json

from tests.infrastructure.conftest import Synthesized


def test_the_calculator_runs_on_two_schedules_with_the_schedule_as_input(
    default: Synthesized,
) -> None:
    calculation = default.system.calculation
    template = default.template(calculation)
    function_id = default.logical_id(calculation.calculator.function)

    rules = list(template.find_resources("AWS::Events::Rule").values())

    by_input = {
        json.loads(rule["Properties"]["Targets"][0]["Input"])["schedule"]: rule["Properties"]
        for rule in rules
    }
    assert by_input["previous_month"]["ScheduleExpression"] == "cron(0 6 2 * ? *)"
    assert by_input["current_month"]["ScheduleExpression"] == "cron(30 6 * * ? *)"
    for rule in by_input.values():
        assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}


def test_the_calculator_is_sized_for_a_large_site_and_not_retried(default: Synthesized) -> None:
    calculation = default.system.calculation
    template = default.template(calculation)
    function = template.find_resources("AWS::Lambda::Function")
    (calculator,) = [
        f for f in function.values() if "AUDIT_LOG_GROUP" in json.dumps(f["Properties"])
    ]
    (invoke_config,) = template.find_resources("AWS::Lambda::EventInvokeConfig").values()

    assert calculator["Properties"]["Timeout"] == 900
    assert calculator["Properties"]["MemorySize"] == 4096
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 0


def test_the_audit_log_is_encrypted_kept_ten_years_and_written_only_by_the_calculator(
    default: Synthesized,
) -> None:
    calculation = default.system.calculation
    template = default.template(calculation)
    audit_id = default.logical_id(calculation.audit_log)
    audit = template.to_json()["Resources"][audit_id]

    assert audit["Properties"]["RetentionInDays"] == 3653
    assert "KmsKeyId" in audit["Properties"]
    assert audit["DeletionPolicy"] == "Retain"
    assert audit["Properties"]["LogGroupName"] == "/pcf/dev/audit"
    statements = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if {"Fn::GetAtt": [audit_id, "Arn"]}
        in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    assert [s["Action"] for s in statements] == [["logs:CreateLogStream", "logs:PutLogEvents"]]
    (metric_filter,) = template.find_resources("AWS::Logs::MetricFilter").values()
    assert metric_filter["Properties"]["FilterPattern"] == '{ $.event = "footprint_calculated" }'
