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
import shutil
import stat
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from refreshguard._xmledit import EditRefused, redacted_diff, replace_text
from refreshguard.collectors import read_document
from refreshguard.collectors.external_client_app import EcaFile, join
from refreshguard.collectors.inputs import (
    MAX_COMPRESSION_RATIO,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_TOTAL_BYTES,
    ZIP_READ_ERRORS,
    Document,
)
from refreshguard.collectors.xmlread import MAX_FILE_BYTES, XmlRejected, line_of, local, parse
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
    try:
        same = etree.tostring(before, method="c14n") == etree.tostring(after, method="c14n")
    except etree.C14NError:  # e.g. a relative namespace URI, which canonical XML refuses
        same = etree.tostring(before) == etree.tostring(after)
    if not same:
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
    _write_atomically(real, lambda fh: fh.write(new), mode, info, expected, str(path))


def _write_atomically(
    real: Path,
    write: Callable[[BinaryIO], object],
    mode: int,
    info: os.stat_result,
    expected: bytes | None,
    shown: str,
) -> None:
    """Write a temporary file next to ``real`` with ``write``, then rename it over ``real``."""
    try:
        fd, tmp_name = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".rgtmp")
    except OSError as exc:
        raise FixError(f"cannot create a temporary file next to {shown}: {exc.strerror or exc}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w+b") as fh:
            write(fh)
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
                    data = _read_member(archive, member)
                    new = apply_edits(data, group, Origin(path, member=member))
                except _EDIT_ERRORS as exc:
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


def _read_member(archive: zipfile.ZipFile, member: str) -> bytes:
    """One metadata member, at most the scan's file size limit."""
    with archive.open(member) as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise EditRefused(f"the member is larger than {MAX_FILE_BYTES:,} bytes")
    return data


def check_zip_limits(infos: Sequence[zipfile.ZipInfo], shown: str) -> None:
    """Refuse a zip the scan would not read whole: too many entries, too many bytes once
    inflated, or a member that compresses too well to be real (a zip bomb). The sizes come from
    the headers; reading stops at the size a header gives, so they bound the work done."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise FixError(
            f"cannot copy the zip {shown}: it has {len(infos):,} entries; more than "
            f"{MAX_ZIP_MEMBERS:,} is refused"
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_ZIP_TOTAL_BYTES:
        raise FixError(
            f"cannot copy the zip {shown}: its entries inflate to {total:,} bytes; more than "
            f"{MAX_ZIP_TOTAL_BYTES:,} is refused"
        )
    for i in infos:
        ratio = i.file_size / i.compress_size if i.compress_size else (0 if not i.file_size else float("inf"))
        if i.compress_type != zipfile.ZIP_STORED and ratio > MAX_COMPRESSION_RATIO:
            raise FixError(
                f"cannot copy the zip {shown}: member {i.filename!r} compresses more than "
                f"{MAX_COMPRESSION_RATIO}:1, too well to be real metadata (zip bomb?)"
            )


_EDIT_ERRORS: tuple[type[Exception], ...] = (KeyError, EditRefused, *ZIP_READ_ERRORS)


def write_zip_copy(source: Path, output: Path, replaced: dict[str, bytes]) -> None:
    """Write ``output``: ``source`` with the members in ``replaced`` swapped, every other member's
    content, name, date, attributes and compression method kept. Unchanged members are streamed
    from the source to the copy, never held in memory whole, within the scan's zip limits."""
    real = Path(os.path.realpath(output))
    try:
        src = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise FixError(f"cannot read the zip {source}: {exc}") from None
    with src:
        check_zip_limits(src.infolist(), str(source))
        names = [i.filename for i in src.infolist()]
        if len(names) != len(set(names)):
            raise FixError(
                f"the zip {source} holds several members with the same name; a fixed copy could not "
                "say which one it changed, so none is written"
            )
        info = source.stat()

        def write(fh: BinaryIO) -> None:
            try:
                _copy_zip(src, fh, replaced)
            except ZIP_READ_ERRORS as exc:
                raise FixError(f"cannot copy the zip {source}: {exc}") from None

        _write_atomically(real, write, stat.S_IMODE(info.st_mode), info, None, str(output))


def _copy_zip(src: zipfile.ZipFile, fh: BinaryIO, replaced: dict[str, bytes]) -> None:
    with zipfile.ZipFile(fh, "w") as dest:
        dest.comment = src.comment
        for original in src.infolist():
            info = copy.copy(original)
            new = replaced.get(info.filename)
            if new is not None or info.is_dir():
                dest.writestr(info, new if new is not None else b"")
                continue
            with src.open(original) as reader, dest.open(info, "w") as writer:
                shutil.copyfileobj(reader, writer, 1024 * 1024)
