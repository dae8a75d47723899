"""The public HTTP surface fuzzed from its own OpenAPI document (schemathesis) against a real
`switchboard up`: valid and invalid requests to every operation, with an admin token where
routes need one; whatever is sent, the answer is never a 5xx.

Driven through schemathesis' strategies and hypothesis directly (its pytest plugin does not
run under the pytest this project uses)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode
from schemathesis.core.result import Err

from tests.support.auth import ADMIN
from tests.support.channels import system_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess

EXAMPLES = 8  # per operation and mode: a few hundred requests in all


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwitchboardProcess]:
    workdir = tmp_path_factory.mktemp("fuzz")
    proc = SwitchboardProcess(workdir / "sb", system_toml(free_port()), None)
    proc.start(60)
    yield proc
    proc.terminate()


# schemathesis hands out its operations unparametrised, so there is nothing narrower to name.
def operations(system: SwitchboardProcess) -> list[APIOperation[Any, Any, Any, Any]]:
    schema = schemathesis.openapi.from_url(f"{system.base_url}/openapi.json")
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found.append(result.ok())
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_gets_a_server_error(system: SwitchboardProcess, mode: GenerationMode) -> None:
    found = operations(system)
    assert len(found) > 20  # channels, agents, offers, contacts, queues, customers, session
    calls = 0
    for operation in found:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def no_server_error(case: schemathesis.Case[APIOperation[Any, Any, Any, Any]]) -> None:
            nonlocal calls
            calls += 1
            response = case.call(base_url=system.base_url, headers=ADMIN, timeout=15)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                case.body,
                response.status_code,
                response.text[:300],
            )

        try:
            no_server_error()
        except Unsatisfiable:
            # Nothing to make invalid (e.g. GET /healthz takes no input).
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert calls >= len(found)
