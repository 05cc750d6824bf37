"""Files named one by one (as pre-commit passes them) are judged like the folder they live in:
an External Client App's parts are joined across arguments, and a lone part that does not carry
the flag is "cannot tell", never a pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from refreshguard import Outcome, scan
from refreshguard.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cases"
POSTMAN = CORPUS / "justinsohn__gstdev" / "force-app" / "main" / "default"
FIXTURE = Path(__file__).parent / "fixtures" / "html" / "force-app" / "main" / "default"
POSTMAN_PARTS = (
    "externalClientApps/Postman.eca-meta.xml",
    "extlClntAppGlobalOauthSets/Postman_glbloauth.ecaGlblOauth-meta.xml",
    "extlClntAppOauthSettings/Postman_oauth.ecaOauth-meta.xml",
    "extlClntAppOauthPolicies/Postman_oauthPlcy.ecaOauthPlcy-meta.xml",
    "extlClntAppPolicies/Postman_plcy.ecaPlcy-meta.xml",
)
FIELD_SERVICE_PARTS = (
    "externalClientApps/Field_Service.eca-meta.xml",
    "extlClntAppGlobalOauthSets/Field_Service_glbloauth.ecaGlblOauth-meta.xml",
    "extlClntAppOauthSettings/Field_Service_oauth.ecaOauth-meta.xml",
    "extlClntAppOauthPolicies/Field_Service_oauthPlcy.ecaOauthPlcy-meta.xml",
    "extlClntAppPolicies/Field_Service_plcy.ecaPlcy-meta.xml",
)


def _summary(paths: list[Path]) -> list[tuple[str, str, Outcome, str, int, float | None]]:
    return [
        (f.app.kind, f.app.name, f.outcome, f.message, len(f.app.parts), f.risk.score if f.risk else None)
        for f in scan(paths).findings
    ]


def test_corpus_eca_parts_as_files_join_like_the_folder() -> None:
    files = [POSTMAN / p for p in POSTMAN_PARTS]
    assert _summary(files) == _summary([POSTMAN])
    assert _summary(files) == [
        (
            "external-client-app",
            "Postman",
            Outcome.PASS,
            "Refresh tokens can only be redeemed with the consumer secret (explicitly).",
            5,
            None,
        )
    ]


def test_failing_eca_parts_as_files_join_like_the_folder() -> None:
    files = [FIXTURE / p for p in reversed(FIELD_SERVICE_PARTS)]
    findings = scan(files).findings
    assert [(f.app.name, f.outcome, f.risk.score if f.risk else None) for f in findings] == [
        ("Field_Service", Outcome.FAIL, 5.4)
    ]
    assert findings[0].app.missing_parts == ()


@pytest.mark.parametrize("part", [p for p in POSTMAN_PARTS if "GlblOauth" not in p])
def test_a_lone_part_without_the_flag_cannot_tell(part: str) -> None:
    findings = scan([POSTMAN / part]).findings
    assert [(f.app.name, f.outcome) for f in findings] == [("Postman", Outcome.NOT_AVAILABLE)]


def test_a_lone_global_part_is_judged_on_its_explicit_flag() -> None:
    # NOTE: the flag lives only in this part, so its explicit value decides; the other parts can
    # only make the control not applicable (no refresh scope, app switched off).
    findings = scan([POSTMAN / POSTMAN_PARTS[1]]).findings
    assert [(f.app.name, f.outcome) for f in findings] == [("Postman", Outcome.PASS)]


def test_cli_exit_codes_for_explicit_files(capsys: pytest.CaptureFixture[str]) -> None:
    failing = [str(FIXTURE / p) for p in FIELD_SERVICE_PARTS]
    assert main(["scan", "--no-progress", *failing]) == 1
    assert "FAIL     external-client-app  Field_Service  [medium 5.4]" in capsys.readouterr().out
    assert main(["scan", "--no-progress", *(str(POSTMAN / p) for p in POSTMAN_PARTS)]) == 0
