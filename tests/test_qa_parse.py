"""QA round 2: ambiguous, repeated, misplaced or foreign elements and awkward inputs never give
a pass or not-applicable verdict; they give an error that says what is wrong and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from refreshguard import scan
from refreshguard.findings import Finding
from tests.conftest import NS, eca_part, write

FLAG = "isSecretRequiredForRefreshToken"
SCOPES = "<scopes>Api</scopes>\n<scopes>RefreshToken</scopes>"


def ca(*lines: str) -> str:
    """A Connected App whose body is ``lines``, one per line; the root is line 2, so the first
    body line is line 3."""
    body = "\n".join(lines)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<ConnectedApp xmlns="{NS}">\n{body}\n</ConnectedApp>\n'


def one(tmp_path: Path, files: dict[str, str | bytes]) -> Finding:
    write(tmp_path, files)
    report = scan([tmp_path])
    (finding,) = report.findings
    return finding


def judge_ca(tmp_path: Path, *lines: str) -> Finding:
    return one(tmp_path, {"connectedApps/App.connectedApp-meta.xml": ca(*lines)})


# --- C1: repeated elements and blocks -------------------------------------------------------


def test_repeated_flag_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    f = judge_ca(
        tmp_path,
        "<oauthConfig>",
        SCOPES,
        f"<{FLAG}>true</{FLAG}>",
        f"<{FLAG}>false</{FLAG}>",
        "</oauthConfig>",
    )
    assert f.outcome.value == "error"
    assert f.reason == (
        f"<{FLAG}> appears 2 times (lines 6, 7); it holds one value, and Salesforce rejects the "
        "file or keeps only one of them, so which value counts cannot be told."
    )
    assert f.message == f"{FLAG} cannot be read: the file is ambiguous or malformed around it."
    assert f.location.line == 6
    assert f.app.secret_required_for_refresh.known.value == "invalid"


def test_repeated_oauth_config_block_is_an_error(tmp_path: Path) -> None:
    f = judge_ca(
        tmp_path,
        f"<oauthConfig>{SCOPES}<{FLAG}>true</{FLAG}></oauthConfig>",
        f"<oauthConfig>{SCOPES}<{FLAG}>false</{FLAG}></oauthConfig>",
    )
    assert f.outcome.value == "error"
    assert f.reason == (
        "<oauthConfig> appears 2 times (lines 3, 5); a Connected App has one, and Salesforce "
        "rejects the file or keeps only one of them, so which settings count cannot be told."
    )


def test_repeated_oauth_policy_block_makes_policy_settings_invalid(tmp_path: Path) -> None:
    f = judge_ca(
        tmp_path,
        f"<oauthConfig>{SCOPES}<{FLAG}>false</{FLAG}></oauthConfig>",
        "<oauthPolicy><refreshTokenPolicy>zero</refreshTokenPolicy></oauthPolicy>",
        "<oauthPolicy><refreshTokenPolicy>infinite</refreshTokenPolicy></oauthPolicy>",
    )
    assert f.outcome.value == "fail"  # the flag itself is clear
    assert f.app.refresh_policy.known.value == "invalid"
    assert f.app.refresh_policy.note.startswith("<oauthPolicy> appears 2 times (lines 5, 6)")


def test_foreign_namespace_flag_before_the_real_one_is_an_error(tmp_path: Path) -> None:
    f = judge_ca(
        tmp_path,
        "<oauthConfig>",
        SCOPES,
        f'<x:{FLAG} xmlns:x="urn:evil">true</x:{FLAG}>',
        f"<{FLAG}>false</{FLAG}>",
        "</oauthConfig>",
    )
    assert f.outcome.value == "error"
    assert f.reason == (
        f"<{FLAG}> is written where Salesforce would not accept it: <{FLAG}> at line 6 is in "
        "another XML namespace (urn:evil). Salesforce would reject the file, so the value that "
        "counts cannot be told."
    )


def test_foreign_namespace_flag_alone_is_an_error_not_a_default_pass(tmp_path: Path) -> None:
    f = judge_ca(
        tmp_path, f'<oauthConfig>{SCOPES}<x:{FLAG} xmlns:x="urn:evil">false</x:{FLAG}></oauthConfig>'
    )
    assert f.outcome.value == "error"


def test_foreign_namespace_oauth_config_first_is_an_error(tmp_path: Path) -> None:
    f = judge_ca(
        tmp_path,
        f'<x:oauthConfig xmlns:x="urn:evil"><x:scopes>Api</x:scopes>'
        f"<x:{FLAG}>true</x:{FLAG}></x:oauthConfig>",
        f"<oauthConfig>{SCOPES}<{FLAG}>false</{FLAG}></oauthConfig>",
    )
    assert f.outcome.value == "error"
    assert "<oauthConfig> at line 3 is in another XML namespace (urn:evil)" in f.reason


def test_foreign_namespace_oauth_config_without_a_real_one_is_not_not_applicable(tmp_path: Path) -> None:
    f = judge_ca(tmp_path, '<x:oauthConfig xmlns:x="urn:evil"><x:scopes>Api</x:scopes></x:oauthConfig>')
    assert f.outcome.value == "error"
    assert f.message == "Whether the app can do OAuth at all cannot be read (oauthConfig)."


def test_foreign_namespace_children_are_ignored_when_harmless(tmp_path: Path) -> None:
    f = judge_ca(
        tmp_path,
        f'<oauthConfig>{SCOPES}<x:note xmlns:x="urn:tool">hi</x:note><{FLAG}>false</{FLAG}></oauthConfig>',
    )
    assert f.outcome.value == "fail"


def test_repeated_scopes_in_a_connected_app_are_legitimate(tmp_path: Path) -> None:
    f = judge_ca(tmp_path, f"<oauthConfig>{SCOPES}<{FLAG}>true</{FLAG}></oauthConfig>")
    assert (f.outcome.value, f.app.scopes.value) == ("pass", ("Api", "RefreshToken"))


ECA_GLOBAL = "extlClntAppGlobalOauthSets/App.ecaGlblOauth-meta.xml"
ECA_SETTINGS = "extlClntAppOauthSettings/App.ecaOauth-meta.xml"
ECA_POLICIES = "extlClntAppPolicies/App.ecaPlcy-meta.xml"


def eca(tmp_path: Path, global_inner: str, policies_inner: str = "", settings_inner: str = "") -> Finding:
    files: dict[str, str | bytes] = {
        "externalClientApps/App.eca-meta.xml": eca_part(
            "ExternalClientApplication", "App", "<label>App</label>"
        ),
        ECA_GLOBAL: eca_part("ExtlClntAppGlobalOauthSettings", "App", global_inner),
        ECA_SETTINGS: eca_part(
            "ExtlClntAppOauthSettings",
            "App",
            settings_inner or "<commaSeparatedOauthScopes>Api, RefreshToken</commaSeparatedOauthScopes>",
        ),
    }
    if policies_inner:
        files[ECA_POLICIES] = eca_part("ExtlClntAppConfigurablePolicies", "App", policies_inner)
    return one(tmp_path, files)


def test_eca_repeated_flag_is_an_error(tmp_path: Path) -> None:
    f = eca(tmp_path, f"\n<{FLAG}>true</{FLAG}>\n<{FLAG}>false</{FLAG}>")
    assert f.outcome.value == "error"
    assert f.reason.startswith(f"<{FLAG}> appears 2 times (lines 4, 5);")


def test_eca_foreign_namespace_flag_is_an_error(tmp_path: Path) -> None:
    f = eca(tmp_path, f'\n<x:{FLAG} xmlns:x="urn:evil">true</x:{FLAG}>\n<{FLAG}>false</{FLAG}>')
    assert f.outcome.value == "error"
    assert "at line 4 is in another XML namespace (urn:evil)" in f.reason


def test_eca_policies_repeated_is_enabled_is_not_not_applicable(tmp_path: Path) -> None:
    f = eca(
        tmp_path,
        f"<{FLAG}>false</{FLAG}>",
        "\n<isEnabled>false</isEnabled>\n<isEnabled>true</isEnabled>",
    )
    assert f.outcome.value == "error"
    assert f.reason.startswith("<isEnabled> appears 2 times (lines 4, 5);")


def test_eca_policies_foreign_namespace_is_enabled_is_not_not_applicable(tmp_path: Path) -> None:
    f = eca(tmp_path, f"<{FLAG}>false</{FLAG}>", '<x:isEnabled xmlns:x="urn:evil">false</x:isEnabled>')
    assert f.outcome.value == "error"
    assert "is in another XML namespace (urn:evil)" in f.reason


def test_eca_policies_plain_false_is_still_not_applicable(tmp_path: Path) -> None:
    f = eca(tmp_path, f"<{FLAG}>false</{FLAG}>", "<isEnabled>false</isEnabled>")
    assert f.outcome.value == "not-applicable"


def test_eca_repeated_scopes_string_makes_scopes_invalid_and_the_flag_decides(tmp_path: Path) -> None:
    inner = (
        "<commaSeparatedOauthScopes>Api</commaSeparatedOauthScopes>"
        "<commaSeparatedOauthScopes>Api, RefreshToken</commaSeparatedOauthScopes>"
    )
    f = eca(tmp_path, f"<{FLAG}>false</{FLAG}>", settings_inner=inner)
    assert f.outcome.value == "fail"
    assert f.app.scopes.known.value == "invalid"
    g = eca(tmp_path / "2", f"<{FLAG}>true</{FLAG}>", settings_inner=inner)
    assert g.outcome.value == "pass"


# --- C4: misplaced, odd or mixed elements --------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "where"),
    [
        (
            (f"<{FLAG}>false</{FLAG}>", f"<oauthConfig>{SCOPES}</oauthConfig>"),
            f"<{FLAG}> at line 3 is inside <ConnectedApp>, but it belongs directly in <oauthConfig>",
        ),
        (
            (f"<oauthConfig>{SCOPES}</oauthConfig>", f"<oauthPolicy><{FLAG}>false</{FLAG}></oauthPolicy>"),
            f"<{FLAG}> at line 5 is inside <oauthPolicy>, but it belongs directly in <oauthConfig>",
        ),
        (
            (f"<oauthConfig>{SCOPES}", f"<wrap><{FLAG}>false</{FLAG}></wrap></oauthConfig>"),
            f"<{FLAG}> at line 5 is inside <wrap>, but it belongs directly in <oauthConfig>",
        ),
        (
            (
                f"<oauthConfig>{SCOPES}",
                "<IsSecretRequiredForRefreshToken>false</IsSecretRequiredForRefreshToken>",
                "</oauthConfig>",
            ),
            "<IsSecretRequiredForRefreshToken> at line 5 is spelled in another letter case "
            "(element names are case-sensitive)",
        ),
        (
            (f"<{FLAG}>false</{FLAG}>",),  # no oauthConfig at all: not "no OAuth, N/A"
            f"<{FLAG}> at line 3 is inside <ConnectedApp>, but it belongs directly in <oauthConfig>",
        ),
    ],
)
def test_misplaced_flag_is_an_error_saying_where(tmp_path: Path, lines: tuple[str, ...], where: str) -> None:
    f = judge_ca(tmp_path, *lines)
    assert f.outcome.value == "error"
    assert f.reason == (
        f"<{FLAG}> is written where Salesforce would not accept it: {where}. Salesforce would "
        "reject the file, so the value that counts cannot be told."
    )


def test_eca_flag_wrapped_in_oauth_config_is_an_error(tmp_path: Path) -> None:
    f = eca(tmp_path, f"\n<oauthConfig><{FLAG}>false</{FLAG}></oauthConfig>")
    assert f.outcome.value == "error"
    assert f"<{FLAG}> at line 4 is inside <oauthConfig>, but it belongs directly in " in f.reason
    assert "<ExtlClntAppGlobalOauthSettings>" in f.reason


def test_scopes_outside_oauth_config_are_invalid_and_the_flag_decides(tmp_path: Path) -> None:
    f = judge_ca(tmp_path, "<scopes>Api</scopes>", f"<oauthConfig><{FLAG}>false</{FLAG}></oauthConfig>")
    assert f.outcome.value == "fail"
    assert f.app.scopes.known.value == "invalid"
    assert "<scopes> at line 3 is inside <ConnectedApp>" in f.app.scopes.note
    g = judge_ca(tmp_path / "2", "<scopes>Api</scopes>", f"<oauthConfig><{FLAG}>true</{FLAG}></oauthConfig>")
    assert g.outcome.value == "pass"


def test_mixed_content_flag_is_an_error(tmp_path: Path) -> None:
    f = judge_ca(tmp_path, "<oauthConfig>", SCOPES, f"<{FLAG}>true<x/>false</{FLAG}>", "</oauthConfig>")
    assert f.outcome.value == "error"
    assert f.reason == (
        f"<{FLAG}> at line 6 holds child elements where text is expected, so its value cannot be read."
    )


def test_mixed_content_scopes_are_invalid_not_not_applicable(tmp_path: Path) -> None:
    f = judge_ca(
        tmp_path, f"<oauthConfig><scopes>Api<x/>RefreshToken</scopes><{FLAG}>false</{FLAG}></oauthConfig>"
    )
    assert f.outcome.value == "fail"
    assert f.app.scopes.known.value == "invalid"


def test_no_break_space_is_not_stripped(tmp_path: Path) -> None:
    f = judge_ca(tmp_path, f"<oauthConfig>{SCOPES}<{FLAG}>true&#160;</{FLAG}></oauthConfig>")
    assert f.outcome.value == "error"
    g = judge_ca(tmp_path / "2", f"<oauthConfig>{SCOPES}<{FLAG}>\n\t true \r\n</{FLAG}></oauthConfig>")
    assert g.outcome.value == "pass"


def test_oauth_config_without_scopes_is_decided_by_the_flag(tmp_path: Path) -> None:
    f = judge_ca(tmp_path, f"<oauthConfig><{FLAG}>false</{FLAG}></oauthConfig>")
    assert f.outcome.value == "fail"
    assert f.notes == (
        "The app's scopes are not in the input (the file has no <scopes> element); if it has no "
        "refresh_token scope, this cannot be exploited today.",
    )


def test_empty_scopes_element_is_invalid(tmp_path: Path) -> None:
    f = judge_ca(tmp_path, f"<oauthConfig><scopes/><{FLAG}>false</{FLAG}></oauthConfig>")
    assert f.outcome.value == "fail"
    assert f.app.scopes.note == "<scopes> at line 3 is empty, which is not a scope name"


# --- C2: a zip with two members of the same name -------------------------------------------


def test_zip_with_two_members_of_one_name_is_never_a_pass(tmp_path: Path) -> None:
    import warnings
    import zipfile

    member = "unpackaged/connectedApps/Twin.connectedApp"
    archive = tmp_path / "retrieve.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(archive, "w") as zf:
            for value in ("true", "false"):
                zf.writestr(member, ca(f"<oauthConfig>{SCOPES}<{FLAG}>{value}</{FLAG}></oauthConfig>"))
    report = scan([archive])
    got = sorted(f.outcome.value for f in report.findings if f.app.name == "Twin")
    assert got == ["error", "fail", "pass"]
    (problem,) = report.problems
    assert (problem.origin.path, problem.origin.member) == (str(archive), member)
    assert problem.message == (
        f"the zip holds 2 members named {member}; which one Salesforce would deploy is not "
        "defined, so each copy is judged on its own"
    )


# --- M1: a folder named like a metadata file ------------------------------------------------


def test_folder_named_like_a_metadata_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "connectedApps" / "Ghost.connectedApp-meta.xml").mkdir(parents=True)
    report = scan([tmp_path])
    (problem,) = report.problems
    assert problem.origin.path == f"{tmp_path}/connectedApps/Ghost.connectedApp-meta.xml"
    assert problem.message == (
        "a folder, not a file: its name is that of a ConnectedApp metadata file, so an app may be "
        "missing here; it was not read as one (what is inside is walked as usual)"
    )
    assert {(f.app.name, f.outcome.value) for f in report.findings} == {("Ghost", "error")}


# --- H3: file names that are not UTF-8 ------------------------------------------------------


def test_undecodable_file_names_render_in_every_format(tmp_path: Path) -> None:
    import json
    import os

    from refreshguard.reporters import Format, renderer

    folder = os.fsencode(tmp_path / "connectedApps")
    os.makedirs(folder)
    content = ca(f"<oauthConfig>{SCOPES}<{FLAG}>false</{FLAG}></oauthConfig>").encode()
    with open(os.path.join(folder, b"Bad\xff.connectedApp-meta.xml"), "wb") as fh:
        fh.write(content)
    os.makedirs(os.path.join(folder, b"Odd\xfe.connectedApp-meta.xml"))
    explicit = os.fsdecode(os.path.join(folder, b"Bad\xff.connectedApp-meta.xml"))
    report = scan([tmp_path, explicit])
    shown = {(f.app.name, f.location.path) for f in report.findings if f.outcome.value == "fail"}
    assert shown == {("Bad\\xff", f"{tmp_path}/connectedApps/Bad\\xff.connectedApp-meta.xml")}
    assert report.inputs == (str(tmp_path), f"{tmp_path}/connectedApps/Bad\\xff.connectedApp-meta.xml")
    assert [p.origin.path for p in report.problems] == [
        f"{tmp_path}/connectedApps/Odd\\xfe.connectedApp-meta.xml"
    ]
    for fmt in Format:
        text = renderer(fmt)(report)
        text.encode("utf-8")
        # JSON, SARIF and markdown escape the backslash (markdown also escapes the dot)
        assert "Badxff.connectedApp" in text.replace("\\", ""), fmt
    data = json.loads(renderer(Format.JSON)(report))
    assert data["inputs"][1] == f"{tmp_path}/connectedApps/Bad\\xff.connectedApp-meta.xml"


# --- H5: sfdx-project.json that json accepts but that names no usable folder ----------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            '{"packageDirectories":[{"path":"a\\u0000b"}]}',
            "path 1 holds a NUL character, which no file name can",
        ),
        ('{"packageDirectories":[{"path":"\\ud800"}]}', "path 1 cannot be encoded as a file name"),
        ("[" * 100_000 + "]" * 100_000, "not usable JSON: it is nested too deeply"),
    ],
)
def test_unusable_sfdx_project_is_the_documented_problem(tmp_path: Path, text: str, why: str) -> None:
    write(
        tmp_path,
        {
            "sfdx-project.json": text,
            "force-app/connectedApps/App.connectedApp-meta.xml": ca(
                f"<oauthConfig>{SCOPES}<{FLAG}>false</{FLAG}></oauthConfig>"
            ),
        },
    )
    report = scan([tmp_path])
    assert [p.message for p in report.problems] == [
        f"cannot use its packageDirectories ({why}); the whole folder is walked"
    ]
    assert {(f.app.name, f.outcome.value) for f in report.findings} == {("App", "fail")}


# --- L1: the root element's name is capped when echoed --------------------------------------


def test_root_element_name_is_capped_and_cleaned(tmp_path: Path) -> None:
    long_name = "R" * 200
    write(tmp_path, {"connectedApps/X.connectedApp-meta.xml": f"<{long_name}/>"})
    (problem,) = scan([tmp_path]).problems
    assert problem.message == (
        f"the file name says ConnectedApp but the root element is <{'R' * 60}…>; "
        "rename the file or fix its content"
    )
