"""Turn the paths a user gives into documents to parse: SFDX projects, plain folders, Metadata API
folders, retrieve zips and single files. Nothing here parses XML; everything that goes wrong
becomes a :class:`Problem` and the walk goes on."""

from __future__ import annotations

import json
import lzma
import os
import re
import stat
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from refreshguard._text import printable
from refreshguard.collectors.metadata_types import FILE_ENDINGS, split_file_name
from refreshguard.collectors.xmlread import MAX_FILE_BYTES
from refreshguard.findings import Problem
from refreshguard.model import Origin

SKIPPED_DIRS = frozenset({".git", "node_modules", ".sf", ".sfdx", ".venv", "__pycache__"})
"""Folders never walked into."""

ZIP_READ_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    ValueError,
)
"""What reading a damaged zip member can raise (bad CRC, corrupt deflate or LZMA data, ...)."""
_MEMBER_ERRORS: tuple[type[Exception], ...] = (OSError, *ZIP_READ_ERRORS)

MAX_ZIP_MEMBERS = 50_000
"""A retrieve zip with more entries than this is refused as a whole."""
MAX_ZIP_TOTAL_BYTES = 512 * 1024 * 1024
"""Most uncompressed bytes read from one zip, over the members that are read."""
MAX_COMPRESSION_RATIO = 200
"""A member that inflates more than this is treated as a zip bomb."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def display(text: str) -> str:
    """``text`` (a path or member name) as valid, printable text: bytes a file name holds that
    are not UTF-8 (which Python carries as lone surrogates) are shown as ``\\xff``, other lone
    surrogates as ``\\udXXX``, and control characters as :func:`refreshguard._text.printable`
    shows them. Files are still opened through their real names; this form is only for reports."""
    if text.isprintable():
        return text
    return printable(_SURROGATE.sub(_escape_surrogate, text))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


@dataclass(frozen=True, slots=True)
class Document:
    """Raw bytes of one candidate metadata file and where it came from."""

    origin: Origin
    """File path (and zip member)."""
    data: bytes
    """The file's bytes, unparsed."""
    expected_type: str | None
    """The metadata type its name promises, or None when it was named explicitly and must be
    recognised by its root element."""
    bundle: str
    """The folder the metadata tree starts at (parent of the type folder), used to keep apart
    copies of the same app that live in different trees."""
    identity: tuple[int, int, str | None] | None = None
    """Device, inode and zip member: the same file reached twice (overlapping paths on the
    command line, a file inside a folder also given) has the same identity and is read once."""


def iter_documents(path: Path, shown: str) -> Iterator[Document | Problem]:
    """Every document under ``path`` (shown to the user as ``shown``) and every problem met."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        yield Problem(Origin(shown), f"cannot read this path: {exc.strerror or exc}")
        return
    if stat.S_ISDIR(mode):
        yield from _walk_project(path, shown)
    elif stat.S_ISREG(mode) and _is_zip(path):  # peeking into a FIFO would block
        yield from _read_zip(path, shown)
    else:
        doc = _read_file(path, shown, explicit=True)
        if doc is not None:
            yield doc


def _is_zip(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _walk_project(root: Path, shown: str) -> Iterator[Document | Problem]:
    dirs, problems = _package_directories(root, shown)
    yield from problems
    for folder, folder_shown in dirs:
        yield from _walk(folder, folder_shown)


def _package_directories(root: Path, shown: str) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """The folders to walk: sfdx-project.json package directories when it names any, else root."""
    project = root / "sfdx-project.json"
    if not project.is_file():
        return [(root, shown)], []
    where = Origin(_join(shown, "sfdx-project.json"))
    try:
        config = json.loads(project.read_text(encoding="utf-8-sig"))
        entries = config["packageDirectories"]
        paths = [str(entry["path"]) for entry in entries]
        for number, rel in enumerate(paths, 1):
            _check_path_text(number, rel)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        note = f"cannot use its packageDirectories ({_why_unusable(exc)}); the whole folder is walked"
        return [(root, shown)], [Problem(where, note)]
    dirs: list[tuple[Path, str]] = []
    problems: list[Problem] = []
    for rel in paths:
        shown_rel = display(rel)
        try:
            folder = (root / rel).resolve()
            is_dir = folder.is_dir()
            inside = _inside(folder, root.resolve())
        except (OSError, ValueError) as exc:  # too long, a loop of links, ...
            problems.append(Problem(where, f"package directory {shown_rel!r} cannot be used: {exc}"))
            continue
        if not is_dir:
            problems.append(Problem(where, f"package directory {shown_rel!r} does not exist"))
            continue
        if not inside:
            problems.append(Problem(where, f"package directory {shown_rel!r} is outside the project"))
            continue
        dirs.append((root / rel, _join(shown, shown_rel)))
    if not dirs:
        return [(root, shown)], problems
    return dirs, problems


class _UnusablePath(ValueError):
    """A packageDirectories path that cannot name a folder at all."""


def _check_path_text(number: int, rel: str) -> None:
    if "\0" in rel:
        raise _UnusablePath(f"path {number} holds a NUL character, which no file name can")
    try:
        os.fsencode(rel)
    except UnicodeError:
        raise _UnusablePath(f"path {number} cannot be encoded as a file name") from None


def _why_unusable(exc: BaseException) -> str:
    """Say precisely what is wrong with sfdx-project.json (json's messages quote no content)."""
    if isinstance(exc, _UnusablePath):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "not usable JSON: it is nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, OSError):
        return f"cannot read it: {exc.strerror or exc}"
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r} key"
    return "packageDirectories must be a list of objects with a 'path'"


