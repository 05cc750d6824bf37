"""Apply :class:`~refreshguard.fixes.Edit` values to local files: the one place that writes metadata.

For every file: read it, check the flag is still false where the scan saw it, change only the
value's bytes, re-parse the result, check that nothing but that value differs, re-run the control
on the new bytes (it must no longer fail), then write a temporary file in the same folder, fsync
it, give it the original's mode, compare the original with what was read once more, and
``os.replace``. Members of zip archives are never edited in place: with ``zip_output`` a fixed
copy of the archive is written instead.
"""

from __future__ import annotations

import copy
import os
import stat
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lxml import etree

from refreshguard._xmledit import EditRefused, redacted_diff, replace_text
from refreshguard.collectors import read_document
from refreshguard.collectors.external_client_app import EcaFile, join
from refreshguard.collectors.inputs import Document
from refreshguard.collectors.xmlread import XmlRejected, line_of, local, parse
from refreshguard.controls import require_secret_for_refresh_token as control
from refreshguard.errors import FixError
from refreshguard.findings import Outcome, Problem, Report
from refreshguard.fixes import Disposition, Edit, plan
from refreshguard.model import App, Origin
from refreshguard.scan import ExitCode


class Status(StrEnum):
    """What happened to one edit."""

    APPLIED = "applied"
    """The file (or the zip copy) was written with the edit."""
    WOULD_APPLY = "would-apply"
    """Dry run: the edit verified and would be written."""
    SKIPPED_UNSAFE = "skipped-unsafe"
    """The edit can break an integration and ``unsafe`` was not given."""
    SKIPPED_ZIP = "skipped-zip"
    """The file is inside a zip and no ``zip_output`` was given."""
    SKIPPED_IGNORED = "skipped-ignored"
    """An ignore in the configuration covers the finding."""
    FAILED = "failed"
    """The edit could not be made safely; the file was left as it was."""


@dataclass(frozen=True, slots=True)
class EditResult:
    """One edit and what became of it."""

    edit: Edit
    """The edit."""
    status: Status
    """What happened."""
    message: str = ""
    """Why it was skipped or failed (never file content)."""


@dataclass(frozen=True, slots=True)
class FixResult:
    """Everything a fix run did. Rendered by :mod:`refreshguard.reporters.fix_text`."""

    results: tuple[EditResult, ...]
    """One per edit, in report order."""
    diffs: tuple[str, ...]
    """Unified diffs (secrets redacted) of the files changed or, in a dry run, to be changed."""
    problems: tuple[Problem, ...]
    """Inputs the scan could not read."""
    written: tuple[str, ...]
    """Files written (zip copies included)."""
    dry_run: bool
    """True when nothing was written on purpose."""


def fix(
    report: Report, *, unsafe: bool = False, dry_run: bool = False, zip_output: Path | None = None
) -> FixResult:
    """Apply the edits ``report``'s failing findings propose.

    Raises FixError only for a usage mistake found before anything is written (``zip_output``
    given while several zips need fixing, or naming the input zip). Problems with single files
    are results with status FAILED; other files are still fixed.
    """
    pending: list[Edit] = []
    done: dict[tuple[str, str | None, int | None], EditResult] = {}
    order: list[tuple[str, str | None, int | None]] = []
    for finding, edits in plan(report):
        for edit in edits:
            key = (edit.origin.path, edit.origin.member, edit.origin.line)
            if key in order:
                continue
            order.append(key)
            if finding.suppression is not None:
                why = f"ignored in {finding.suppression.source}: {finding.suppression.reason}"
                done[key] = EditResult(edit, Status.SKIPPED_IGNORED, why)
            elif edit.disposition is Disposition.UNSAFE and not unsafe:
                done[key] = EditResult(edit, Status.SKIPPED_UNSAFE, edit.reason)
            elif edit.in_zip and zip_output is None:
                done[key] = EditResult(
                    edit,
                    Status.SKIPPED_ZIP,
                    "the file is inside a zip, which is never edited in place; "
                    "run again with --zip-output FILE to write a fixed copy of the zip",
                )
            else:
                pending.append(edit)
    files: dict[str, list[Edit]] = defaultdict(list)
    zips: dict[str, list[Edit]] = defaultdict(list)
    for edit in pending:
        (zips if edit.in_zip else files)[edit.origin.path].append(edit)
    if zips and zip_output is not None:
        _check_zip_output(list(zips), zip_output)
    diffs: list[str] = []
    written: list[str] = []
    for path, group in files.items():
        for result in _fix_file(path, group, dry_run, diffs, written):
            done[_key(result.edit)] = result
    for path, group in zips.items():
        assert zip_output is not None
        for result in _fix_zip(path, group, zip_output, dry_run, diffs, written):
            done[_key(result.edit)] = result
    return FixResult(tuple(done[k] for k in order), tuple(diffs), report.problems, tuple(written), dry_run)


