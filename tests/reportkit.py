"""Shared helpers for the reporter tests: the fixture scenario and output validators."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema

from refreshguard import Report, load_config, scan
from refreshguard.baseline import apply_baseline, load_baseline
from refreshguard.controls import BY_ID

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "fixtures" / "reports" / "project"
GOLDEN = HERE / "golden"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
CORPUS = SHARED / "corpus" / "cases"
TODAY = dt.date(2026, 12, 3)
TEST_VERSION = "0.0.0-test"


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def project_report(baseline: bool = True) -> Report:
    """The fixture project scanned from inside its folder (relative paths), with its config and
    baseline applied, and a fixed tool version so goldens do not change with releases."""
    with chdir(PROJECT):
        config = load_config(Path("refreshguard.toml"), frozenset(BY_ID))
        report = scan(["."], config, today=TODAY)
        if baseline:
            report = apply_baseline(report, load_baseline(Path("baseline.json")), "baseline.json")
    return replace(report, tool_version=TEST_VERSION)


def validate_sarif(text: str) -> dict[str, Any]:
    """Parse SARIF text and validate it against the official 2.1.0 schema."""
    data = json.loads(text)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class(schema).validate(data)
    return data  # type: ignore[no-any-return]


def parse_junit(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))
