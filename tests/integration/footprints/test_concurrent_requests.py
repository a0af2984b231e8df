"""The local server answers API requests concurrently, each with its own request:
Powertools keeps the current event on a class shared by every resolver, so a server
that ran two requests at once without isolating them would check one caller's token
against the other's route, or answer one path with another's footprint."""

from __future__ import annotations

import sys
import threading

import pytest

from pcf.api.auth import Role
from tests.integration.api.conftest import Client
from tests.integration.footprints.conftest import TwoSites

pytestmark = pytest.mark.integration


def test_concurrent_requests_keep_their_own_token_path_and_answer(
    client: Client, two_sites: TwoSites
) -> None:
    # Given footprints of two sites, and callers with different roles at once
    footprints = sorted(
        {*two_sites.s1.footprint_ids.values(), *two_sites.s2.footprint_ids.values()}
    )
    answers: list[tuple[Role, int, int, object]] = []
    lock = threading.Lock()

    def caller(index: int) -> None:
        for n in range(12):
            role = Role.AUDITOR if (index + n) % 2 else Role.READER
            footprint = footprints[(index + n) % len(footprints)]
            path = f"/footprints/{footprint}/audit" if n % 3 else f"/footprints/{footprint}"
            reply = client.call("GET", path, role=role)
            body = reply.json()
            answered = body.get("footprint_id") if isinstance(body, dict) else None
            with lock:
                answers.append((role, footprint, reply.status, (path, answered)))

    # When 12 callers send 12 requests each, all at the same time, with the server's
    # threads switching as often as the interpreter can (so requests interleave anywhere)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=caller, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)

    # Then each answer is the one its own request asked for: the audit trail for an
    # auditor only, a breakdown for both, always of the footprint in the path
    assert len(answers) == 144
    for role, footprint, status, (path, answered) in answers:
        if path.endswith("/audit") and role is Role.READER:
            assert status == 403, (role, path)
        else:
            assert (status, answered) == (200, footprint), (role, path)
