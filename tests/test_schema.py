"""The published JSON Schema: it is valid, shipped in the package, and matches what the JSON
reporter emits for every fixture (the corpus is checked in test_corpus.py)."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from conftest import FIXTURES, assert_valid_json_report, check_report, load_schema
from hatchling.builders.wheel import WheelBuilder

from refreshguard import Config, Ignore, scan
from refreshguard.model import AppKind
from refreshguard.reporters import json_report

REPO = Path(__file__).resolve().parents[1]
FIXTURE_DIRS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_version_matches_reporter() -> None:
    assert load_schema()["properties"]["schema"] == {
        "const": json_report.SCHEMA_VERSION,
        "description": "Version of this schema.",
    }


def test_schema_file_is_the_one_in_the_source_tree() -> None:
    packaged = load_schema()
    in_tree = json.loads((REPO / "refreshguard" / "schemas" / "report-v1.schema.json").read_text("utf-8"))
    assert packaged == in_tree


@pytest.mark.parametrize("name", FIXTURE_DIRS)
def test_every_fixture_report_matches_schema(name: str) -> None:
    data = check_report(scan([FIXTURES / name]))
    assert data["summary"]["files_scanned"] >= 1


def test_suppressed_findings_match_schema() -> None:
    config = Config(
        ignores=(
            Ignore(
                "require-secret-for-refresh-token",
                "Billing_*",
                "accepted until the vendor ships secret support",
                "refreshguard.toml#ignore[1]",
                AppKind.CONNECTED_APP,
                None,
                None,
            ),
        )
    )
    data = check_report(scan([FIXTURES / "ca-outcomes"], config))
    suppressed = [f for f in data["findings"] if f["suppressed"]]
    assert [f["app"]["name"] for f in suppressed] == ["Billing_Sync"]
    assert suppressed[0]["suppressed"] == {
        "reason": "accepted until the vendor ships secret support",
        "expires": None,
        "source": "refreshguard.toml#ignore[1]",
    }
    assert data["summary"]["suppressed"] == 1


def test_schema_rejects_unknown_keys_and_bad_enums() -> None:
    good = check_report(scan([FIXTURES / "ca-outcomes"]))
    for mutate in (
        lambda d: d.__setitem__("surprise", 1),
        lambda d: d["findings"][0].__setitem__("outcome", "passed"),
        lambda d: d["findings"][0]["app"].__setitem__("kind", "connected_app"),
        lambda d: d["findings"][0]["app"]["settings"]["scopes"].__setitem__("known", "maybe"),
        lambda d: d["summary"]["outcomes"].pop("error"),
    ):
        bad = copy.deepcopy(good)
        mutate(bad)
        with pytest.raises(AssertionError):
            assert_valid_json_report(json.dumps(bad))


def test_schema_accepts_the_additive_baseline_fields() -> None:
    # Baselines (another branch) add summary.baselined, summary.baseline and finding.baselined;
    # additive fields keep schema version 1, so both shapes must validate, with the right types.
    data = check_report(scan([FIXTURES / "ca-outcomes"]))
    data["summary"].update({"baselined": 1, "baseline": ".refreshguard-baseline.json"})
    for f in data["findings"]:
        f["baselined"] = f["outcome"] == "fail"
    assert_valid_json_report(json.dumps(data))
    data["findings"][0]["baselined"] = "yes"
    with pytest.raises(AssertionError):
        assert_valid_json_report(json.dumps(data))


def test_wheel_ships_the_schema(tmp_path: Path) -> None:
    builder = WheelBuilder(str(REPO))
    built = list(builder.build(directory=str(tmp_path), versions=["standard"]))
    assert len(built) == 1
    with zipfile.ZipFile(built[0]) as wheel:
        assert "refreshguard/schemas/report-v1.schema.json" in wheel.namelist()
        shipped = json.loads(wheel.read("refreshguard/schemas/report-v1.schema.json"))
    assert shipped == load_schema()
