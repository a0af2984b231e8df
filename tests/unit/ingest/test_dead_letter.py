"""Dead letters: one readable JSON message each, to a folder or an SQS queue."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from pcf.adapters.dead_letter import (
    MAX_PAYLOAD_BYTES,
    DeadLetter,
    DeadLetterError,
    FolderDeadLetters,
    SqsDeadLetters,
)


def test_a_large_payload_is_cut_and_flagged_with_its_hash() -> None:
    payload = b"x" * (MAX_PAYLOAD_BYTES + 10)

    message = DeadLetter(reason="Invalid JSON", payload=payload).to_message()

    assert len(message["payload_text"]) == MAX_PAYLOAD_BYTES
    assert message["payload_truncated"] is True
    assert message["payload_bytes"] == MAX_PAYLOAD_BYTES + 10
    assert message["payload_sha256"] == hashlib.sha256(payload).hexdigest()


def test_the_folder_destination_writes_json_lines(tmp_path: Path) -> None:
    destination = FolderDeadLetters(tmp_path / "dead")

    destination.send([DeadLetter("a", b"1", "7"), DeadLetter("b", b"2")])
    destination.send([])

    messages = destination.messages()
    assert [(m["reason"], m["sequence_number"]) for m in messages] == [("a", "7"), ("b", None)]
    assert len(list((tmp_path / "dead").iterdir())) == 1


class FakeSqs:
    def __init__(self, failures: list[dict[str, Any]] | None = None) -> None:
        self.calls: list[list[dict[str, str]]] = []
        self.failures = failures or []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> Any:
        self.calls.append(Entries)
        failed = [f for f in self.failures if any(e["Id"] == f["Id"] for e in Entries)]
        self.failures = [f for f in self.failures if not f.get("Transient")]
        return {"Successful": [], "Failed": failed}


def test_sqs_sends_ten_letters_per_call() -> None:
    client = FakeSqs()

    SqsDeadLetters(client, "https://q").send([DeadLetter(str(n), b"{}") for n in range(23)])

    assert [len(call) for call in client.calls] == [10, 10, 3]
    assert json.loads(client.calls[2][2]["MessageBody"])["reason"] == "22"


def test_sqs_resends_a_transient_failure() -> None:
    client = FakeSqs(
        [{"Id": "1", "Code": "InternalError", "SenderFault": False, "Transient": True}]
    )

    SqsDeadLetters(client, "https://q").send([DeadLetter("a", b""), DeadLetter("b", b"")])

    assert [[entry["Id"] for entry in call] for call in client.calls] == [["0", "1"], ["1"]]


def test_sqs_reports_a_sender_fault_at_once() -> None:
    client = FakeSqs([{"Id": "0", "Code": "InvalidMessageContents", "SenderFault": True}])

    with pytest.raises(DeadLetterError, match=r"1 dead letter.*InvalidMessageContents"):
        SqsDeadLetters(client, "https://q").send([DeadLetter("a", b"")])
    assert len(client.calls) == 1