def exit_code(result: FixResult) -> ExitCode:
    """0 nothing left to fix; 1 fixable failures left unapplied; 3 something could not be done."""
    if result.problems or any(r.status is Status.FAILED for r in result.results):
        return ExitCode.PARTIAL
    left = (Status.SKIPPED_UNSAFE, Status.SKIPPED_ZIP, Status.WOULD_APPLY)
    if any(r.status in left for r in result.results):
        return ExitCode.FINDINGS
    return ExitCode.OK


def _key(edit: Edit) -> tuple[str, str | None, int | None]:
    return (edit.origin.path, edit.origin.member, edit.origin.line)


def apply_edits(data: bytes, edits: Sequence[Edit], origin: Origin) -> bytes:
    """``data`` with ``edits`` applied and verified; raises EditRefused when any check fails."""
    new = data
    for edit in edits:
        if edit.origin.line is None:
            raise EditRefused(f"the scan gave no line for <{edit.element}>")
        if _flag_at(new, origin, edit.origin.line) is not False:
            raise EditRefused(
                f"the file changed since it was scanned: <{edit.element}> is no longer false at "
                f"line {edit.origin.line}"
            )
        new = replace_text(new, edit.element, edit.origin.line, edit.old, edit.new)
    _verify(data, new, edits, origin)
    return new


def _apps(data: bytes, origin: Origin) -> list[App]:
    item = read_document(Document(origin, data, None, ""))
    if isinstance(item, Problem):
        raise EditRefused(f"cannot read the file: {item.message}")
    return join([item]) if isinstance(item, EcaFile) else [item]


def _app_at(data: bytes, origin: Origin, line: int) -> App | None:
    """The app whose refresh flag the scan read at ``line`` of this file."""
    for app in _apps(data, origin):
        flag = app.secret_required_for_refresh
        if flag.origin is not None and flag.origin.line == line:
            return app
    return None


def _flag_at(data: bytes, origin: Origin, line: int) -> bool | None:
    app = _app_at(data, origin, line)
    return None if app is None else app.secret_required_for_refresh.value


def _verify(old: bytes, new: bytes, edits: Sequence[Edit], origin: Origin) -> None:
    """Re-parse ``new``: only the edited values may differ, and the control must stop failing."""
    try:
        before, after = parse(old), parse(new)
    except XmlRejected as exc:
        raise EditRefused(f"the edited file does not parse: {exc}") from None
    targets = {(e.element, e.origin.line): e.new for e in edits}
    for old_el, new_el in ((b, a) for b, a in zip(before.iter(), after.iter(), strict=False)):
        key = (local(old_el.tag), line_of(old_el))
        if key in targets:
            if (new_el.text or "").strip() != targets[key]:
                raise EditRefused(f"after the edit, <{key[0]}> at line {key[1]} does not hold {targets[key]}")
            old_el.text = new_el.text
    if etree.tostring(before, method="c14n") != etree.tostring(after, method="c14n"):
        raise EditRefused("the edited file differs from the original in more than the edited value")
    for edit in edits:
        line = edit.origin.line or 0
        app = _app_at(new, origin, line)
        if app is None or app.secret_required_for_refresh.value is not True:
            raise EditRefused(f"after the edit, {edit.element} of {edit.app.name} does not read as true")
        if any(f.outcome is Outcome.FAIL for f in control.evaluate(app)):
            raise EditRefused(f"after the edit, {edit.app.name} still fails")


def _fail_all(edits: Sequence[Edit], message: str) -> list[EditResult]:
    return [EditResult(e, Status.FAILED, message) for e in edits]


def _fix_file(
    path: str, edits: list[Edit], dry_run: bool, diffs: list[str], written: list[str]
) -> list[EditResult]:
    target = Path(path)
    try:
        data = target.read_bytes()
    except OSError as exc:
        return _fail_all(edits, f"cannot read {path}: {exc.strerror or exc}")
    try:
        new = apply_edits(data, edits, Origin(path))
    except EditRefused as exc:
        return _fail_all(edits, f"{path} was not changed: {exc}")
    diffs.append(redacted_diff(data, new, path))
    if dry_run:
        return [EditResult(e, Status.WOULD_APPLY) for e in edits]
    try:
        replace_file(target, data, new)
    except FixError as exc:
        return _fail_all(edits, str(exc))
    written.append(path)
    return [EditResult(e, Status.APPLIED) for e in edits]


