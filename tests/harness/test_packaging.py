"""The published metadata: the distribution's name, no repository-only extras, an SPDX license with its
file, and a README whose links work where it is rendered off the repository (on PyPI). Building the
distributions and testing the installed wheel is `python3 run_tests.py package` (CI runs it)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tomli is a dependency on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT: dict[str, Any] = PYPROJECT["project"]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)


def test_distribution_name_and_what_keeps_the_name_harness() -> None:
    assert PROJECT["name"] == "pytest-app-harness"
    assert PROJECT["scripts"] == {"harness": "harness.cli:main"}
    assert PROJECT["entry-points"]["pytest11"] == {"harness": "harness.pytest_plugin"}


def test_repository_only_dependencies_are_groups_not_extras() -> None:
    assert "optional-dependencies" not in PROJECT
    assert {"sample", "test", "bench", "lint", "package"} <= set(PYPROJECT["dependency-groups"])
    # harness/ never imports dotenv: the sample app (and the tests) do
    assert not any(dependency.startswith("python-dotenv") for dependency in PROJECT["dependencies"])
    importing_dotenv = [
        path
        for path in (ROOT / "harness").rglob("*.py")
        if re.search(r"^\s*(import|from) dotenv\b", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert importing_dotenv == [], "harness imports dotenv: make python-dotenv a dependency again"


def test_spdx_license_and_its_file() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    # PEP 639: a license expression replaces the license classifiers (setuptools rejects both)
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]


def test_readme_links_work_off_the_repository() -> None:
    """PyPI renders README.md without the repository around it: every link is absolute (or an anchor
    in the README), and links into the repository start with project.urls.Repository and name a file
    that exists, so that changing the repository's address is one edit in pyproject.toml plus the
    README lines this test then lists."""
    repository = PROJECT["urls"]["Repository"].rstrip("/")
    relative, wrong_base, missing = [], [], []
    for match in LINK.finditer(README):
        target = match.group(1) or match.group(2)
        if target.startswith("#"):
            continue
        if not re.match(r"[a-z][a-z0-9+.-]*:", target):
            relative.append(target)
            continue
        if "github.com" in target and not target.startswith(f"{repository}/"):
            wrong_base.append(target)
            continue
        inside = re.match(rf"{re.escape(repository)}/(?:blob|tree)/main/([^#?]+)", target)
        if inside and not (ROOT / inside.group(1)).exists():
            missing.append(target)
    assert relative == [], f"relative links do not work on PyPI; make them start with {repository}/blob/main/"
    assert wrong_base == [], f"links into the repository must start with {repository}/"
    assert missing == [], "these links name files that do not exist in the repository"


def test_install_lines_name_the_distribution() -> None:
    """`harness` on PyPI is an unrelated project: no recipe installs it by that name."""
    texts = {
        path: path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *ROOT.glob("docs/**/*.md")]
    }
    for path, text in texts.items():
        assert not re.search(r"pip install\s+(\"|')?harness\b(?![-/])", text), path
        assert not re.search(r"^deps\s*=\s*\n(?:\s+.*\n)*?\s+harness\s*$", text, re.MULTILINE), path
    assert "pip install pytest-app-harness requests" in README  # requests: the quickstart test uses it
