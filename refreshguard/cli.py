"""The command line: a thin layer over the library. The only module that prints, reads the
environment or exits."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from refreshguard._text import printable
from refreshguard._version import __version__
from refreshguard.reporters import Format

if TYPE_CHECKING:
    from refreshguard.config import Config
    from refreshguard.findings import Report

EPILOG = """\
exit codes:
  0  nothing fails at or above --fail-on, and every input was read
  1  at least one finding fails at or above --fail-on (or, with --fail-on-unknown, a verdict
     is "cannot tell"); suppressed and baselined findings never count
  2  usage or configuration error; nothing was scanned
  3  nothing fails, but some input could not be read (partial scan)

docs: README.md, docs/controls.md, docs/risk-model.md, docs/output-formats.md
"""

BASELINE_EPILOG = """\
exit codes:
  0  the baseline was written
  2  usage or configuration error (or the baseline could not be written); nothing was written
  3  the baseline was written, but some input could not be read (partial scan): apps in those
     files are not in it

docs: README.md, docs/output-formats.md (section "Baselines")
"""

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_API_RESERVE = 10.0
ORG_ONLY_OPTIONS = {
    "jwt_consumer_key": "--jwt-consumer-key",
    "jwt_key_file": "--jwt-key-file",
    "login_url": "--login-url",
    "api_version": "--api-version",
    "api_reserve": "--api-reserve",
}
"""Options that only mean something for a live-org scan (argparse default None, so their use
can be detected; the real defaults are applied in :func:`_org_report`)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to keep the README's --help block current)."""
    parser = _Parser(
        prog="refreshguard",
        description="Find Salesforce Connected Apps and External Client Apps that let a stolen "
        "refresh token be redeemed without the client secret.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"refreshguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    scan = sub.add_parser(
        "scan",
        help="scan metadata (SFDX source, Metadata API folders or zips, single files)",
        description="Scan Salesforce metadata (local files offline, or a live org read-only) and "
        "judge every OAuth app.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        default=[],
        help="folders, retrieve zips or files to scan (default: current folder; not with an org)",
    )
    scan.add_argument(
        "--format",
        "-f",
        choices=[f.value for f in Format],
        default="terminal",
        help="output format (default: terminal)",
    )
    scan.add_argument(
        "--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output"
    )
    scan.add_argument(
        "--report",
        action="append",
        default=[],
        type=_report_spec,
        metavar="FORMAT=FILE",
        help="also write a report in FORMAT to FILE (repeatable; each file is written atomically; "
        "standard output still gets --format)",
    )
    scan.add_argument(
        "--baseline",
        metavar="FILE",
        help="findings listed in this baseline file are reported as baselined and do not change "
        "the exit code; only new failures do (see `refreshguard baseline`)",
    )
    scan.add_argument(
        "--fail-on",
        choices=["any", "low", "medium", "high", "critical", "never"],
        help="lowest severity of a failing finding that makes the exit code 1 "
        "(default: any, or fail_on from the config file)",
    )
    scan.add_argument(
        "--fail-on-unknown",
        action="store_true",
        default=None,
        help='also exit 1 when a verdict is "cannot tell" (not-available)',
    )
    scan.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: refreshguard.toml or "
        "[tool.refreshguard] in pyproject.toml, looked for in the first scanned "
        "folder, then the current folder)",
    )
    scan.add_argument(
        "--no-ignores", action="store_true", help="report every finding, ignoring the config file's ignores"
    )
    scan.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour in terminal output (default: auto, i.e. on a TTY unless NO_COLOR is set)",
    )
    scan.add_argument(
        "--verbose", "-v", action="store_true", help="also detail passing and not-applicable apps"
    )
    scan.add_argument("--no-progress", action="store_true", help="never show progress on standard error")
    _add_org_arguments(scan)
    _add_fix_parser(sub)
    base = sub.add_parser(
        "baseline",
        help="record today's failing findings so later scans fail only on new ones",
        description="Scan like `scan` and write every failing, unsuppressed finding to a baseline "
        "file. Rewriting an existing baseline keeps first-seen dates and drops fixed findings.",
        epilog=BASELINE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    base.add_argument(
        "paths", nargs="*", metavar="PATH", default=["."], help="what to scan (default: current folder)"
    )
    base.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        default="refreshguard-baseline.json",
        help="baseline file to write (default: refreshguard-baseline.json)",
    )
    base.add_argument("--config", metavar="FILE", help="configuration file (as for scan)")
    base.add_argument(
        "--no-ignores", action="store_true", help="also record findings the config file ignores"
    )
    return parser


