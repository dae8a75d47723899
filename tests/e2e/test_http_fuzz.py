"""The public HTTP surface fuzzed from its own OpenAPI document (schemathesis) against a real
`switchboard up`: valid and invalid requests to every route, with an admin token where routes
need one; whatever is sent, the answer is never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.support.auth import ADMIN
from tests.support.channels import system_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwitchboardProcess]:
    workdir = tmp_path_factory.mktemp("fuzz")
    proc = SwitchboardProcess(workdir / "sb", system_toml(free_port()), None)
    proc.start(60)
    yield proc
    proc.terminate()


@pytest.fixture
def api_schema(system: SwitchboardProcess) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{system.base_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(
    case: schemathesis.Case, system: SwitchboardProcess
) -> None:
    response = case.call(base_url=system.base_url, headers=ADMIN, timeout=15)
    assert response.status_code < 500, (
        case.method,
        case.formatted_path,
        case.body,
        response.status_code,
        response.text[:300],
    )
