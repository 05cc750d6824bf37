"""Collectors turn inputs into :class:`~refreshguard.model.App` values and problems.

``collect_paths`` handles everything offline (SFDX source, Metadata API folders and zips, single
files). Every collector yields the same model, so controls never ask where an app came from.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from refreshguard.collectors import metadata_types as mt
from refreshguard.collectors.connected_app import build_connected_app
from refreshguard.collectors.external_client_app import EcaFile, join
from refreshguard.collectors.inputs import Document, display, iter_documents
from refreshguard.collectors.values import flaw
from refreshguard.collectors.xmlread import (
    Field,
    XmlRejected,
    children,
    line_of,
    local,
    parse,
    shown_name,
    strays,
)
from refreshguard.findings import Problem
from refreshguard.model import App, Origin

ProgressCallback = Callable[[int], None]
"""Called with the running count of files read, for progress displays."""


@dataclass(frozen=True, slots=True)
class Collection:
    """What collecting produced."""

    apps: tuple[App, ...]
    """Every app found."""
    problems: tuple[Problem, ...]
    """Every input that could not be read."""
    files_scanned: int
    """How many metadata files were read."""


def collect_paths(paths: Iterable[str | Path], progress: ProgressCallback | None = None) -> Collection:
    """Collect every Connected App and External Client App under ``paths``."""
    with _gc_paused():
        return _collect(paths, progress)


@contextmanager
def _gc_paused() -> Iterator[None]:
    # PERF: collecting allocates many small objects (lxml proxies, fields, settings) and keeps
    # most of them; the cyclic garbage collector kept re-walking them and took about a fifth of
    # the CPU time of a large scan (bench/bench_scan.py). They form no reference cycles, so
    # reference counting frees them; the collector is switched back on afterwards.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _collect(paths: Iterable[str | Path], progress: ProgressCallback | None) -> Collection:
    connected: list[App] = []
    eca_files: list[EcaFile] = []
    problems: list[Problem] = []
    count = 0
    seen: set[tuple[int, int, str | None]] = set()
    for given in paths:
        shown = display(str(given))
        for item in iter_documents(Path(given), shown):
            if isinstance(item, Problem):
                problems.append(item)
                continue
            if item.identity is not None:
                if item.identity in seen:
                    continue  # the same file reached through two of the given paths
                seen.add(item.identity)
            count += 1
            if progress is not None:
                progress(count)
            result = read_document(item)
            if isinstance(result, Problem):
                problems.append(result)
            elif isinstance(result, App):
                connected.append(result)
            else:
                eca_files.append(result)
    apps = sorted(connected, key=lambda a: (a.name.lower(), a.origin.display()))
    apps.extend(join(eca_files))
    return Collection(tuple(apps), tuple(problems), count)


def read_document(doc: Document) -> App | EcaFile | Problem:
    """Parse one document into a Connected App, an ECA part, or a problem."""
    guessed = mt.split_file_name(_base_name(doc.origin))
    guessed_name = guessed[0] if guessed else None
    try:
        root = parse(doc.data)
    except XmlRejected as exc:
        return Problem(doc.origin, str(exc), doc.expected_type, guessed_name)
    root_type = local(root.tag)
    if doc.expected_type is not None and root_type != doc.expected_type:
        return Problem(
            doc.origin,
            f"the file name says {doc.expected_type} but the root element is "
            f"<{shown_name(root_type)}>; "
            "rename the file or fix its content",
            doc.expected_type,
            guessed_name,
        )
    if root_type not in mt.KNOWN_ROOTS:
        return Problem(
            doc.origin,
            f"not a Connected App or External Client App file (root element <{shown_name(root_type)}>)",
            None,
            guessed_name,
        )
    origin = Origin(doc.origin.path, line_of(root), doc.origin.member, doc.origin.component)
    fields = children(root)
    if root_type == mt.CONNECTED_APP:
        name = _full_name(fields, guessed_name, doc)
        return build_connected_app(root, name, doc.origin)
    if root_type == mt.ECA_HEADER:
        app_name = _full_name(fields, guessed_name, doc)
    else:
        link = fields.get("externalClientApplication")
        if link and (len(link) > 1 or link[0].bad):
            return Problem(
                origin,
                f"{flaw('externalClientApplication', link)}; the file cannot be joined to its app",
                root_type,
                guessed_name,
            )
        if not link or not link[0].text:
            return Problem(
                origin,
                f"this {root_type} file has no <externalClientApplication> element, so it "
                "cannot be joined to its app; add the app's API name",
                root_type,
                guessed_name,
            )
        app_name = link[0].text
    watched = _WATCHED.get(root_type, ())
    misplaced = strays(root, {name: (root, root_type) for name in watched}) if watched else {}
    return EcaFile(root_type, app_name, origin, fields, doc.bundle, misplaced)


_WATCHED: dict[str, tuple[str, ...]] = {
    mt.ECA_GLOBAL_OAUTH: ("isSecretRequiredForRefreshToken",),
    mt.ECA_OAUTH_SETTINGS: ("commaSeparatedOauthScopes",),
    mt.ECA_POLICIES: ("isEnabled", "isOauthPluginEnabled"),
}
"""Per ECA type, the settings that decide the refresh verdict: an element of the same name
anywhere but directly under the root makes the setting untrustworthy."""


def _full_name(fields: dict[str, list[Field]], guessed: str | None, doc: Document) -> str:
    # NOTE: the API name of a Connected App or ECA header is its file name; fullName appears only
    # in files written by hand or by other tools.
    full = fields.get("fullName")
    if full and full[0].text:
        return full[0].text
    return guessed or _base_name(doc.origin).split(".")[0]


def _base_name(origin: Origin) -> str:
    # A zip made on Windows may separate folders with backslashes; a path on this machine only
    # with os.sep, and a backslash in it may be the escape of an undecodable byte (\\xff).
    if origin.member:
        return origin.member.replace("\\", "/").rsplit("/", 1)[-1]
    return origin.path.replace(os.sep, "/").rsplit("/", 1)[-1]
