"""QA round: secrets in fix diffs, terminal injection, report targets, bad configuration,
crashes on odd input, zip limits in fix, org-only options, help text."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from refreshguard import scan
from refreshguard._text import printable
from refreshguard._xmledit import redact
from refreshguard.cli import build_parser, main
from refreshguard.errors import FixError
from refreshguard.fix import Status, fix, write_zip_copy
from refreshguard.reporters import markdown, terminal
from refreshguard.reporters.fix_text import render as render_fix
from refreshguard.scan import ExitCode

FLAG = "isSecretRequiredForRefreshToken"


def app_xml(name: str = "App", extra: str = "", callback: str = "https://h.example.com/cb") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>{name}</fullName>
    <label>App</label>
    <oauthConfig>
        <callbackUrl>{callback}</callbackUrl>
{extra}        <{FLAG}>false</{FLAG}>
        <consumerKey>3MVG9FAKEKEY</consumerKey>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
</ConnectedApp>
"""


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    folder = root / "force-app" / "main" / "default" / "connectedApps"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return root


# C3 -- secrets in fix diffs


def test_dry_run_diff_masks_callback_url_secrets_cdata_and_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = (
        "        <consumerSecret><![CDATA[abc</consumerSecret>CANARYCD]]></consumerSecret>\n"
        "        <!-- old secret CANARYCOMMENT -->\n"
    )
    callback = "https://admin:CANARYPASS@h.example.com/cb?token=CANARYQ#CANARYF"
    root = project(tmp_path, {"App.connectedApp-meta.xml": app_xml(extra=extra, callback=callback)})
    assert main(["fix", "--dry-run", "--unsafe", str(root)]) == ExitCode.FINDINGS
    out = capsys.readouterr()
    text = out.out + out.err
    assert "CANARY" not in text
    assert "        <callbackUrl>[redacted]</callbackUrl>" in text
    assert "        <consumerSecret>[redacted]</consumerSecret>" in text
    assert "        <!--[redacted]-->" in text
    assert f"+        <{FLAG}>true</{FLAG}>" in text


def test_redact_finds_the_real_closing_tag() -> None:
    text = (
        "<consumerSecret>a<!-- </consumerSecret> -->CANARY1\n  more CANARY2</consumerSecret><x>ok</x>\n"
        "<md:clientSecret><![CDATA[x]]>CANARY3<?pi </md:clientSecret> ?></md:clientSecret>\n"
        "<token>never closed CANARY4\nCANARY5\n"
    )
    assert redact(text) == (
        "<consumerSecret>[redacted]\n[redacted]</consumerSecret><x>ok</x>\n"
        "<md:clientSecret>[redacted]</md:clientSecret>\n"
        "<token>[redacted]\n[redacted]\n"
    )


def test_redact_urls_everywhere_and_callback_lists() -> None:
    text = (
        "<callbackUrl>myapp:cb?code=CANARY1\nhttps://u:p@CANARY2@h.example/x/y#frag</callbackUrl>\n"
        '<startUrl>https://h.example/a?b=CANARY3</startUrl> xmlns="http://soap.sforce.com/2006/04/metadata"'
    )
    assert redact(text) == (
        "<callbackUrl>[redacted]\n[redacted]</callbackUrl>\n"
        '<startUrl>https://h.example/a?[redacted]</startUrl> xmlns="http://soap.sforce.com/2006/04/metadata"'
    )


# H1 -- terminal escapes and forged lines


def test_printable_escapes_controls_and_bidi() -> None:
    assert printable("a\x1b]0;X\x07b\nc\r\td\x7f\x9b\u202e\u2066\u200f\u061c") == (
        "a\\x1b]0;X\\x07b\\x0ac\\x0d\\x09d\\x7f\\x9b\\u202e\\u2066\\u200f\\u061c"
    )
    assert printable("Ünïcødé app") == "Ünïcødé app"


