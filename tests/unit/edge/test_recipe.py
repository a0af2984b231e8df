"""The meter component's Greengrass V2 recipe: valid in the recipe format (a JSON Schema
written from AWS's recipe reference), and saying what the component needs."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from pcf.adapters.stream_manager import StrategyOnFull, StreamManagerSink, StreamSettings
from pcf.edge import component

COMPONENTS = Path(__file__).resolve().parents[3] / "greengrass_components"
COMPONENT = COMPONENTS / "com.pcf.MeterReader"


def load_recipe() -> dict[str, Any]:
    recipe: dict[str, Any] = yaml.safe_load((COMPONENT / "recipe.yaml").read_text())
    return recipe


def recipe_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((COMPONENTS / "recipe.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def load_component_main() -> ModuleType:
    spec = importlib.util.spec_from_file_location("meter_reader_main", COMPONENT / "main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # registered first, so pydantic resolves the annotations of the script's models
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def default_configuration() -> dict[str, Any]:
    configuration: dict[str, Any] = load_recipe()["ComponentConfiguration"]["DefaultConfiguration"]
    return configuration


def test_the_recipe_is_valid_in_the_recipe_format() -> None:
    errors = [error.message for error in recipe_validator().iter_errors(load_recipe())]
    assert errors == []


def test_the_component_depends_hard_on_stream_manager() -> None:
    dependency = load_recipe()["ComponentDependencies"]["aws.greengrass.StreamManager"]
    assert dependency["DependencyType"] == "HARD"
    assert dependency["VersionRequirement"].startswith(">=2.")


def test_the_default_stream_loses_no_data() -> None:
    stream = default_configuration()["stream"]
    assert stream["strategy_on_full"] == StrategyOnFull.REJECT_NEW_DATA
    assert stream["persistence"] == "File"
    assert "time_to_live_millis" not in stream  # no time-to-live: nothing expires unexported


def test_artifacts_come_from_s3_and_the_run_script_is_in_them() -> None:
    [manifest] = load_recipe()["Manifests"]
    [artifact] = manifest["Artifacts"]
    assert artifact["URI"].startswith("s3://")
    assert artifact["URI"].endswith("/com.pcf.MeterReader.zip")
    assert artifact["Unarchive"] == "ZIP"
    # a ZIP artifact unpacks into a folder named after it
    assert (
        "{artifacts:decompressedPath}/com.pcf.MeterReader/main.py"
        in (manifest["Lifecycle"]["Run"]["Script"])
    )
    assert manifest["Platform"]["os"] == "linux"


def test_the_default_configuration_is_what_the_component_reads() -> None:
    # Given the component's own configuration models
    main = component
    configuration = default_configuration()

    # When the default configuration is parsed as the component parses it at start
    parsed = main.MeterReaderConfig.model_validate(configuration)

    # Then it parses (no unknown setting: the models forbid extras) and sets every setting
    # the component reads explicitly, for every meter and its register map
    assert set(configuration) == set(main.MeterReaderConfig.model_fields)
    assert set(configuration["stream"]) == set(StreamSettings.model_fields) - {
        "time_to_live_millis"
    }
    for meter in configuration["meters"]:
        assert set(meter) == set(main.MeterConfig.model_fields), meter["meter_id"]
        assert set(meter["register_map"]) == set(main.RegisterMapConfig.model_fields), meter[
            "meter_id"
        ]
    assert parsed.poll_interval_seconds == 1 and parsed.window_seconds == 60
    assert parsed.stream.strategy_on_full is StrategyOnFull.REJECT_NEW_DATA


def test_the_state_is_kept_in_the_work_folder_and_resets_are_recognised() -> None:
    # Greengrass runs the Run script in the component's work folder: a relative path lands
    # there, and survives component updates (the artifacts folder does not)
    configuration = default_configuration()
    assert not Path(configuration["state_file"]).is_absolute()
    parsed = component.MeterReaderConfig.model_validate(configuration)
    for meter in parsed.meters:
        # a reset or rollover counts rather than being dropped as a glitch
        assert meter.reset_threshold > 0, meter.meter_id
    component.build_processor(parsed)  # thresholds below counter_max / 2


def test_the_default_configuration_matches_the_worked_example_meters() -> None:
    meters = {meter["meter_id"]: meter for meter in default_configuration()["meters"]}
    assert sorted(meters) == ["M1-E", "M1-P", "M2-E", "M2-G", "M2-P"]
    assert meters["M1-P"]["item_id"] == "P" and meters["M2-G"]["unit"] == "m3"


def test_numbers_given_as_strings_are_accepted() -> None:
    # Greengrass recommends numbers as strings in configuration
    main = component
    configuration = copy.deepcopy(default_configuration())
    configuration["window_seconds"] = "60"
    configuration["meters"][0]["register_map"]["port"] = "5020"
    parsed = main.MeterReaderConfig.model_validate(configuration)
    assert parsed.window_seconds == 60 and parsed.meters[0].register_map.port == 5020


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(unit="m3"), 'unit "m3" does not measure electricity'),
        (lambda m: m.update(counter_mx=1), "Extra inputs are not permitted"),
        (lambda m: m["register_map"].pop("address"), "Field required"),
    ],
)
def test_a_wrong_meter_setting_fails_at_start(change: Any, message: str) -> None:
    main = component
    configuration = copy.deepcopy(default_configuration())
    change(configuration["meters"][0])
    with pytest.raises(ValueError, match=message):
        main.MeterReaderConfig.model_validate(configuration)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("RecipeFormatVersion",), "2021-01-01"),
        (("ComponentVersion",), "1.0"),
        (("ComponentDependencies", "aws.greengrass.StreamManager", "DependencyType"), "STRONG"),
        (("Manifests", 0, "Artifacts", 0, "URI"), "https://example.com/a.zip"),
        (("Manifests", 0, "Artifacts", 0, "Unarchive"), "TAR"),
        (("Manifests", 0, "Artifacts", 0, "Permission", "Write"), "ALL"),
        (("Manifests", 0, "Lifecycle", "Startup"), "python3 main.py"),  # with Run: one only
        (("Manifests", 0, "Lifecycle", "Install", "Skipif"), "maybe"),
        (("Manifests", 0, "Lifecycle", "Install", "Timeout"), "long"),
        (("Manifests", 0, "Platform", "os"), "-linux"),
        (("ComponentTypo",), "x"),
    ],
)
def test_the_schema_rejects_what_the_recipe_format_does_not_allow(
    path: tuple[str | int, ...], value: str
) -> None:
    recipe = load_recipe()
    target: Any = recipe
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not recipe_validator().is_valid(recipe)


def test_the_schema_accepts_the_documented_global_lifecycle_with_selections() -> None:
    recipe = load_recipe()
    manifest = recipe["Manifests"][0]
    del manifest["Lifecycle"]
    manifest["Selections"] = ["edge", "all"]
    recipe["Lifecycle"] = {
        "edge": {"Install": {"Skipif": "onpath python3", "Script": "apt-get install python3"}},
        "all": {"Run": {"Script": {"edge": "python3 main.py", "all": "python3 other.py"}}},
    }
    errors = [error.message for error in recipe_validator().iter_errors(recipe)]
    assert errors == []


def test_the_default_configuration_builds_the_components_parts() -> None:
    # Given the default configuration
    load_component_main()  # the entry script imports cleanly
    config = component.MeterReaderConfig.model_validate(default_configuration())

    # When the component wires its parts (nothing connects yet)
    source = component.build_source(config)
    processor = component.build_processor(config)
    sink = StreamManagerSink(config.stream)

    # Then all meters sit on the one local simulator, and the stream is the configured one
    [modbus] = source.sources
    assert (modbus.host, modbus.port) == ("127.0.0.1", 5020)
    assert [entry.meter_id for entry in modbus.register_map] == [
        meter.meter_id for meter in config.meters
    ]
    assert processor.window_seconds == 60
    assert sink.settings == config.stream
    source.close()
