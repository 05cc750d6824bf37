"""Collect the apps of a live org, read-only, in a fixed number of API calls.

1. Metadata API ``retrieve`` of every Connected App and External Client App type (``*``), fed
   through the same parser and model as the offline scan.
2. ``ConnectedApplication`` (SOQL): installed apps the retrieve cannot return (managed packages)
   are listed as "cannot tell", never skipped.
3. ``OauthToken`` (SOQL): grants, distinct users and last use per app, as evidence of use.

Each step that fails becomes a :class:`Problem` (a partial scan, exit 3); a session that expired
or an API allowance that runs low stops the remaining steps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from refreshguard.collectors import Collection, read_document
from refreshguard.collectors import metadata_types as mt
from refreshguard.collectors.external_client_app import EcaFile, join
from refreshguard.config import Config
from refreshguard.findings import Problem, Report
from refreshguard.model import App, AppKind, Origin, TokenUsage
from refreshguard.org.client import OrgCallError, OrgClient
from refreshguard.org.metadata import MAX_WAIT_SECONDS, Retrieved, documents, retrieve
from refreshguard.scan import evaluate, placeholder_app

RETRIEVE_TYPES = (mt.CONNECTED_APP, *mt.ECA_TYPES)
"""Everything the controls read, in one retrieve."""
TOKEN_CHUNK = 2500
"""OauthToken answers at most this many rows per query (documented limit); larger sets are read
in chunks ordered by UserId."""

GATE_SETTING = "Allow access to External Client App consumer secrets via Metadata API"
GATE_PERMISSION = "View External Client Apps Consumer Secrets in Metadata"
_UNKNOWN_TYPE = re.compile(r"[Ee]ntity type:? '?([A-Za-z]+)'? is unknown|[Uu]nknown type:? '?([A-Za-z]+)")


@dataclass
class _State:
    client: OrgClient
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stopped: OrgCallError | None = None

    def origin(self, component: str) -> Origin:
        return Origin(self.client.base, component=component)

    def failed(self, step: str, exc: OrgCallError) -> None:
        self.problems.append(Problem(self.origin(step), self.client.redact(f"{step} failed: {exc}")))
        if exc.fatal:
            self.stopped = exc

    def skipped(self, step: str) -> bool:
        if self.stopped is None:
            return False
        self.problems.append(
            Problem(
                self.origin(step), f"{step} not done: an earlier call ended the scan ({self.stopped.code})"
            )
        )
        return True


@dataclass(frozen=True, slots=True)
class OrgCollection:
    """What collecting from an org produced, beyond the apps."""

    collection: Collection
    """Apps, problems and the number of metadata files read."""
    warnings: tuple[str, ...]
    """Remarks for the user (the consumer-secret gate, unmatched token grants, ...)."""


def collect_org(client: OrgClient, *, max_wait: float = MAX_WAIT_SECONDS) -> OrgCollection:
    """Collect every app of the org ``client`` talks to."""
    state = _State(client)
    connected, eca_files, files = _retrieve_apps(state, max_wait)
    ecas = _gate(state, join(eca_files))
    apps = sorted(connected, key=lambda a: a.name.lower()) + ecas
    apps += _installed_only(state, apps, retrieved=not any(_is_retrieve(p) for p in state.problems))
    apps = _with_usage(state, apps)
    return OrgCollection(Collection(tuple(apps), tuple(state.problems), files), tuple(state.warnings))


def scan_org(
    client: OrgClient,
    config: Config | None = None,
    *,
    use_ignores: bool = True,
    today: dt.date | None = None,
    max_wait: float = MAX_WAIT_SECONDS,
) -> Report:
    """Collect from the org and judge every app: the same verdicts as an offline scan."""
    found = collect_org(client, max_wait=max_wait)
    extra = {
        "org": client.base,
        "auth": client.credentials.source,
        "api_version": client.api_version,
        "api_calls": str(client.calls),
    }
    if client.usage is not None:
        extra["api_usage"] = f"{client.usage[0]}/{client.usage[1]}"
    report = evaluate(
        found.collection, [client.base], config, use_ignores=use_ignores, today=today, extra=extra
    )
    return replace(report, warnings=tuple(dict.fromkeys(found.warnings + report.warnings)))


def _retrieve_apps(state: _State, max_wait: float) -> tuple[list[App], list[EcaFile], int]:
    step = "Metadata API retrieve"
    types = list(RETRIEVE_TYPES)
    retrieved: Retrieved | None = None
    while retrieved is None:
        try:
            retrieved = retrieve(state.client, types, max_wait)
        except OrgCallError as exc:
            unknown = _unknown_type(str(exc), types)
            if exc.fatal or unknown is None:
                state.failed(step, exc)
                return [], [], 0
            # NOTE: an org that predates a type faults the whole retrieve; drop that type, say so,
            # and retrieve the rest (at most once per type).
            types.remove(unknown)
            state.problems.append(
                Problem(state.origin(f"{step}:{unknown}"), f"the org does not know {unknown}: {exc}")
            )
    for message in retrieved.messages:
        _retrieve_message(state, message.file_name, message.problem)
    connected: list[App] = []
    eca_files: list[EcaFile] = []
    files = 0
    for item in documents(retrieved, state.client.base):
        if isinstance(item, Problem):
            state.problems.append(item)
            continue
        files += 1
        result = read_document(item)
        if isinstance(result, Problem):
            state.problems.append(result)
        elif isinstance(result, App):
            connected.append(result)
        else:
            eca_files.append(result)
    return connected, eca_files, files


def _unknown_type(text: str, types: list[str]) -> str | None:
    if "INVALID_TYPE" not in text and "unknown" not in text.lower():
        return None
    for match in _UNKNOWN_TYPE.finditer(text):
        name = match.group(1) or match.group(2)
        if name in types:
            return name
    return next((t for t in types if f"'{t}'" in text), None)


def _retrieve_message(state: _State, file_name: str, problem: str) -> None:
    text = state.client.redact(problem)
    if mt.ECA_GLOBAL_OAUTH in text or mt.ECA_GLOBAL_OAUTH in file_name or "ecaGlblOauth" in file_name:
        state.warnings.append(f"the retrieve said about {file_name}: {text}")
        return
    unknown = _unknown_type(text, list(RETRIEVE_TYPES))
    where = f"Metadata API retrieve:{unknown}" if unknown else f"Metadata API retrieve:{file_name}"
    state.problems.append(Problem(state.origin(where), f"the retrieve reported: {text}"))


def _gate(state: _State, ecas: list[App]) -> list[App]:
    """Explain ECAs whose global OAuth settings did not come back (the org's secret gate)."""
    gated = {id(a) for a in ecas if mt.ECA_GLOBAL_OAUTH in a.missing_parts}
    if not gated:
        return ecas
    reason = (
        f"The org returned no {mt.ECA_GLOBAL_OAUTH} for this app. Salesforce only returns it when the "
        f"org setting '{GATE_SETTING}' is on AND the scanning user has the permission "
        f"'{GATE_PERMISSION}'. Salesforce's Health Review recommends keeping that setting off, "
        "because the same file carries the consumer secret: turn it on only for the scan, or check "
        "the flag in Setup instead."
    )
    state.warnings.append(
        f"{len(gated)} External Client App(s) came back without {mt.ECA_GLOBAL_OAUTH}, so the "
        f"refresh-secret flag cannot be read: turn on '{GATE_SETTING}' (Setup > External Client App "
        f"Settings) and grant '{GATE_PERMISSION}' to the scanning user, or accept 'cannot tell'. "
        "The Health Review recommends that setting off; if you turn it on for a scan, turn it off after."
    )
    return [replace(a, unavailable_reason=reason) if id(a) in gated else a for a in ecas]


def _is_retrieve(problem: Problem) -> bool:
    return problem.origin.component == "Metadata API retrieve"


def _installed_only(state: _State, apps: list[App], *, retrieved: bool) -> list[App]:
    """Connected apps the org lists but the retrieve did not return (managed packages)."""
    step = "ConnectedApplication query"
    if state.skipped(step):
        return []
    try:
        records = list(state.client.query("SELECT Id, Name FROM ConnectedApplication ORDER BY Name"))
    except OrgCallError as exc:
        state.failed(step, exc)
        state.warnings.append(
            "installed Connected Apps (managed packages) could not be listed, so some apps may be missing"
        )
        return []
    known = {n.lower() for a in apps for n in (a.name, a.label or "") if n}
    known |= {n.replace("_", " ") for n in known}
    extra: list[App] = []
    for record in records:
        name = str(record.get("Name") or "")
        if not name or name.lower() in known:
            continue
        known.add(name.lower())
        origin = state.origin(f"ConnectedApplication:{record.get('Id') or name}")
        app = placeholder_app(AppKind.CONNECTED_APP, name, Problem(origin, ""))
        extra.append(
            replace(
                app,
                label=name,
                unavailable_reason=_MANAGED if retrieved else _NOT_RETRIEVED,
            )
        )
    return extra


def _with_usage(state: _State, apps: list[App]) -> list[App]:
    step = "OauthToken query"
    if state.skipped(step):
        return apps
    try:
        sees_all = _sees_all_tokens(state.client)
        total = state.client.count("SELECT COUNT() FROM OauthToken")
        rows = _token_rows(state.client, total)
    except OrgCallError as exc:
        state.failed(step, exc)
        return apps
    if len(rows) != total:
        state.warnings.append(
            f"OauthToken: the org counted {total:,} grants but {len(rows):,} were read (tokens changed "
            "during the scan?); usage figures are approximate"
        )
    if not sees_all:
        state.warnings.append(
            "the scanning user lacks 'Customize Application' (or it could not be checked), so OauthToken "
            "may show only the user's own "
            "grants; apps without grants are reported as 'usage unknown', not 'unused'"
        )
    by_app: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_app[str(row.get("AppName") or "").lower()].append(row)
    origin = state.origin("OauthToken")
    matched: set[str] = set()
    out: list[App] = []
    for app in apps:
        keys = [k for k in {(app.label or "").lower(), app.name.lower()} if k and k in by_app]
        grants = [r for k in keys for r in by_app[k]]
        matched.update(keys)
        # NOTE: whether ECA grants show in OauthToken is unconfirmed, so "no rows" proves nothing
        # for an ECA; for anyone who cannot see every grant it proves nothing either.
        if not grants and (not sees_all or app.kind is AppKind.EXTERNAL_CLIENT_APP):
            out.append(app)
            continue
        last = max((str(r["LastUsedDate"]) for r in grants if r.get("LastUsedDate")), default=None)
        users = len({r.get("UserId") for r in grants})
        out.append(replace(app, usage=TokenUsage(len(grants), users, last, origin)))
    stray = sorted(k for k in by_app if k not in matched)
    if stray:
        shown = ", ".join(repr(s) for s in stray[:10]) + (" …" if len(stray) > 10 else "")
        state.warnings.append(f"OauthToken grants for apps not found by label: {shown}")
    return out


def _sees_all_tokens(client: OrgClient) -> bool:
    """Whether the user has Customize Application; False when that cannot be read."""
    try:
        rows = list(client.query("SELECT PermissionsCustomizeApplication FROM UserPermissionAccess"))
    except OrgCallError as exc:
        if exc.fatal:
            raise
        return False
    return bool(rows) and rows[0].get("PermissionsCustomizeApplication") is True


def _token_rows(client: OrgClient, total: int) -> list[dict[str, Any]]:
    """Every OauthToken row. Beyond 2,500 rows, read chunks ordered by UserId, each starting at
    the last user of the previous chunk (whose rows may have been cut) so no row is lost."""
    fields = "AppName, UserId, LastUsedDate, UseCount"
    if total <= TOKEN_CHUNK:
        return list(client.query(f"SELECT {fields} FROM OauthToken"))  # noqa: S608 (constants only)
    rows: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        where = f" WHERE UserId >= '{after}'" if after else ""
        # NOTE: `after` is a record id checked against _SAFE_ID below, so it cannot break the query.
        soql = f"SELECT {fields} FROM OauthToken{where} ORDER BY UserId LIMIT {TOKEN_CHUNK}"  # noqa: S608
        chunk = list(client.query(soql))
        if len(chunk) < TOKEN_CHUNK:
            return rows + chunk
        last = str(chunk[-1].get("UserId") or "")
        if not _SAFE_ID.fullmatch(last):
            raise OrgCallError("OauthToken returned a UserId that is not a record id", "BAD_RESPONSE")
        keep = [r for r in chunk if r.get("UserId") != last]
        if not keep:
            raise OrgCallError(
                f"one user holds more than {TOKEN_CHUNK:,} OauthToken grants, which cannot be paged; "
                "usage figures would be incomplete",
                "TOO_MANY_ROWS",
            )
        rows.extend(keep)
        after = last


_MANAGED = (
    "The org lists this Connected App, but the Metadata API did not return it: apps installed from "
    "a managed package cannot be retrieved, so their OAuth settings cannot be read. The package's "
    "publisher controls them; ask the publisher, or check the app's OAuth policies in Setup > "
    "Connected Apps OAuth Usage."
)
_NOT_RETRIEVED = (
    "The org lists this Connected App, but the Metadata API retrieve failed (see the problems "
    "listed), so its OAuth settings could not be read."
)
_SAFE_ID = re.compile(r"[A-Za-z0-9]{15,18}")
