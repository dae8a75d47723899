"""Every library the running system imports comes with `pip install .`: `./sb up` and the
Dockerfile install no test extras, so a library only the tests bring (httpx, once) passes
every test here and stops `up` on a fresh machine at its first import."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("switchboard", "services", "events", "schemas")
PROJECT = "switchboard"
# Integrators' test kit (pytest tests for a new channel adapter): run by their tests, never
# imported by a service.
TEST_KITS = {Path("services/ingest/conformance.py")}


def installed_with(project: str) -> set[str]:
    """Distributions `pip install project` brings: its requirements without extras of its
    own, and theirs with the extras each asked for, all the way down."""
    found: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [(project, frozenset({""}))]
    while todo:
        name, extras = todo.pop()
        try:
            wanted = requires(name) or []
        except PackageNotFoundError:
            continue
        for line in wanted:
            req = Requirement(line)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras):
                continue
            key = canonicalize_name(req.name)
            if key not in found:
                found.add(key)
                todo.append((req.name, frozenset({"", *req.extras})))
    return found


def type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imported_libraries() -> dict[str, list[str]]:
    """Top-level modules outside the standard library and this project, with where each is
    imported (at run time, not only for type checking)."""
    ours = {*RUNTIME, "bench", "tests"}
    where: dict[str, list[str]] = {}
    for package in RUNTIME:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.relative_to(ROOT) in TEST_KITS:
                continue
            tree = ast.parse(path.read_text(), str(path))
            parents = {
                child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                if type_checking_only(node, parents):
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in ours:
                        where.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return where


def test_every_library_the_services_import_is_installed_without_test_extras() -> None:
    installed = installed_with(PROJECT)
    distributions = packages_distributions()
    missing = {
        module: places[:3]
        for module, places in imported_libraries().items()
        if not {canonicalize_name(d) for d in distributions.get(module, [])} & installed
    }
    assert not missing, f"imported at run time, installed only with the tests: {missing}"


def test_the_check_sees_a_test_only_library() -> None:
    # pytest comes with the [test] extra alone: were it imported by a service, it would be
    # reported, as httpx was.
    installed = installed_with(PROJECT)
    assert "pytest" not in installed and "schemathesis" not in installed
    assert {"fastapi", "nats-py", "starlette", "anyio"} <= installed  # direct and transitive
