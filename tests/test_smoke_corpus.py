"""Placeholder until the corpus tests land: one real verdict from the shared corpus."""

from pathlib import Path

from refreshguard import Outcome, scan

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cases"


def test_known_failing_app() -> None:
    report = scan([CORPUS / "carestone-sf__salesforce"])
    verdicts = {f.app.name: f.outcome for f in report.findings}
    assert verdicts == {
        "CarestoneConnect": Outcome.PASS,
        "DevOps_Center": Outcome.NOT_APPLICABLE,
        "sfdx_travis_ci": Outcome.FAIL,
    }