FIX_EPILOG = """\
exit codes:
  0  nothing is left to fix: every fixable failure was fixed (or there was none)
  1  fixable failures remain: unsafe fixes skipped (see --unsafe), zip members skipped (see
     --zip-output), or --dry-run showed fixes that were not written
  2  usage or configuration error; nothing was changed
  3  partial: some fix could not be applied (read-only file, file changed since the scan,
     write error) or some input could not be read; the other files were still fixed

docs: docs/fix.md
"""


def _add_fix_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    fix = sub.add_parser(
        "fix",
        help="set isSecretRequiredForRefreshToken to true where a scan fails (local files only)",
        description="Scan, then set isSecretRequiredForRefreshToken to true in every file where the "
        "scan fails. Only that element's text changes; every other byte stays as it was.",
        epilog=FIX_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fix.add_argument(
        "paths", nargs="*", metavar="PATH", default=["."], help="folders, zips or files (default: .)"
    )
    fix.add_argument("--dry-run", action="store_true", help="print a unified diff and change nothing")
    fix.add_argument(
        "--unsafe",
        action="store_true",
        help="also apply fixes that can break a working integration (public clients, apps with the "
        "Authorization Code and Credentials flow)",
    )
    fix.add_argument(
        "--zip-output",
        metavar="FILE",
        help="write a fixed copy of the zip to FILE (zips are never edited in place)",
    )
    fix.add_argument("--config", metavar="FILE", help="configuration file (as for scan)")
    fix.add_argument("--no-ignores", action="store_true", help="also fix findings the config ignores")


def _report_spec(value: str) -> tuple[Format, str]:
    """``FORMAT=FILE`` for --report."""
    name, sep, path = value.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"expected FORMAT=FILE, got {value!r}")
    try:
        return Format(name), path
    except ValueError:
        choices = ", ".join(f.value for f in Format)
        raise argparse.ArgumentTypeError(f"unknown format {name!r} (choose from {choices})") from None


