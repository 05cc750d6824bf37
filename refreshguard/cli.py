"""The command line: a thin layer over the library. The only module that prints, reads the
environment or exits."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn, TextIO

from refreshguard._version import __version__
from refreshguard.reporters import Format

EPILOG = """\
exit codes:
  0  nothing fails at or above --fail-on, and every input was read
  1  at least one finding fails at or above --fail-on (or, with --fail-on-unknown, a verdict
     is "cannot tell")
  2  usage or configuration error; nothing was scanned
  3  nothing fails, but some input could not be read (partial scan)

docs: README.md, docs/controls.md, docs/risk-model.md
"""


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
        description="Scan Salesforce metadata offline and judge every OAuth app.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        default=["."],
        help="folders, retrieve zips or files to scan (default: current folder)",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``refreshguard`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "scan":
        return _scan(args)
    raise AssertionError(f"unhandled command {args.command}")


def _scan(args: argparse.Namespace) -> int:
    from refreshguard.config import FailOn, find_config, load_config
    from refreshguard.controls import BY_ID
    from refreshguard.errors import RefreshguardError
    from refreshguard.reporters import renderer
    from refreshguard.reporters.terminal import summary_line
    from refreshguard.scan import ExitCode, exit_code, scan

    paths = [Path(p) for p in args.paths]
    try:
        config_path = (
            Path(args.config)
            if args.config
            else find_config([p for p in paths[:1] if p.is_dir()] + [Path.cwd()])
        )
        config = load_config(config_path, frozenset(BY_ID))
        with _Progress(enabled=not args.no_progress and sys.stderr.isatty()) as progress:
            report = scan(args.paths, config, use_ignores=not args.no_ignores, progress=progress.update)
    except RefreshguardError as exc:
        print(f"refreshguard: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    fmt = Format(args.format)
    to_file = args.output is not None
    color = _want_color(args.color, sys.stdout) and not to_file and fmt is Format.TERMINAL
    text = renderer(fmt, color=color, verbose=args.verbose)(report)
    if to_file:
        try:
            _write(Path(args.output), text)
        except OSError as exc:
            print(f"refreshguard: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return ExitCode.USAGE
        print(summary_line(report), file=sys.stderr)
    else:
        sys.stdout.write(text)
    fail_on = FailOn(args.fail_on) if args.fail_on else config.fail_on
    unknown = config.fail_on_unknown if args.fail_on_unknown is None else args.fail_on_unknown
    return exit_code(report, fail_on, unknown)


def _want_color(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, then rename: never a half-written report."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
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
