"""`refreshguard fix`: minimal, verified, atomic edits of isSecretRequiredForRefreshToken."""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from refreshguard import Outcome, scan
from refreshguard.cli import main
from refreshguard.errors import FixError
from refreshguard.fix import Status, exit_code, fix
from refreshguard.fixes import Disposition
from refreshguard.reporters.fix_text import render
from refreshguard.scan import ExitCode

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fix"
CANARY = "CANARY-SECRET-9f8e7d"
FLAG = "isSecretRequiredForRefreshToken"


def copy_tree(src: Path, dest: Path) -> Path:
    """Copy ``src`` to ``dest`` and make everything writable (the corpus is read-only)."""
    shutil.copytree(src, dest)
    for root, dirs, files in os.walk(dest):
        for name in dirs + files:
            p = Path(root) / name
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dest


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def changed_lines(old: bytes, new: bytes) -> list[tuple[int, bytes, bytes]]:
    a, b = old.split(b"\n"), new.split(b"\n")
    assert len(a) == len(b)
    return [(i + 1, x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


def test_fixture_folder_dry_run_changes_nothing_and_shows_only_flag_lines(tmp_path: Path) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    before = snapshot(work)
    result = fix(scan([work]), unsafe=True, dry_run=True)
    assert snapshot(work) == before
    assert {r.status for r in result.results} == {Status.WOULD_APPLY}
    assert exit_code(result) is ExitCode.FINDINGS
    for diff in result.diffs:
        body = [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
        assert len(body) == 2
        assert "false" in body[0].lower()
        assert FLAG in diff
        assert body[1].lstrip("+").strip() in (
            f"<{FLAG}>true</{FLAG}>",
            f"<md:{FLAG}>true</md:{FLAG}>",
            ">  true  </isSecretRequiredForRefreshToken",
        )


def test_safe_and_unsafe_dispositions_of_fixtures(tmp_path: Path) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    result = fix(scan([work]))
    by_app = {r.edit.app.name: (r.status, r.edit.disposition) for r in result.results}
    assert by_app == {
        "crlf_bom_comments": (Status.APPLIED, Disposition.SAFE),
        "Field_Mobile": (Status.SKIPPED_UNSAFE, Disposition.UNSAFE),
        "Prefixed": (Status.APPLIED, Disposition.SAFE),
        "Headless_Portal": (Status.SKIPPED_UNSAFE, Disposition.UNSAFE),
        "Split_Tags": (Status.APPLIED, Disposition.SAFE),
    }
    assert exit_code(result) is ExitCode.FINDINGS
    text = render(result)
    assert "custom schemes (fieldapp://)" in text
    assert "Authorization Code and Credentials flow is on" in text
    assert text.count("To apply it anyway, run again with --unsafe.") == 2
    assert text.rstrip().endswith(
        "Fix summary: 3 fixed, 2 skipped (unsafe). Deploy the changed files to make the change in the org."
    )


def test_bytes_kept_except_the_value(tmp_path: Path) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    before = snapshot(work)
    fix(scan([work]), unsafe=True)
    after = snapshot(work)
    expected = {
        "crlf_bom_comments.connectedApp-meta.xml": (
            17,
            b"        <isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>\r",
            b"        <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>\r",
        ),
        "Prefixed.connectedApp": (
            8,
            b"\t\t<md:isSecretRequiredForRefreshToken>FALSE</md:isSecretRequiredForRefreshToken>",
            b"\t\t<md:isSecretRequiredForRefreshToken>true</md:isSecretRequiredForRefreshToken>",
        ),
        "Split_Tags_glbloauth.ecaGlblOauth-meta.xml": (
            12,
            b"    >  false  </isSecretRequiredForRefreshToken",
            b"    >  true  </isSecretRequiredForRefreshToken",
        ),
        "Field_Mobile.connectedApp-meta.xml": (
            8,
            b"        <isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>",
            b"        <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>",
        ),
        "Headless_Portal_glbloauth.ecaGlblOauth-meta.xml": (
            7,
            b"    <isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>",
            b"    <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>",
        ),
    }
    for name, line in expected.items():
        assert changed_lines(before[name], after[name]) == [line]
    crlf = after["crlf_bom_comments.connectedApp-meta.xml"]
    assert crlf.startswith(b"\xef\xbb\xbf<?xml")
    assert crlf.count(b"\r\n") == crlf.count(b"\n")
    assert b"<!-- was <isSecretRequiredForRefreshToken>true" in crlf
    # A second run finds nothing to do and leaves every byte alone.
    again = fix(scan([work]), unsafe=True)
    assert again.results == ()
    assert snapshot(work) == after
    assert exit_code(again) is ExitCode.OK
    assert not [f for f in scan([work]).findings if f.outcome is Outcome.FAIL]


@pytest.mark.parametrize(
    ("codec", "bom"),
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""), ("iso-8859-1", b"")],
)
def test_declared_encodings_round_trip(tmp_path: Path, codec: str, bom: bytes) -> None:
    declared = "UTF-16" if codec.startswith("utf-16") else "ISO-8859-1"
    text = (
        f'<?xml version="1.0" encoding="{declared}"?>\r\n'
        '<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">\r\n'
        "    <label>Café Größe</label>\r\n"
        "    <oauthConfig>\r\n"
        "        <callbackUrl>https://cafe.example.com/cb</callbackUrl>\r\n"
        f"        <consumerSecret>{CANARY}</consumerSecret>\r\n"
        f"        <{FLAG}>false</{FLAG}>\r\n"
        "        <scopes>RefreshToken</scopes>\r\n"
        "    </oauthConfig>\r\n"
        "</ConnectedApp>\r\n"
    )
    path = tmp_path / "Cafe.connectedApp-meta.xml"
    original = bom + text.encode(codec)
    path.write_bytes(original)
    result = fix(scan([tmp_path]))
    assert [r.status for r in result.results] == [Status.APPLIED]
    assert path.read_bytes() == bom + text.replace(f">false</{FLAG}", f">true</{FLAG}").encode(codec)
    assert CANARY not in "".join(result.diffs) + render(result, show_diffs=True)


def test_canary_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    assert main(["fix", "--dry-run", "--unsafe", str(work)]) == ExitCode.FINDINGS
    out = capsys.readouterr()
    assert "[redacted]" in out.out
    assert "MIICANARYCERT" not in out.out
    assert CANARY not in out.out + out.err
    assert main(["fix", "--unsafe", str(work)]) == ExitCode.OK
    out = capsys.readouterr()
    assert CANARY not in out.out + out.err


def test_read_only_file_is_reported_and_others_fixed(tmp_path: Path) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    locked = work / "Prefixed.connectedApp"
    locked.chmod(0o444)
    original = locked.read_bytes()
    result = fix(scan([work]))
    statuses = {r.edit.app.name: (r.status, r.message) for r in result.results}
    assert statuses["Prefixed"] == (
        Status.FAILED,
        f"{locked} is read-only (mode 0444); make it writable (chmod u+w) and run again",
    )
    assert statuses["crlf_bom_comments"][0] is Status.APPLIED
    assert locked.read_bytes() == original
    assert stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert exit_code(result) is ExitCode.PARTIAL


def test_mode_kept_and_no_temp_file_left(tmp_path: Path) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    target = work / "Prefixed.connectedApp"
    target.chmod(0o640)
    fix(scan([target]))
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in work.iterdir()) == sorted(p.name for p in FIXTURES.iterdir())