def _add_org_arguments(scan: argparse.ArgumentParser) -> None:
    """Options of a live-org scan (docs/live-org.md); they need the refreshguard[org] extra."""
    org = scan.add_argument_group(
        "live org (read-only; needs `pip install refreshguard[org]`, see docs/live-org.md)"
    )
    how = org.add_mutually_exclusive_group()
    how.add_argument(
        "--target-org",
        metavar="ALIAS_OR_USERNAME",
        help="scan an org the Salesforce CLI is logged in to (uses `sf org display`)",
    )
    how.add_argument(
        "--org-from-env",
        action="store_true",
        help="scan the org whose session is in SF_ACCESS_TOKEN and SF_INSTANCE_URL",
    )
    how.add_argument(
        "--jwt-username",
        metavar="USERNAME",
        help="scan as USERNAME through the OAuth JWT bearer flow "
        "(with --jwt-consumer-key and --jwt-key-file)",
    )
    org.add_argument(
        "--jwt-consumer-key", metavar="KEY", help="consumer key of the app used for the JWT flow"
    )
    org.add_argument("--jwt-key-file", metavar="FILE", help="PEM private key that signs the JWT")
    org.add_argument(
        "--login-url",
        metavar="URL",
        help=f"login host for the JWT flow (default: {DEFAULT_LOGIN_URL}; sandboxes: "
        "https://test.salesforce.com or the My Domain URL)",
    )
    org.add_argument("--api-version", metavar="N.N", help="API version (default: 66.0)")
    org.add_argument(
        "--api-reserve",
        metavar="PERCENT",
        type=float,
        help="stop before the org's daily API allowance falls below PERCENT (default: 10)",
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``refreshguard`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "scan":
        return _scan(args)
    if args.command == "fix":
        return _fix(args)
    if args.command == "baseline":
        return _baseline(args)
    raise AssertionError(f"unhandled command {args.command}")


def _scan(args: argparse.Namespace) -> int:
    from refreshguard.baseline import apply_baseline, load_baseline
    from refreshguard.config import FailOn
    from refreshguard.errors import RefreshguardError
    from refreshguard.reporters import renderer
    from refreshguard.reporters.terminal import summary_line
    from refreshguard.scan import ExitCode, exit_code, scan

    org_scan = bool(args.target_org or args.org_from_env or args.jwt_username)
    if org_scan and args.paths:
        _error("give either PATHs or an org, not both")
        return ExitCode.USAGE
    if not org_scan:
        given = [flag for dest, flag in ORG_ONLY_OPTIONS.items() if getattr(args, dest) is not None]
        if given:
            _error(
                f"{given[0]} only applies to a live-org scan; add --target-org, --org-from-env "
                "or --jwt-username, or leave it out"
            )
            return ExitCode.USAGE
    args.paths = args.paths or ["."]
    paths = [Path(p) for p in args.paths]
    outputs = ([("--output", args.output)] if args.output is not None else []) + [
        (f"--report {fmt.value}=", f) for fmt, f in args.report
    ]
    for option, target in outputs:
        bad = _bad_target(target)
        if bad:
            _error(f"{option} {target!r}: {bad}")
            return ExitCode.USAGE
    clash = _duplicate_target([Path(f) for _option, f in outputs])
    if clash is not None:
        _error(f"{clash} is named as the output of two reports")
        return ExitCode.USAGE
    try:
        baseline = load_baseline(Path(args.baseline)) if args.baseline else None
        config = _load_config(args, [] if org_scan else paths)
        if org_scan:
            report = _org_report(args, config)
        else:
            with _Progress(enabled=not args.no_progress and sys.stderr.isatty()) as progress:
                report = scan(args.paths, config, use_ignores=not args.no_ignores, progress=progress.update)
    except RefreshguardError as exc:
        _error(str(exc))
        return ExitCode.USAGE
    if baseline is not None:
        report = apply_baseline(report, baseline, args.baseline)
    fmt = Format(args.format)
    to_file = args.output is not None
    color = _want_color(args.color, sys.stdout) and not to_file and fmt is Format.TERMINAL
    text = renderer(fmt, color=color, verbose=args.verbose)(report)
    failed = False
    for extra_fmt, extra_path in args.report:
        extra_text = renderer(extra_fmt, color=False, verbose=args.verbose)(report)
        failed |= not _write_report(Path(extra_path), extra_text)
    if to_file:
        failed |= not _write_report(Path(args.output), text)
        print(summary_line(report), file=sys.stderr)
    else:
        failed |= not _emit(text)
    if failed:
        return ExitCode.USAGE
    fail_on = FailOn(args.fail_on) if args.fail_on else config.fail_on
    unknown = config.fail_on_unknown if args.fail_on_unknown is None else args.fail_on_unknown
    return exit_code(report, fail_on, unknown)


def _load_config(args: argparse.Namespace, paths: list[Path]) -> Config:
    """The configuration named by --config, else the one found near the first scanned folder."""
    from refreshguard.config import find_config, load_config
    from refreshguard.controls import BY_ID

    if args.config:
        return load_config(Path(args.config), frozenset(BY_ID))
    try:
        here = [Path.cwd()]
    except FileNotFoundError:  # the current folder was deleted: look only in the scanned one
        here = []
    found = find_config([p for p in paths[:1] if p.is_dir()] + here)
    return load_config(found, frozenset(BY_ID))


def _fix(args: argparse.Namespace) -> int:
    from refreshguard.errors import RefreshguardError
    from refreshguard.fix import exit_code, fix
    from refreshguard.reporters.fix_text import render
    from refreshguard.scan import ExitCode, scan

    try:
        config = _load_config(args, [Path(p) for p in args.paths])
        report = scan(args.paths, config, use_ignores=not args.no_ignores)
        zip_output = Path(args.zip_output) if args.zip_output else None
        result = fix(report, unsafe=args.unsafe, dry_run=args.dry_run, zip_output=zip_output)
    except RefreshguardError as exc:
        _error(str(exc))
        return ExitCode.USAGE
    if not _emit(render(result)):
        return ExitCode.USAGE
    return exit_code(result)


def _baseline(args: argparse.Namespace) -> int:
    from refreshguard.baseline import build_baseline, dumps_baseline, load_baseline
    from refreshguard.errors import RefreshguardError
    from refreshguard.scan import ExitCode, scan

    output = Path(args.output)
    bad = _bad_target(args.output)
    if bad:
        _error(f"--output {args.output!r}: {bad}")
        return ExitCode.USAGE
    try:
        # NOTE: only a regular file can hold a previous baseline; never read /dev/stdout or a FIFO.
        previous = load_baseline(output) if output.is_file() else None
        config = _load_config(args, [Path(p) for p in args.paths])
        report = scan(args.paths, config, use_ignores=not args.no_ignores)
    except RefreshguardError as exc:
        _error(str(exc))
        return ExitCode.USAGE
    baseline = build_baseline(report, previous=previous)
    if not _write_report(output, dumps_baseline(baseline)):
        return ExitCode.USAGE
    kept = len(baseline.fingerprints & previous.fingerprints) if previous else 0
    dropped = len(previous.fingerprints - baseline.fingerprints) if previous else 0
    print(
        f"refreshguard: wrote {printable(str(output))}: {len(baseline.entries)} failing finding(s) "
        f"({len(baseline.entries) - kept} new, {kept} kept, {dropped} fixed and dropped)",
        file=sys.stderr,
    )
    if report.partial:
        print(
            f"refreshguard: warning: partial scan ({len(report.problems)} input(s) could not be "
            "read); apps in those files are not in the baseline",
            file=sys.stderr,
        )
        return ExitCode.PARTIAL
    return ExitCode.OK


def _error(message: str) -> None:
    """One error line on standard error; the message may echo input, so it is made printable."""
    print(f"refreshguard: error: {printable(message)}", file=sys.stderr)


def _emit(text: str) -> bool:
    """Write ``text`` to standard output; on failure (a full disk, a closed pipe) print one error
    line and return False. Standard output is then pointed at the null device so Python's own
    flush at exit cannot fail again with a traceback."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        _error(f"cannot write to standard output: {exc.strerror or exc}")
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass  # NOTE: not a real file descriptor (tests capture stdout); nothing to protect.
        return False
    return True


def _bad_target(target: str) -> str:
    """Why ``target`` cannot name a report file (empty when it can)."""
    if not target:
        return "the file name is empty"
    path = Path(target)
    if target.endswith(("/", os.sep)) or path.name in ("", ".", "..") or path.is_dir():
        return "names a folder, not a file"
    return ""


def _duplicate_target(paths: list[Path]) -> Path | None:
    seen: set[str] = set()
    for path in paths:
        key = os.path.abspath(path)
        if key in seen:
            return path
        seen.add(key)
    return None


def _write_report(path: Path, text: str) -> bool:
    """Write one report atomically (creating its folder); print the error and return False when
    that fails."""
    try:
        _write(path, text)
    except OSError as exc:
        _error(f"cannot write {path}: {exc.strerror or exc}")
        return False
    return True


def _org_report(args: argparse.Namespace, config: Config) -> Report:
    """Authenticate as asked and scan the org (the only place that reads org options)."""
    from refreshguard.errors import ConfigError

    try:
        import httpx

        from refreshguard.org import (
            DEFAULT_API_VERSION,
            DEFAULT_TIMEOUT,
            OrgClient,
            from_env,
            from_sf_cli,
            jwt_bearer,
            scan_org,
        )
    except ImportError:
        raise ConfigError("scanning an org needs the org extra: pip install 'refreshguard[org]'") from None
    reserve = DEFAULT_API_RESERVE if args.api_reserve is None else args.api_reserve
    if reserve < 0 or reserve >= 100:
        raise ConfigError("--api-reserve must be a percentage from 0 to 99")
    with httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False) as http:
        if args.target_org:
            credentials = from_sf_cli(args.target_org)
        elif args.org_from_env:
            credentials = from_env(os.environ)
        else:
            if not args.jwt_consumer_key or not args.jwt_key_file:
                raise ConfigError("--jwt-username needs --jwt-consumer-key and --jwt-key-file")
            credentials = jwt_bearer(
                http,
                consumer_key=args.jwt_consumer_key,
                key_file=Path(args.jwt_key_file),
                username=args.jwt_username,
                login_url=args.login_url or DEFAULT_LOGIN_URL,
            )
        client = OrgClient(
            credentials, http, api_version=args.api_version or DEFAULT_API_VERSION, reserve_percent=reserve
        )
        return scan_org(client, config, use_ignores=not args.no_ignores)


def _want_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _write(path: Path, text: str) -> None:
    """Write one report without ever leaving it half-written or replacing something that is not
    a report file.

    A symlink is followed and its target written. A regular file (or a new one) is written via a
    temporary file in the same folder and renamed over it, keeping the old file's mode. Anything
    else that exists (a character device such as /dev/null, a FIFO, /dev/stdout or another
    /proc or /dev/fd entry) is written straight through with a normal open: renaming over it
    would replace the device node or the link instead of writing to it.
    """
    data = text.encode("utf-8")
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "Is a directory")
    special = str(path).startswith(("/dev/", "/proc/"))
    if special or (info is not None and not stat.S_ISREG(info.st_mode)):
        with open(path, "wb") as fh:
            fh.write(data)
        return
    real = Path(os.path.realpath(path))
    real.parent.mkdir(parents=True, exist_ok=True)
    tmp = real.with_name(f".{real.name}.{os.getpid()}.tmp")
    with open(tmp, "xb") as fh:  # NOTE: "x": never write through a planted file or link
        try:
            fh.write(data)
        except BaseException:
            tmp.unlink()
            raise
    try:
        if info is not None:
            os.chmod(tmp, stat.S_IMODE(info.st_mode))
        os.replace(tmp, real)
    finally:
        if os.path.lexists(tmp):
            tmp.unlink()


class _Progress:
    """A one-line counter on standard error, only on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def __enter__(self) -> _Progress:
        return self

    def update(self, count: int) -> None:
        if self.enabled and count % 250 == 0:
            sys.stderr.write(f"\rrefreshguard: read {count:,} metadata files…")
            sys.stderr.flush()
            self.shown = True

    def __exit__(self, *exc: object) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
