"""The meter-reader component across restarts: run through its own top-level entry
(``run_meter_reader``), killed or stopped mid-window and started again from its state file,
it sends exactly what the meters counted, the same as a run that was never interrupted.

Every shift here is scripted (``scripted_shift``): the ground truth is exact, and so is
the comparison."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pcf.edge import component
from pcf.edge.component import MeterReaderConfig, StateFile, build_processor, run_meter_reader
from pcf.formats.telemetry_record import TelemetryWindowRecord
from tests.unit.edge.scripted_shift import (
    Faults,
    LateReadings,
    ScriptedMeter,
    ScriptedRegisters,
    Shift,
    component_config,
    exported_records,
    ground_truth,
    latest_windows,
    scripted_factory,
    totals,
)
from tests.unit.edge.stream_manager_stand_in import StreamManagerStandIn

POLLS = 120  # ten minutes of readings
MAIN = Path(__file__).resolve().parents[3] / "greengrass_components/com.pcf.MeterReader/main.py"


def shift_of(meters: list[ScriptedMeter], faults: Faults | None = None) -> Shift:
    return Shift(POLLS, lambda clock: ScriptedRegisters(meters, clock), faults or Faults())


def config_for(meters: list[ScriptedMeter], work: Path, **changes: Any) -> MeterReaderConfig:
    return component_config(
        [meter.config(2 * i) for i, meter in enumerate(meters)],
        work / "meter-reader-state.json",
        **changes,
    )


def start_once(config: MeterReaderConfig, meters: list[ScriptedMeter]) -> component.RestoredState:
    """Start the component and stop it before its first poll (a SIGTERM at once)."""
    stop = threading.Event()
    stop.set()
    return run_meter_reader(
        config,
        stop,
        source_factory=lambda _, clock: ScriptedRegisters(meters, clock),
        client_factory=StreamManagerStandIn().connect,
    )


# --- restarts --------------------------------------------------------------------------


def test_an_uninterrupted_shift_sends_what_the_meters_counted(tmp_path: Path) -> None:
    # Given ten minutes of scripted meters, a rollover and a reset among them
    meters = scripted_factory(POLLS, reset_after_poll=50, rollover_at_poll=70)
    shift = shift_of(meters)

    # When the component runs through the shift without interruption
    processes = shift.run(config_for(meters, tmp_path))

    # Then one process sent windows that sum to what each meter counted, exactly
    assert processes == 1
    assert totals(exported_records(shift.daemon)) == ground_truth(meters, POLLS)


# The exporter is offline from poll 10 on, so the 2 KiB stream is full and windows wait in
# the component's backlog when it restarts (poll 41 is 25 s into a window).
RESTARTS = {
    "killed mid-window": Faults(crash_before_polls=frozenset({41}), exporter_offline=range(10, 60)),
    "stopped mid-window": Faults(stop_after_polls=frozenset({41}), exporter_offline=range(10, 60)),
    "killed and stopped, twice each": Faults(
        crash_before_polls=frozenset({41, 77}),
        stop_after_polls=frozenset({58, 101}),
        exporter_offline=range(10, 90),
    ),
}


@pytest.mark.parametrize("faults", RESTARTS.values(), ids=RESTARTS.keys())
def test_a_restart_mid_window_neither_loses_nor_double_counts(
    faults: Faults, tmp_path: Path
) -> None:
    # Given the scripted shift, and the same shift run without restarts
    meters = scripted_factory(POLLS, reset_after_poll=50, rollover_at_poll=70)
    uninterrupted = shift_of(meters, Faults(exporter_offline=faults.exporter_offline))
    uninterrupted.run(config_for(meters, tmp_path / "uninterrupted"))
    shift = shift_of(meters, faults)

    # When the component is killed or stopped mid-window and started again each time
    processes = shift.run(config_for(meters, tmp_path / "restarted"))

    # Then each start after the first had windows waiting in the saved backlog,
    restarts = len(faults.crash_before_polls) + len(faults.stop_after_polls)
    assert processes == 1 + restarts
    assert shift.backlogs_at_start[1] > 0
    # and the latest revisions sum to what the meters counted, as without the restarts
    sent = exported_records(shift.daemon)
    assert totals(sent) == ground_truth(meters, POLLS)
    assert totals(sent) == totals(exported_records(uninterrupted.daemon))


def test_a_clean_stop_resumes_exactly_where_it_stopped(tmp_path: Path) -> None:
    # Given a shift stopped by Greengrass mid-window (SIGTERM), and the same uninterrupted
    meters = scripted_factory(POLLS, rollover_at_poll=30)
    uninterrupted = shift_of(meters)
    uninterrupted.run(config_for(meters, tmp_path / "uninterrupted"))
    stopped = shift_of(meters, Faults(stop_after_polls=frozenset({41, 42, 90})))

    # When it runs through the shift
    stopped.run(config_for(meters, tmp_path / "stopped"))

    # Then every window, readings included, is what the uninterrupted run sent
    assert latest_windows(exported_records(stopped.daemon)) == latest_windows(
        exported_records(uninterrupted.daemon)
    )


def test_a_crash_right_after_stream_manager_took_a_window_sends_it_again_unchanged(
    tmp_path: Path,
) -> None:
    # Given a process that dies right after Stream Manager accepted some windows, before
    # it could learn so
    meters = scripted_factory(POLLS)
    shift = shift_of(meters, Faults(crash_after_appends=frozenset({3, 10, 31})))

    # When the component is started again each time
    processes = shift.run(config_for(meters, tmp_path))

    # Then those windows reached Kinesis twice, as identical records (checked by
    # latest_windows), and count once
    sent = exported_records(shift.daemon)
    assert processes == 4
    assert len(sent) - len(latest_windows(sent)) >= 3
    assert totals(sent) == ground_truth(meters, POLLS)


def test_readings_delayed_past_the_grace_period_survive_a_crash_after_sending(
    tmp_path: Path,
) -> None:
    # Given a gateway that delivers M1-E's readings 30 s late (the grace period is 10 s),
    # so each delivery revises a window that was sent already, and the revision is sent in
    # the same poll; the process dies right after Stream Manager took some of those.
    # (Sending first and saving after, even after every poll, counts 1 kWh of M1-E twice
    # here: the restarted component sends a revision that already left, without the
    # delayed reading, and counts that reading again in the next window.)
    meters = scripted_factory(POLLS)
    late = LateReadings(frozenset({"M1-E"}), every=1, by_polls=6)
    crashes = (14, 35, 64)
    shift = shift_of(meters, Faults(crash_after_appends=frozenset(crashes), late=(late,)))

    # When the component is started again each time
    shift.run(config_for(meters, tmp_path))

    # Then the crashes hit revisions carrying a delayed reading, and still the latest
    # revisions sum to what the meters counted: no revision left twice with two contents
    sent = exported_records(shift.daemon)
    crashed_on = [TelemetryWindowRecord.model_validate_json(sent[n - 1]) for n in crashes]
    assert any(r.meter_id == "M1-E" and r.revision > 0 for r in crashed_on)
    assert totals(sent) == ground_truth(meters, POLLS)


# --- the state file ----------------------------------------------------------------------


def test_the_state_is_in_the_working_folder_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the default state_file and the work folder as working folder (as under Greengrass)
    meters = scripted_factory(POLLS)
    monkeypatch.chdir(tmp_path)
    config = config_for(meters, tmp_path).model_copy(
        update={"state_file": MeterReaderConfig.model_fields["state_file"].default}
    )

    # When the component starts and stops
    start_once(config, meters)

    # Then its state is in the work folder, and nothing else is
    assert [p.name for p in tmp_path.iterdir()] == ["meter-reader-state.json"]


def test_a_corrupt_state_file_is_kept_aside_and_the_component_starts_fresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a state file cut short (a disk that lost its tail)
    meters = scripted_factory(POLLS)
    config = config_for(meters, tmp_path)
    config.state_file.write_text('{"format": "pcf.edge.meter-reader-state", "vers')

    # When the component starts
    with caplog.at_level(logging.ERROR, logger="pcf.edge.component"):
        restored = start_once(config, meters)

    # Then it starts fresh, says so and where the file went, which is kept as it was
    assert not restored.restored and restored.backlog == ()
    [kept] = tmp_path.glob("meter-reader-state.json.corrupt-*")
    assert kept.read_text() == '{"format": "pcf.edge.meter-reader-state", "vers'
    assert "is not a meter-reader state file" in caplog.text and kept.name in caplog.text
    # and saves a valid state of its own at the stop
    assert json.loads(config.state_file.read_text())["format"] == "pcf.edge.meter-reader-state"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"window_seconds": 300}, "60 s windows, not the configured 300 s"),
        ({"meters": "one more"}, "no meters M3-E"),
        ({"meters": "one fewer"}, "meters no longer configured (M2-G)"),
        ({"meters": "rescaled"}, "other settings of M1-E"),
    ],
)
def test_a_state_saved_for_other_meters_is_kept_aside_and_its_backlog_still_sent(
    change: dict[str, Any], message: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a state saved by a shift whose exporter went offline: windows in its backlog
    meters = scripted_factory(POLLS)
    saved_config = config_for(meters, tmp_path)
    offline = Faults(exporter_offline=range(46))
    Shift(45, lambda clock: ScriptedRegisters(meters, clock), offline, drain_polls=1).run(
        saved_config
    )
    backlog = json.loads(saved_config.state_file.read_text())["backlog"]
    assert backlog

    # When the component starts with another configuration
    configured = [meter.config(2 * i) for i, meter in enumerate(meters)]
    if change.get("meters") == "one more":
        configured.append(configured[0].model_copy(update={"meter_id": "M3-E"}))
    elif change.get("meters") == "one fewer":
        configured.pop()
    elif change.get("meters") == "rescaled":
        configured[0] = configured[0].model_copy(update={"unit": "Wh"})
    new_config = saved_config.model_copy(update={**change, "meters": configured})
    with caplog.at_level(logging.ERROR, logger="pcf.edge.component"):
        restored = start_once(new_config, meters)

    # Then the aggregator starts fresh, the file is kept aside, the reason is logged,
    assert not restored.restored
    assert len(list(tmp_path.glob("meter-reader-state.json.mismatched-*"))) == 1
    assert message in caplog.text
    # and the windows that waited are still to be sent, first
    assert [record.decode() for record in restored.backlog] == backlog
    assert json.loads(new_config.state_file.read_text())["backlog"] == backlog


def test_windows_wait_in_memory_while_the_state_cannot_be_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a disk that refuses writes from poll 20 to poll 50
    meters = scripted_factory(POLLS)
    shift = shift_of(meters, Faults(crash_before_polls=frozenset({45})))
    save = StateFile.save
    appends_while_failing: set[int] = set()

    def failing_save(self: StateFile, *args: Any) -> None:
        if 20 <= shift.next_poll <= 50:
            appends_while_failing.add(shift.appends)
            raise OSError(28, "No space left on device")
        save(self, *args)

    monkeypatch.setattr(StateFile, "save", failing_save)

    # When the component runs through the shift, and dies while the disk is full
    with caplog.at_level(logging.ERROR, logger="pcf.edge.component"):
        shift.run(config_for(meters, tmp_path))

    # Then nothing was appended while no state could be saved, the failure was logged,
    # and the windows that waited were sent later: exactly what the meters counted
    assert len(appends_while_failing) == 1
    assert "No space left on device" in caplog.text
    assert totals(exported_records(shift.daemon)) == ground_truth(meters, POLLS)


def test_a_save_that_fails_half_way_leaves_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a saved state
    meters = scripted_factory(POLLS)
    config = config_for(meters, tmp_path)
    state_file = StateFile(config)
    state_file.save({"saved": "first"}, [b'{"first": 1}'])
    before = config.state_file.read_bytes()

    # When the next save fails as it replaces the file
    def no_rename(*_: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError, match="Input/output error"):
        state_file.save({"saved": "second"}, [])

    # Then the previous state is intact and no temporary file is left behind
    assert config.state_file.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["meter-reader-state.json"]


def test_greengrass_stopping_the_component_saves_its_state_in_the_work_folder(
    tmp_path: Path,
) -> None:
    # Given the component's entry script, started as Greengrass does: in its work folder,
    # meters that do not answer and no Stream Manager (neither matters for the state)
    meters = scripted_factory(POLLS)
    configuration = config_for(meters, tmp_path).model_dump(mode="json")
    del configuration["state_file"]  # the default
    configuration["poll_interval_seconds"] = 0.05
    for meter in configuration["meters"]:
        meter["register_map"].update(host="127.0.0.1", port=9)  # discard: nobody listens
    (tmp_path / "site.json").write_text(json.dumps(configuration))
    process = subprocess.Popen(
        [sys.executable, str(MAIN), "--config", "site.json"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # When it has started polling and Greengrass stops it
        assert process.stderr is not None
        for line in process.stderr:
            if "reading 4 meters" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, rest_of_log = process.communicate(timeout=20)
    finally:
        process.kill()

    # Then it exits cleanly, its state saved in the work folder
    assert process.returncode == 0, rest_of_log
    saved = json.loads((tmp_path / "meter-reader-state.json").read_text())
    assert saved["meters"] == configuration["meters"] and saved["backlog"] == []


def test_a_meter_without_a_reset_threshold_gets_ten_minutes_at_its_maximum_rate() -> None:
    config = MeterReaderConfig.model_validate(
        {
            "stream": {"kinesis_stream_name": "pcf-telemetry"},
            "meters": [
                {
                    "meter_id": "M1-E",
                    "site_id": "S1",
                    "machine_id": "M1",
                    "quantity": "electricity",
                    "item_id": None,
                    "unit": "kWh",
                    "register_map": {
                        "host": "127.0.0.1",
                        "unit_id": 1,
                        "address": 0,
                        "data_type": "uint16",
                        "scale": 0.01,
                    },
                    "counter_max": None,
                    "max_rate_per_second": 0.6,
                }
            ],
        }
    )

    (meter,) = build_processor(config).meters  # type: ignore[attr-defined]

    # 600 s x 0.6 kWh/s = 360 kWh, but a uint16 x 0.01 rolls over at 655.36 kWh: the
    # threshold stays below half of that
    assert meter.reset_threshold == pytest.approx(655.36 / 2 * 0.99)