def test_terminal_fix_and_markdown_never_carry_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil_file = "A\x1b]0;PWNED\x07\x1b[2JEVIL.connectedApp-meta.xml"
    files = {
        evil_file: app_xml("A\x1b]0;PWNED\x07\x1b[2JEVIL"),
        "C.connectedApp-meta.xml": app_xml("C&#10;PASS     connected-app  FakeLine"),
        "D.connectedApp-meta.xml": app_xml("D\u202eLIVE\u009b2J"),
    }
    root = project(tmp_path, files)
    (root / "refreshguard.toml").write_text(
        '[[ignore]]\ncontrol = "require-secret-for-refresh-token"\napp = "D*"\n'
        'reason = "\\u001b]0;PWNED\\u0007 ok"\n',
        encoding="utf-8",
    )
    report = scan([root], _config(root))
    outputs = {
        "terminal": terminal.render(report, color=True, verbose=True),
        "markdown": markdown.render(report),
        "fix": render_fix(fix(report, unsafe=True, dry_run=True), show_diffs=True),
    }
    for name, text in outputs.items():
        stripped = text.replace("\x1b[0m", "")
        for code in ("31;1", "32", "2", "33;1", "35;1", "33"):
            stripped = stripped.replace(f"\x1b[{code}m", "")
        bad = [ch for ch in stripped if (ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F]
        assert not bad, name
        assert "\u202e" not in text, name
        assert not any(line.startswith("PASS") for line in text.splitlines()), name
    assert "\\x1b]0;PWNED\\x07\\x1b[2JEVIL" in outputs["terminal"]
    assert "C\\x0aPASS     connected-app  FakeLine" in outputs["terminal"]
    assert "D\\u202eLIVE\\x9b2J" in outputs["terminal"]
    assert "Suppressed: \\x1b]0;PWNED\\x07 ok" in outputs["terminal"]
    assert "\x1b[31;1mFAIL    \x1b[0m" in outputs["terminal"]  # our own colour still works
    assert main(["scan", "--color", "always", str(root)]) == ExitCode.FINDINGS
    out = capsys.readouterr()
    assert "\x1b]0" not in out.out + out.err
    assert "\x07" not in out.out


def test_stderr_errors_echo_input_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x\x1b[2J.toml"
    bad.write_text('fail_on = "\\u001b[2J"\n', encoding="utf-8")
    assert main(["scan", "--config", str(bad), str(tmp_path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "x\\x1b[2J.toml" in err
    assert "'\\x1b[2J'" in err


def _config(root: Path):  # type: ignore[no-untyped-def]
    from refreshguard.config import load_config
    from refreshguard.controls import BY_ID

    return load_config(root / "refreshguard.toml", frozenset(BY_ID))


# H2 -- report targets that are not regular files


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return project(tmp_path, {"App.connectedApp-meta.xml": app_xml()})


def test_output_through_symlink_writes_the_target(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "sub" / "new.json")
    code = main(["scan", "-f", "json", "-o", str(link), "--report", f"csv={dangling}", str(small)])
    assert code == ExitCode.FINDINGS
    assert link.is_symlink()
    assert dangling.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("{")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert (tmp_path / "sub" / "new.json").read_text(encoding="utf-8").startswith("fingerprint,")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dangling.json",
        "link.json",
        "proj",
        "real.json",
        "sub",
    ]


def test_output_to_fifo_dev_null_and_regular_file(small: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    regular = tmp_path / "r.md"
    code = main(["scan", "-f", "json", "-o", str(fifo), "--report", f"markdown={regular}",
                 "--report", "csv=/dev/null", str(small)])  # fmt: skip
    reader.join(10)
    assert code == ExitCode.FINDINGS
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert got
    assert got[0].startswith(b"{")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert regular.read_text(encoding="utf-8").startswith("## refreshguard:")


def test_dev_stdout_is_written_through_not_replaced(small: Path, tmp_path: Path) -> None:
    was_link = os.path.islink("/dev/stdout")
    result = subprocess.run(
        [sys.executable, "-m", "refreshguard", "scan", "-f", "json", "-o", "/dev/stdout", str(small)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == ExitCode.FINDINGS, result.stderr
    assert result.stdout.startswith("{")
    assert os.path.islink("/dev/stdout") == was_link
    assert not list(Path("/dev").glob(".stdout.*.tmp"))


def test_baseline_to_dev_stdout_does_not_read_it(small: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "refreshguard", "baseline", "-o", "/dev/stdout", str(small)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    assert '"schema": 1' in result.stdout


# H4 -- configuration that used to crash


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[ignore]]\ncontrol = ["x"]\napp = "A"\nreason = "r"\n', "control must be one of"),
        ('[[ignore]]\ncontrol = {a=1}\napp = "A"\nreason = "r"\n', "control must be one of"),
        ('fail_on = ["x"]\n', "fail_on must be one of"),
        (
            '[[ignore]]\ncontrol = "require-secret-for-refresh-token"\napp = "A"\nreason = "r"\nkind = [1]\n',
            "kind must be connected-app or external-client-app",
        ),
        ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "not valid TOML: nested too deeply"),
    ],
)
def test_bad_config_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    cfg = tmp_path / "refreshguard.toml"
    cfg.write_text(text, encoding="utf-8")
    assert main(["scan", "--config", str(cfg), str(tmp_path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool]\nrefreshguard = 1\n", "[tool.refreshguard] must be a table, not an integer"),
        ("[tool]\nrefreshguard = [1, 2]\n", "[tool.refreshguard] must be a table, not an array"),
        ('tool = "x"\n', "'tool' must be a table, not a string"),
    ],
)
def test_bad_pyproject_given_or_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    assert main(["scan", "--config", str(tmp_path / "pyproject.toml"), str(tmp_path)]) == ExitCode.USAGE
    assert message in capsys.readouterr().err
    if "tool =" not in text:  # auto-discovered in the scanned folder
        assert main(["scan", str(tmp_path)]) == ExitCode.USAGE
        assert f"{tmp_path / 'pyproject.toml'}: {message}" in capsys.readouterr().err


def test_config_device_and_huge_file_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--config", "/dev/zero", str(tmp_path)]) == ExitCode.USAGE
    assert "/dev/zero: the configuration must be a regular file" in capsys.readouterr().err
    big = tmp_path / "refreshguard.toml"
    big.write_text("# " + "x" * (1024 * 1024) + "\n", encoding="utf-8")
    assert main(["scan", "--config", str(big), str(tmp_path)]) == ExitCode.USAGE
    assert "is larger than 1,048,576 bytes; refused" in capsys.readouterr().err


# H6 -- other crashes


def test_deep_baseline_is_a_config_error(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "b.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    assert main(["scan", "--baseline", str(deep), str(small)]) == ExitCode.USAGE
    assert f"{deep}: the baseline is not valid JSON: nested too deeply" in capsys.readouterr().err
    assert main(["scan", "--baseline", "/dev/zero", str(small)]) == ExitCode.USAGE
    assert "/dev/zero: the baseline must be a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", ""], "--output '': the file name is empty"),
        (["--report", "json=."], "--report json= '.': names a folder, not a file"),
        (["--report", "json=/"], "--report json= '/': names a folder, not a file"),
    ],
)
def test_unusable_report_target_is_a_usage_error_before_scanning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["scan", *args, str(tmp_path / "missing")]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "not found" not in err
    assert main(["baseline", "-o", "", str(tmp_path)]) == ExitCode.USAGE
    assert "--output '': the file name is empty" in capsys.readouterr().err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_stdout_is_one_error_line(small: Path) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "refreshguard", "scan", str(small)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert result.returncode == ExitCode.USAGE
    assert result.stderr == "refreshguard: error: cannot write to standard output: No space left on device\n"


def test_closed_pipe_is_one_error_line(small: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "refreshguard", "scan", "-v", str(small)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait() == ExitCode.USAGE
    assert err == "refreshguard: error: cannot write to standard output: Broken pipe\n"


# H7 -- zip limits in fix --zip-output


def test_zip_copy_streams_and_keeps_members(tmp_path: Path) -> None:
    src = tmp_path / "in.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("unpackaged/connectedApps/App.connectedApp", app_xml())
        z.writestr("unpackaged/static/blob.bin", os.urandom(300_000))
        z.writestr("unpackaged/empty/", b"")
    result = fix(scan([src]), unsafe=True, zip_output=tmp_path / "out.zip")
    assert [r.status for r in result.results] == [Status.APPLIED]
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(tmp_path / "out.zip") as b:
        assert a.namelist() == b.namelist()
        assert a.read("unpackaged/static/blob.bin") == b.read("unpackaged/static/blob.bin")
        assert f"<{FLAG}>true</{FLAG}>".encode() in b.read("unpackaged/connectedApps/App.connectedApp")


def test_zip_copy_refuses_a_zip_bomb(tmp_path: Path) -> None:
    src = tmp_path / "bomb.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("unpackaged/connectedApps/App.connectedApp", app_xml())
        z.writestr("unpackaged/zeros.bin", b"\0" * 5_000_000)
    out = tmp_path / "out.zip"
    result = fix(scan([src]), unsafe=True, zip_output=out)
    assert [r.status for r in result.results] == [Status.FAILED]
    assert "member 'unpackaged/zeros.bin' compresses more than 200:1" in result.results[0].message
    assert not out.exists()
    assert not list(tmp_path.glob("*.rgtmp"))


def test_zip_copy_refuses_too_many_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import refreshguard.fix as fixmod

    src = tmp_path / "in.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("a.txt", b"x" * 2000)
    monkeypatch.setattr(fixmod, "MAX_ZIP_TOTAL_BYTES", 1000)
    with pytest.raises(FixError, match="entries inflate to 2,000 bytes; more than 1,000 is refused"):
        write_zip_copy(src, tmp_path / "out.zip", {})
    monkeypatch.setattr(fixmod, "MAX_ZIP_MEMBERS", 0)
    with pytest.raises(FixError, match="it has 1 entries; more than 0 is refused"):
        write_zip_copy(src, tmp_path / "out.zip", {})


# N1 / N2 -- org-only options and help


@pytest.mark.parametrize(
    "option",
    [
        ["--jwt-consumer-key", "X"],
        ["--jwt-key-file", "k.pem"],
        ["--login-url", "https://test.salesforce.com"],
        ["--api-version", "60.0"],
        ["--api-reserve", "5"],
    ],
)
def test_org_only_option_without_org_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    assert main(["scan", *option, str(tmp_path)]) == ExitCode.USAGE
    assert f"refreshguard: error: {option[0]} only applies to a live-org scan" in capsys.readouterr().err


def test_help_texts() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices  # type: ignore[union-attr]
    baseline_help = sub["baseline"].format_help()
    assert "0  the baseline was written" in baseline_help
    assert "3  the baseline was written, but some input could not be read" in baseline_help
    assert "2  usage or configuration error" in sub["fix"].format_help()
    scan_help = sub["scan"].format_help()
    assert "offline and judge" not in scan_help
    assert "or a live org read-only" in scan_help


def test_diff_keeps_tabs_and_escapes_other_controls(tmp_path: Path) -> None:
    text = app_xml(callback="https://h.example.com/c\u202eb").replace(
        "        <callbackUrl>", "\t\t<callbackUrl>"
    )
    root = project(tmp_path, {"T.connectedApp-meta.xml": text})
    out = render_fix(fix(scan([root]), unsafe=True, dry_run=True), show_diffs=True)
    # Callback URLs are masked whole in diffs; the tabs before them stay.
    assert "\n \t\t<callbackUrl>[redacted]</callbackUrl>\n" in out
    assert "\u202e" not in out
