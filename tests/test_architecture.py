"""The design's rules, checked: layers, module size and names, exports, lint and migrations."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import activitypub
from content.directory import FILTER_INDEX
from content.text_search import FTS_TABLES, TRIGRAM_INDEX
from node.database import driver_url
from node.models import Base

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["activitypub", "content", "moderation", "federation", "node"]
BANNED_NAMES = {"utils", "helpers", "common", "misc", "managers"}
BIN = Path(sys.executable).parent


def _modules() -> list[Path]:
    return [
        path
        for package in [*PACKAGES, "tests"]
        for path in (ROOT / package).rglob("*.py")
        if "node_modules" not in path.parts  # npm packages of the interop tests, not ours
    ]


def test_layers_and_third_party_fences_hold() -> None:
    result = subprocess.run(
        [str(BIN / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,  # cached
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes() -> None:
    result = subprocess.run([str(BIN / "mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > 500
    }
    assert long == {}


def test_no_module_has_a_catch_all_name() -> None:
    assert [p for p in _modules() if p.stem in BANNED_NAMES] == []


def test_activitypub_exports_exactly_its_public_names() -> None:
    tree = ast.parse((ROOT / "activitypub" / "__init__.py").read_text())
    imported = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
    }
    assert sorted(activitypub.__all__) == sorted(imported)
    assert all(hasattr(activitypub, name) for name in activitypub.__all__)


def test_migrations_build_exactly_the_models(database_url: str) -> None:
    """On each database: the migrated schema is the models' (types differ by backend), but for
    the search indexes the migrations make alone."""
    engine = create_engine(driver_url(database_url, asynchronous=False))
    outside = {*FTS_TABLES, TRIGRAM_INDEX, FILTER_INDEX}
    opts = {"include_name": lambda name, _type, _parents: name not in outside}
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
