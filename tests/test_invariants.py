"""Project invariants: control ids, the public API, the docs anchors and the version."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import refreshguard
from refreshguard import controls
from refreshguard.cli import main

REPO = Path(__file__).resolve().parents[1]


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_control_ids_match_module_names() -> None:
    assert controls.CONTROLS
    for control in controls.CONTROLS:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", control.id)
        module = f"refreshguard.controls.{control.id.replace('-', '_')}"
        assert control.evaluate.__module__ == module
        assert importlib.import_module(module).CONTROL is control


def test_every_control_module_is_registered() -> None:
    registered = {c.id for c in controls.CONTROLS}
    found = set()
    for info in pkgutil.iter_modules(controls.__path__):
        module = importlib.import_module(f"refreshguard.controls.{info.name}")
        if hasattr(module, "CONTROL"):
            found.add(module.CONTROL.id)
            assert info.name == module.CONTROL.id.replace("-", "_")
    assert found == registered
    assert set(controls.BY_ID) == registered


def test_every_control_has_ratings_for_both_kinds() -> None:
    for control in controls.CONTROLS:
        assert set(control.ratings) == set(refreshguard.AppKind)
        for rating in control.ratings.values():
            assert rating.base_vector.startswith("CVSS:3.1/")
            assert 0 < rating.low < rating.high <= 10


def _isort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then everything else.
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def test_public_api_is_sorted_and_importable() -> None:
    names = refreshguard.__all__
    assert names == sorted(names, key=_isort_key)
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(refreshguard, name) is not None


def test_every_control_has_a_docs_section() -> None:
    text = (REPO / "docs" / "controls.md").read_text("utf-8")
    anchors = {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)}
    anchors |= set(re.findall(r'<a (?:id|name)="([^"]+)"', text))
    for control in controls.CONTROLS:
        assert control.id in anchors, f"docs/controls.md has no section anchored #{control.id}"
        assert control.docs.endswith(f"docs/controls.md#{control.id}")


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"refreshguard {refreshguard.__version__}\n"


def test_version_of_installed_command() -> None:
    script = Path(sys.executable).with_name("refreshguard")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "refreshguard"]
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"refreshguard {refreshguard.__version__}\n",
        "",
    )


def test_version_is_written_once() -> None:
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+", refreshguard.__version__)
