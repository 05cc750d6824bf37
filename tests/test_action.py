"""The composite GitHub Action (action.yml), run step by step the way a runner would: inputs only
reach the shell through env:, refreshguard is pip-installed from this checkout, and the outputs and
job summary are written."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "html" / "force-app" / "main" / "default"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


class Runner:
    """Just enough of a GitHub runner for one composite action: env: expressions, step outputs,
    if: conditions of the form ``inputs.x == 'y'``, and ``bash -eo pipefail``."""

    def __init__(self, temp: Path, inputs: dict[str, str]) -> None:
        self.temp = temp
        self.inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | inputs
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = temp / "summary.md"
        self.logs: list[str] = []

    def value(self, expr: str) -> str:
        if expr == "github.action_path":
            return str(ROOT)
        if expr.startswith("inputs."):
            return self.inputs[expr.removeprefix("inputs.")]
        step, _, name = expr.removeprefix("steps.").partition(".outputs.")
        return self.outputs.get(step, {}).get(name, "")

    def run(self, step: dict[str, Any], cwd: Path) -> int:
        condition = step.get("if")
        if condition:
            m = re.fullmatch(r"inputs\.([\w-]+) == '(\w+)'", condition)
            assert m, f"unsupported if: {condition}"
            if self.inputs[m.group(1)] != m.group(2):
                return 0
        out = self.temp / f"output-{step.get('id', 'x')}"
        out.write_text("")
        env = {**os.environ, "RUNNER_TEMP": str(self.temp), "GITHUB_OUTPUT": str(out)}
        env["GITHUB_STEP_SUMMARY"] = str(self.summary)
        for key, raw in step.get("env", {}).items():
            env[key] = EXPR.sub(lambda m: self.value(m.group(1)), str(raw))
        script = self.temp / "step.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        self.logs.append(done.stdout + done.stderr)
        if "id" in step:
            pairs = (line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
            self.outputs[step["id"]] = dict(pairs)
        return done.returncode

    def run_all(self, cwd: Path) -> int:
        for step in ACTION["runs"]["steps"]:
            code = self.run(step, cwd)
            if code != 0:
                return code
        return 0


def test_no_expression_is_interpolated_into_a_script() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], step["name"]
        assert step["shell"] == "bash"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Run the install step once: pip installs refreshguard from this checkout into a venv."""
    temp = tmp_path_factory.mktemp("runner")
    runner = Runner(temp, {})
    install = ACTION["runs"]["steps"][0]
    assert runner.run(install, temp) == 0, runner.logs
    assert re.search(r"refreshguard \d", runner.logs[-1])
    return runner.outputs["install"]


def _runner_with_install(tmp_path: Path, installed: dict[str, str], inputs: dict[str, str]) -> Runner:
    runner = Runner(tmp_path, inputs)
    runner.outputs["install"] = installed
    return runner


def test_scan_writes_sarif_summary_and_exit_code(tmp_path: Path, installed: dict[str, str]) -> None:
    project = tmp_path / "project"
    (project / "apps").mkdir(parents=True)
    for name in ("Billing_Sync", "Reporting_Portal"):
        src = FIXTURE / "connectedApps" / f"{name}.connectedApp-meta.xml"
        (project / "apps" / src.name).write_bytes(src.read_bytes())
    runner = _runner_with_install(tmp_path, installed, {"paths": "apps", "fail-step": "false"})
    assert runner.run_all(project) == 0, runner.logs
    assert runner.outputs["scan"] == {"exit-code": "1", "sarif-file": "refreshguard.sarif"}
    sarif = (project / "refreshguard.sarif").read_text(encoding="utf-8")
    assert '"version": "2.1.0"' in sarif
    assert "Billing_Sync" in sarif
    assert "Billing\\_Sync" in runner.summary.read_text(encoding="utf-8")


def test_fail_step_fails_on_findings_and_respects_fail_on(tmp_path: Path, installed: dict[str, str]) -> None:
    project = tmp_path / "project"
    project.mkdir()
    src = FIXTURE / "connectedApps" / "Billing_Sync.connectedApp-meta.xml"
    (project / src.name).write_bytes(src.read_bytes())
    assert _runner_with_install(tmp_path, installed, {}).run_all(project) == 1
    runner = _runner_with_install(tmp_path, installed, {"fail-on": "never"})
    assert runner.run_all(project) == 0
    assert runner.outputs["scan"]["exit-code"] == "0"


def test_paths_with_shell_syntax_are_not_executed(tmp_path: Path, installed: dict[str, str]) -> None:
    # A hostile input is passed as an argument, never run: the scan reports a missing path.
    marker = tmp_path / "pwned"
    runner = _runner_with_install(tmp_path, installed, {"paths": f"$(touch {marker}) `touch {marker}`"})
    scan = ACTION["runs"]["steps"][1]
    assert runner.run(scan, tmp_path) == 0
    assert not marker.exists()
    # 2: a usage error (no such path; or, before the sarif format is merged, an unknown format).
    assert runner.outputs["scan"]["exit-code"] == "2"