def test_interrupted_replace_leaves_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    before = snapshot(work)

    def broken(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    result = fix(scan([work]))
    assert snapshot(work) == before
    failed = [r for r in result.results if r.status is Status.FAILED]
    assert len(failed) == 3
    assert failed[0].message.endswith("No space left on device; it was not touched")
    assert exit_code(result) is ExitCode.PARTIAL


def test_interrupted_write_leaves_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    before = snapshot(work)

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    result = fix(scan([work / "Prefixed.connectedApp"]))
    assert [r.status for r in result.results] == [Status.FAILED]
    assert snapshot(work) == before


def test_file_changed_after_scan_is_not_touched(tmp_path: Path) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    target = work / "Prefixed.connectedApp"
    report = scan([target])
    edited = target.read_bytes().replace(b"FALSE", b"true ")
    target.write_bytes(edited)
    result = fix(report)
    assert [r.status for r in result.results] == [Status.FAILED]
    assert "changed since it was scanned" in result.results[0].message
    assert target.read_bytes() == edited


def test_file_changed_just_before_replace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    target = work / "Prefixed.connectedApp"
    report = scan([target])
    real_fsync = os.fsync

    def meddle(fd: int) -> None:
        real_fsync(fd)
        target.write_bytes(target.read_bytes() + b"\n")

    monkeypatch.setattr(os, "fsync", meddle)
    result = fix(report)
    assert result.results[0].status is Status.FAILED
    assert result.results[0].message == f"{target} changed while it was being fixed; it was not touched"
    assert [p.name for p in work.iterdir() if p.name.endswith(".rgtmp")] == []


def _zip(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.comment = b"retrieved"
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                archive.write(p, "unpackaged/connectedApps/" + p.name)
    return dest


def test_zip_skipped_without_output(tmp_path: Path) -> None:
    archive = _zip(FIXTURES, tmp_path / "retrieve.zip")
    original = archive.read_bytes()
    result = fix(scan([archive]))
    assert {r.status for r in result.results} == {Status.SKIPPED_ZIP, Status.SKIPPED_UNSAFE}
    assert "--zip-output FILE" in render(result)
    assert archive.read_bytes() == original
    assert exit_code(result) is ExitCode.FINDINGS


def test_zip_output_copy(tmp_path: Path) -> None:
    archive = _zip(FIXTURES, tmp_path / "retrieve.zip")
    original = archive.read_bytes()
    out = tmp_path / "fixed.zip"
    result = fix(scan([archive]), zip_output=out)
    assert archive.read_bytes() == original
    assert [r.edit.app.name for r in result.results if r.status is Status.APPLIED] == [
        "crlf_bom_comments",
        "Prefixed",
        "Split_Tags",
    ]
    with zipfile.ZipFile(archive) as a, zipfile.ZipFile(out) as b:
        assert b.comment == b"retrieved"
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        for ia, ib in zip(a.infolist(), b.infolist(), strict=True):
            assert (ia.date_time, ia.compress_type, ia.external_attr) == (
                ib.date_time,
                ib.compress_type,
                ib.external_attr,
            )
            old, new = a.read(ia), b.read(ib)
            if ia.filename.endswith(
                ("Field_Mobile.connectedApp-meta.xml", "Headless_Portal_glbloauth.ecaGlblOauth-meta.xml")
            ):
                assert old == new
            else:
                assert len(changed_lines(old, new)) == 1
    assert not [
        f
        for f in scan([out]).findings
        if f.outcome is Outcome.FAIL and not f.public_client and f.app.code_credential_flow.value is not True
    ]


def test_zip_output_must_not_be_the_input(tmp_path: Path) -> None:
    archive = _zip(FIXTURES, tmp_path / "retrieve.zip")
    with pytest.raises(FixError, match="must not be the zip being fixed"):
        fix(scan([archive]), zip_output=archive)


def test_cli_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["fix", str(tmp_path / "missing")]) == ExitCode.USAGE
    assert "no such file or folder" in capsys.readouterr().err


def test_ignored_finding_is_skipped_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = copy_tree(FIXTURES, tmp_path / "fx")
    (work / "refreshguard.toml").write_text(
        '[[ignore]]\ncontrol = "require-secret-for-refresh-token"\napp = "Prefixed"\n'
        'reason = "Partner refreshes without a secret until Q3 (SEC-7)"\n',
        encoding="utf-8",
    )
    original = (work / "Prefixed.connectedApp").read_bytes()
    assert main(["fix", str(work)]) == ExitCode.FINDINGS
    out = capsys.readouterr().out
    assert "skipped (ignored): Connected App Prefixed: set isSecretRequiredForRefreshToken to true" in out
    assert "Partner refreshes without a secret until Q3 (SEC-7)" in out
    assert (work / "Prefixed.connectedApp").read_bytes() == original
    assert main(["fix", "--no-ignores", str(work)]) == ExitCode.FINDINGS  # unsafe ones remain
    assert b">true<" in (work / "Prefixed.connectedApp").read_bytes()


def test_zip_output_with_two_zips_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = _zip(FIXTURES, tmp_path / "one.zip")
    two = _zip(FIXTURES, tmp_path / "two.zip")
    code = main(["fix", str(one), str(two), "--zip-output", str(tmp_path / "out.zip")])
    assert code == ExitCode.USAGE
    assert "2 zips need fixing" in capsys.readouterr().err
    assert not (tmp_path / "out.zip").exists()


def test_no_edit_for_passing_or_absent_flag() -> None:
    from refreshguard.fixes import edits_for

    report = scan([CORPUS_CASES / "carestone-sf__salesforce"])
    edits = {f.app.name: edits_for(f) for f in report.findings}
    assert edits["CarestoneConnect"] == ()
    assert edits["DevOps_Center"] == ()
    [edit] = edits["sfdx_travis_ci"]
    assert (edit.element, edit.old, edit.new, edit.origin.line) == (FLAG, "false", "true", 12)
    assert edit.disposition is Disposition.UNSAFE
    assert "loopback" in edit.reason


CORPUS_CASES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cases"
