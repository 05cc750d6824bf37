"""Text for people about a fix run: the diffs (dry run), then one entry per app, then a summary.

A pure function of a :class:`~refreshguard.fix.FixResult`; it never shows file content other than
the redacted diffs the fix produced. Text from the input (names, paths, reasons, diff lines) is
escaped with :mod:`refreshguard._text`, so it cannot carry terminal escapes.
"""

from __future__ import annotations

import textwrap
from collections import Counter

from refreshguard._text import printable, printable_lines
from refreshguard.fix import FixResult, Status
from refreshguard.fixes import Disposition
from refreshguard.model import AppKind

_LABEL = {
    Status.APPLIED: "fixed",
    Status.WOULD_APPLY: "would fix",
    Status.SKIPPED_UNSAFE: "skipped (unsafe)",
    Status.SKIPPED_ZIP: "skipped (zip)",
    Status.SKIPPED_IGNORED: "skipped (ignored)",
    Status.FAILED: "failed",
}
_KIND = {AppKind.CONNECTED_APP: "Connected App", AppKind.EXTERNAL_CLIENT_APP: "External Client App"}
_INDENT = "    "


def render(result: FixResult, *, show_diffs: bool | None = None) -> str:
    """The whole text. Diffs are shown in a dry run unless ``show_diffs`` says otherwise."""
    out: list[str] = []
    if show_diffs if show_diffs is not None else result.dry_run:
        out.extend(printable_lines(d.rstrip("\n")) for d in result.diffs)
        if result.diffs:
            out.append("")
    for item in result.results:
        edit = item.edit
        out.append(printable(f"{_LABEL[item.status]}: {_KIND[edit.app.kind]} {edit.app.name}: {edit.title}"))
        out.append(f"{_INDENT}{printable(edit.origin.display())}")
        if item.message:
            out.extend(_wrap(item.message))
        if item.status is Status.SKIPPED_UNSAFE:
            out.extend(_wrap("To apply it anyway, run again with --unsafe."))
        if item.status in (Status.APPLIED, Status.WOULD_APPLY):
            lead = (
                "Before deploying" if edit.disposition is Disposition.SAFE else "Unsafe, applied on request"
            )
            out.extend(_wrap(f"{lead}: {edit.reason}"))
            for tip in edit.hardening:
                out.extend(_wrap(f"Also consider (by hand): {tip}."))
    for problem in result.problems:
        out.append(f"not read: {printable(problem.origin.display())}")
        out.extend(_wrap(problem.message))
    out.append(summary_line(result))
    return "\n".join(out) + "\n"


def summary_line(result: FixResult) -> str:
    """One line with the counts."""
    counts = Counter(r.status for r in result.results)
    if not result.results:
        text = "Nothing to fix: no app fails with isSecretRequiredForRefreshToken written as false."
    else:
        parts = [f"{counts[s]} {_LABEL[s]}" for s in Status if counts[s]]
        text = "Fix summary: " + ", ".join(parts) + "."
    if result.dry_run and counts[Status.WOULD_APPLY]:
        text += " Dry run: no file was changed."
    if result.problems:
        text += f" {len(result.problems)} input(s) could not be read (partial)."
    if counts[Status.APPLIED]:
        text += " Deploy the changed files to make the change in the org."
    return text


def _wrap(text: str) -> list[str]:
    wrapped = textwrap.wrap(
        printable(text),
        100,
        initial_indent=_INDENT,
        subsequent_indent=_INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapped or [_INDENT]