def _walk(root: Path, shown: str) -> Iterator[Document | Problem]:
    def on_error(exc: OSError) -> None:
        errors.append(exc)

    errors: list[OSError] = []
    top = os.fspath(root)
    prefix = top if top.endswith(os.sep) else top + os.sep
    for current, dirnames, filenames in os.walk(top, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        # PERF: names are worked out once per folder with plain string operations; pathlib and
        # relpath per file were a large share of the walk (bench/bench_scan.py).
        rel = current[len(prefix) :] if current != top else ""
        folder_shown = _join(shown, rel) if rel else shown
        bundle = _bundle_of(_join(folder_shown, "x"))
        real_dir = current if current.endswith(os.sep) else current + os.sep
        shown_dir = _join(folder_shown, "")
        for name in dirnames:
            if name.endswith(FILE_ENDINGS) and (parsed := split_file_name(name)) is not None:
                yield Problem(
                    Origin(display(shown_dir + name)),
                    f"a folder, not a file: its name is that of a {parsed[1]} metadata file, so an "
                    "app may be missing here; it was not read as one (what is inside is walked as "
                    "usual)",
                    parsed[1],
                    display(parsed[0]),
                )
        for name in sorted(filenames):
            if not name.endswith(FILE_ENDINGS):
                continue
            parsed = split_file_name(name)
            if parsed is None:
                continue
            doc = _read_file(real_dir + name, shown_dir + name, parsed=parsed, bundle=bundle)
            if doc is not None:
                yield doc
        yield from _listing_problems(errors, root, shown)
    # os.walk reports a folder it cannot list without yielding it, so errors met after the last
    # folder it yields would be lost without this.
    yield from _listing_problems(errors, root, shown)


def _listing_problems(errors: list[OSError], root: Path, shown: str) -> Iterator[Problem]:
    while errors:
        exc = errors.pop(0)
        where = _join(shown, os.path.relpath(exc.filename, root)) if exc.filename else shown
        yield Problem(Origin(display(where)), f"cannot list this folder: {exc.strerror or exc}")


def _read_file(
    path: Path | str,
    shown: str,
    *,
    explicit: bool = False,
    parsed: tuple[str, str] | None = None,
    bundle: str | None = None,
) -> Document | Problem | None:
    if parsed is None:
        parsed = split_file_name(os.path.basename(path))
    expected = parsed[1] if parsed else None
    origin = Origin(display(shown))
    try:
        # Open first, then check what was opened: one path lookup instead of two, and no race
        # between the check and the read. O_NONBLOCK keeps a FIFO from blocking the open.
        with open(os.open(path, _OPEN_FLAGS), "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                return Problem(origin, "not a regular file", expected)
            if info.st_size > MAX_FILE_BYTES:
                return Problem(
                    origin,
                    f"file is {info.st_size:,} bytes; metadata files are never near the "
                    f"{MAX_FILE_BYTES:,}-byte limit, so it was not read",
                    expected,
                )
            data = fh.read()
    except OSError as exc:
        return Problem(origin, f"cannot read the file: {exc.strerror or exc}", expected)
    return Document(
        origin,
        data,
        expected if not explicit else None,
        bundle or _bundle_of(shown),
        (info.st_dev, info.st_ino, None),
    )


def _read_zip(path: Path, shown: str) -> Iterator[Document | Problem]:
    try:
        zip_info = os.stat(path)
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        yield Problem(Origin(shown), f"cannot open the zip: {exc}")
        return
    except UnicodeDecodeError:
        yield Problem(Origin(shown), "cannot open the zip: a member name marked UTF-8 is not UTF-8")
        return
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            yield Problem(
                Origin(shown),
                f"the zip has {len(members):,} entries; more than {MAX_ZIP_MEMBERS:,} is refused",
            )
            return
        budget = MAX_ZIP_TOTAL_BYTES
        wanted = [
            (info, parsed)
            for info in members
            if not info.is_dir() and (parsed := split_file_name(PurePosixPath(info.filename).name))
        ]
        copies = Counter(info.filename for info, _ in wanted)
        types = {info.filename: parsed[1] for info, parsed in wanted}
        for name, count in copies.items():
            if count > 1:
                # NOTE: zipfile keeps every entry; Salesforce's handling of a repeated name is
                # not documented, so neither copy may hide the other.
                yield Problem(
                    Origin(shown, member=display(name)),
                    f"the zip holds {count} members named {display(name)}; which one Salesforce "
                    "would deploy is not defined, so each copy is judged on its own",
                    types[name],
                )
        for number, (info, parsed) in enumerate(wanted):
            origin = Origin(shown, member=display(info.filename))
            item = _read_member(archive, info, origin, parsed[1], budget)
            if isinstance(item, Document):
                key = info.filename if copies[info.filename] == 1 else f"{info.filename}\0{number}"
                item = replace(item, identity=(zip_info.st_dev, zip_info.st_ino, key))
            if isinstance(item, Document):
                budget -= len(item.data)
            yield item


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, origin: Origin, expected: str, budget: int
) -> Document | Problem:
    name = info.filename
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or ":" in pure.parts[0]:
        return Problem(origin, "unsafe member name (absolute or with '..'); not read", expected)
    if info.flag_bits & 0x1:
        return Problem(origin, "the member is encrypted; not read", expected)
    limit = min(MAX_FILE_BYTES, budget)
    if info.file_size > limit:
        return Problem(
            origin, f"member would inflate to {info.file_size:,} bytes; the limit is {limit:,}", expected
        )
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
        return Problem(origin, "member compresses too well to be real metadata (zip bomb?)", expected)
    try:
        with archive.open(info) as fh:
            data = fh.read(limit + 1)
    except _MEMBER_ERRORS as exc:
        return Problem(origin, f"cannot read the member: {exc}", expected)
    if len(data) > limit:
        return Problem(origin, "member is larger than its header says; not read", expected)
    return Document(origin, data, expected, f"{origin.path}!{_bundle_of(name)}")


def _bundle_of(shown: str) -> str:
    """Parent of the type folder: ``a/b/connectedApps/X.connectedApp`` -> ``a/b``."""
    # PERF: plain string work (not pathlib): this runs for every folder of a large project.
    parts = [p for p in shown.replace(os.sep, "/").split("/") if p not in ("", ".")]
    top = "/" if shown.startswith(("/", os.sep)) else ""
    return top + "/".join(parts[:-2]) if len(parts) > 2 else ""


def _join(shown: str, rel: str) -> str:
    return rel if shown in ("", ".") else os.path.join(shown, rel)


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
    except ValueError:
        return False
    return True
