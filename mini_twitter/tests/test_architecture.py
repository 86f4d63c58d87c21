"""The import layers of the apps (the import-linter contracts in ``pyproject.toml``) and no import
cycle between modules, imports inside functions included."""

import subprocess
import sys
import tomllib
from itertools import pairwise
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
# import-linter's command line, run by this interpreter (so from this environment).
LINT_IMPORTS = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]


def lint_imports(cwd: Path, *contracts: str) -> subprocess.CompletedProcess:
    command = [*LINT_IMPORTS, "--config", str(cwd / "pyproject.toml"), "--no-cache"]
    for contract in contracts:
        command += ["--contract", contract]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def settings() -> dict:
    return tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]


def root_packages() -> list[str]:
    return settings()["root_packages"]


def contract_modules() -> set[str]:
    """Every module a contract names."""
    modules = set()
    for contract in settings()["contracts"]:
        for layer in contract.get("layers", []):
            modules |= {name.strip() for name in layer.replace(":", "|").split("|")}
        modules |= set(contract.get("source_modules", [])) | set(contract.get("forbidden_modules", []))
    return modules


def test_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# One import per contract that it must refuse: (contract, importer, imported).
VIOLATIONS = [
    ("layers", "users.services", "notifications.services"),
    ("layers", "realtime.events", "messaging.selectors"),
    ("layers", "media.services", "users.models"),
    ("layers", "posts.services", "messaging.services"),
    ("layers", "notifications.services", "posts.models"),
    ("shared", "mini_twitter.api.serializers", "users.models"),
    ("notifications", "messaging.services", "notifications.models"),
    ("wiring", "realtime.auth", "mini_twitter.asgi"),
]


def test_the_contracts_refuse_imports_against_the_layers(tmp_path):
    """The contracts are not vacuous: in a copy of the package tree where each module imports
    only what the case names, every one of these imports breaks its contract (and tests' imports
    stay allowed)."""
    # The ignored imports of modules the copy does not have match nothing there.
    header = "[[tool.importlinter.contracts]]\n"
    config = CONFIG.read_text().replace(header, header + 'unmatched_ignore_imports_alerting = "none"\n')
    (tmp_path / "pyproject.toml").write_text(config)
    modules = {module for _, importer, imported in VIOLATIONS for module in (importer, imported)}
    modules |= {"messaging.tests.test_x", "notifications.models", *root_packages(), *contract_modules()}
    for module in modules:
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            package = tmp_path.joinpath(*parts[:depth])
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
    (tmp_path / "messaging" / "tests" / "test_x" / "__init__.py").write_text("import microblog, notifications.models\n")
    assert lint_imports(tmp_path).returncode == 0
    for contract, importer, imported in VIOLATIONS:
        module = tmp_path.joinpath(*importer.split("."), "__init__.py")
        module.write_text(f"def later():\n    import {imported}\n")  # lazy: counted all the same
        result = lint_imports(tmp_path, contract)
        module.write_text("")
        assert result.returncode == 1, f"{importer} -> {imported} passed {contract}:\n{result.stdout}"
        assert f"{importer} -> {imported}" in " ".join(result.stdout.split()), result.stdout


def import_graph() -> grimp.ImportGraph:
    """The project's modules and their imports (in functions too), without tests and migrations."""
    graph = grimp.build_graph(*root_packages(), cache_dir=None)
    for module in list(graph.modules):
        parts = module.split(".")
        if "tests" in parts or "migrations" in parts:
            graph.remove_module(module)
    return graph


def module_cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The modules that import each other through a chain of imports, grouped by cycle."""
    cycles: list[set[str]] = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if not graph.chain_exists(importer=imported, imported=importer):
                continue
            joined = [cycle for cycle in cycles if importer in cycle or imported in cycle]
            merged = {importer, imported}.union(*joined)
            cycles = [cycle for cycle in cycles if cycle not in joined] + [merged]
    return cycles


def test_module_cycles_are_found():
    graph = grimp.ImportGraph()
    for importer, imported in pairwise(["a.x", "a.y", "b.z", "a.x"]):
        graph.add_import(importer=importer, imported=imported)
    graph.add_import(importer="a.x", imported="c.w")
    assert module_cycles(graph) == [{"a.x", "a.y", "b.z"}]


def test_no_import_cycle_between_modules():
    cycles = [sorted(cycle) for cycle in module_cycles(import_graph())]
    assert cycles == []