def replace_file(path: Path, expected: bytes, new: bytes) -> None:
    """Atomically replace ``path`` (which must still hold ``expected``) with ``new``, keeping its
    mode. Raises FixError, leaving the original untouched and no temporary file behind."""
    real = Path(os.path.realpath(path))
    try:
        info = real.stat()
    except OSError as exc:
        raise FixError(f"cannot stat {path}: {exc.strerror or exc}") from None
    mode = stat.S_IMODE(info.st_mode)
    # NOTE: os.replace only needs the folder to be writable, so a read-only file would be
    # silently replaced; the owner's write bit is the user's intent, so it is honoured.
    if not mode & stat.S_IWUSR or not os.access(real, os.W_OK):
        raise FixError(f"{path} is read-only (mode {mode:04o}); make it writable (chmod u+w) and run again")
    _write_atomically(real, new, mode, info, expected, str(path))


def _write_atomically(
    real: Path, data: bytes, mode: int, info: os.stat_result, expected: bytes | None, shown: str
) -> None:
    try:
        fd, tmp_name = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".rgtmp")
    except OSError as exc:
        raise FixError(f"cannot create a temporary file next to {shown}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if os.geteuid() == 0 and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
            os.chown(tmp, info.st_uid, info.st_gid)
        if expected is not None and real.read_bytes() != expected:
            raise FixError(f"{shown} changed while it was being fixed; it was not touched")
        os.replace(tmp, real)
        _fsync_dir(real.parent)
    except OSError as exc:
        raise FixError(f"cannot write {shown}: {exc.strerror or exc}; it was not touched") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # NOTE: some platforms cannot open folders; the rename is already done.
    try:
        os.fsync(fd)
    except OSError:
        pass  # NOTE: fsync of a folder is best effort (not supported everywhere).
    finally:
        os.close(fd)


def _check_zip_output(zips: list[str], output: Path) -> None:
    if len(zips) > 1:
        raise FixError(
            f"--zip-output names one file, but {len(zips)} zips need fixing "
            f"({', '.join(sorted(zips))}); fix one zip per run"
        )
    source = Path(zips[0])
    if output.exists() and os.path.samefile(output, source):
        raise FixError("--zip-output must not be the zip being fixed; zips are never edited in place")


def _fix_zip(
    path: str, edits: list[Edit], output: Path, dry_run: bool, diffs: list[str], written: list[str]
) -> list[EditResult]:
    by_member: dict[str, list[Edit]] = defaultdict(list)
    for edit in edits:
        by_member[edit.origin.member or ""].append(edit)
    replaced: dict[str, bytes] = {}
    results: list[EditResult] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for member, group in by_member.items():
                try:
                    data = archive.read(member)
                    new = apply_edits(data, group, Origin(path, member=member))
                except (KeyError, EditRefused, zipfile.BadZipFile, RuntimeError) as exc:
                    results += _fail_all(group, f"{path}!{member} was not changed: {exc}")
                    continue
                replaced[member] = new
                diffs.append(redacted_diff(data, new, f"{path}!{member}"))
    except (OSError, zipfile.BadZipFile) as exc:
        return _fail_all(edits, f"cannot read the zip {path}: {exc}")
    fixed = [e for e in edits if (e.origin.member or "") in replaced]
    if not fixed:
        return results
    if dry_run:
        return results + [EditResult(e, Status.WOULD_APPLY) for e in fixed]
    try:
        write_zip_copy(Path(path), output, replaced)
    except FixError as exc:
        return results + _fail_all(fixed, str(exc))
    written.append(str(output))
    return results + [EditResult(e, Status.APPLIED, f"written to the copy {output}") for e in fixed]


def write_zip_copy(source: Path, output: Path, replaced: dict[str, bytes]) -> None:
    """Write ``output``: ``source`` with the members in ``replaced`` swapped, every other member's
    content, name, date, attributes and compression method kept."""
    real = Path(os.path.realpath(output))
    try:
        with zipfile.ZipFile(source) as src:
            members = [(copy.copy(info), replaced.get(info.filename)) for info in src.infolist()]
            parts = [(info, data if data is not None else src.read(info)) for info, data in members]
            comment = src.comment
    except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
        raise FixError(f"cannot read the zip {source}: {exc}") from None
    buffer = _zip_bytes(parts, comment)
    info = source.stat()
    _write_atomically(real, buffer, stat.S_IMODE(info.st_mode), info, None, str(output))


def _zip_bytes(parts: list[tuple[zipfile.ZipInfo, bytes]], comment: bytes) -> bytes:
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dest:
        dest.comment = comment
        for info, data in parts:
            dest.writestr(info, data)
    return out.getvalue()
