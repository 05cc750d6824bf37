"""The pre-commit hook for real: pre-commit installs refreshguard from this repository (pip, from
PyPI) and runs it on a throwaway git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "html" / "force-app" / "main" / "default"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook environment for the whole module, so refreshguard is installed once."""
    assert (ROOT / ".git").exists(), f"{ROOT} is not a git checkout; pre-commit needs one"
    return tmp_path_factory.mktemp("pre-commit-home")


def _git_repo(path: Path, files: dict[str, Path]) -> Path:
    path.mkdir()
    for rel, src in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, path / rel)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "fixtures"]):
        subprocess.run(cmd, cwd=path, check=True, env=env)
    return path


def _try_repo(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "refreshguard", "--color=never", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_hook_fails_on_failing_app_and_passes_on_passing_one(tmp_path: Path, pre_commit_home: Path) -> None:
    repo = _git_repo(
        tmp_path / "project",
        {
            "force-app/connectedApps/Billing_Sync.connectedApp-meta.xml": FIXTURE
            / "connectedApps/Billing_Sync.connectedApp-meta.xml",
            "force-app/connectedApps/Reporting_Portal.connectedApp-meta.xml": FIXTURE
            / "connectedApps/Reporting_Portal.connectedApp-meta.xml",
            "README.txt": Path(__file__),  # not metadata: the files regex must leave it out
        },
    )
    failing = _try_repo(
        repo, pre_commit_home, "--files", "force-app/connectedApps/Billing_Sync.connectedApp-meta.xml"
    )
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "- exit code: 1" in failing.stdout
    assert "FAIL     connected-app  Billing_Sync  [critical 9.1]" in failing.stdout
    assert "1 app in 1 file: 1 fail (1 critical)" in failing.stdout

    passing = _try_repo(
        repo, pre_commit_home, "--files", "force-app/connectedApps/Reporting_Portal.connectedApp-meta.xml"
    )
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
    assert "Billing_Sync" not in passing.stdout


def test_hook_joins_the_parts_of_an_external_client_app(tmp_path: Path, pre_commit_home: Path) -> None:
    parts = [p for p in FIXTURE.glob("extlClntApp*/Field_Service_*") if p.is_file()]
    parts.append(FIXTURE / "externalClientApps/Field_Service.eca-meta.xml")
    repo = _git_repo(tmp_path / "eca", {f"force-app/{p.parent.name}/{p.name}": p for p in parts})
    result = _try_repo(repo, pre_commit_home, "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    # 5.4 needs the policies file joined to the global OAuth file: the hook saw all five at once.
    assert "FAIL     external-client-app  Field_Service  [medium 5.4]" in result.stdout
    assert "1 app in 5 files" in result.stdout
