"""The verifier is written from the documents alone: no saksi module outside
saksi.audit (except saksi.errors) may be imported by it."""

from __future__ import annotations

import ast
from pathlib import Path

AUDIT = Path(__file__).resolve().parents[2] / "src" / "saksi" / "audit"
ALLOWED = ("saksi.audit", "saksi.errors", "saksi.bench")  # bench: CLI plumbing


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            names.add("saksi.audit")  # relative: inside the package
    return names


def test_every_audit_module_imports_only_the_audit_package_and_errors() -> None:
    modules = sorted(AUDIT.glob("*.py"))
    assert len(modules) >= 8
    for path in modules:
        for name in imported(path):
            if name == "saksi" or name.startswith("saksi."):
                assert name.startswith(ALLOWED), f"{path.name} imports {name}"


def test_the_check_itself_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from saksi.ledger import merkle\nimport saksi.keys.envelope\n")
    assert imported(bad) == {"saksi.ledger", "saksi.keys.envelope"}
