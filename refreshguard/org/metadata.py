"""Metadata API ``retrieve`` over SOAP: build the envelopes, poll, unpack the zip in memory.

One ``retrieve`` call asks for every type at once with ``*`` members, then
``checkRetrieveStatus`` is polled (with growing pauses) until the zip is ready. The number of
calls therefore does not depend on how many apps the org has.
"""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from refreshguard.collectors.inputs import MAX_ZIP_MEMBERS, MAX_ZIP_TOTAL_BYTES, Document, _read_member
from refreshguard.collectors.metadata_types import split_file_name
from refreshguard.findings import Problem
from refreshguard.model import Origin
from refreshguard.org.client import OrgCallError, OrgClient

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
MD_NS = "http://soap.sforce.com/2006/04/metadata"

POLL_DELAYS = (0.5, 1.0, 2.0, 3.0, 5.0)
"""Pauses before each status check; the last one repeats."""
MAX_WAIT_SECONDS = 600.0
"""How long a retrieve may stay unfinished before the scan gives up on it."""


@dataclass(frozen=True, slots=True)
class RetrieveMessage:
    """A per-file remark of a finished retrieve (``messages`` of ``RetrieveResult``)."""

    file_name: str
    """The file it is about (often ``package.xml``)."""
    problem: str
    """What Salesforce says."""


@dataclass(frozen=True, slots=True)
class Retrieved:
    """What a finished retrieve returned."""

    zip_bytes: bytes
    """The decoded zip."""
    messages: tuple[RetrieveMessage, ...]
    """Remarks (unknown types, components that could not be retrieved)."""
    components: dict[str, str]
    """Zip member name -> ``Type:fullName`` from ``fileProperties``."""


def _envelope(session_id: str, operation: str) -> tuple[etree._Element, etree._Element]:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV, "met": MD_NS})
    header = etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
    session = etree.SubElement(header, f"{{{MD_NS}}}SessionHeader")
    etree.SubElement(session, f"{{{MD_NS}}}sessionId").text = session_id
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    return env, etree.SubElement(body, f"{{{MD_NS}}}{operation}")


def _sub(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{MD_NS}}}{name}").text = text


def retrieve_envelope(session_id: str, api_version: str, types: Iterable[str]) -> bytes:
    """The ``retrieve`` request: every member (``*``) of ``types``, as a single package."""
    env, op = _envelope(session_id, "retrieve")
    request = etree.SubElement(op, f"{{{MD_NS}}}retrieveRequest")
    _sub(request, "apiVersion", api_version)
    _sub(request, "singlePackage", "true")
    package = etree.SubElement(request, f"{{{MD_NS}}}unpackaged")
    for name in types:
        entry = etree.SubElement(package, f"{{{MD_NS}}}types")
        _sub(entry, "members", "*")
        _sub(entry, "name", name)
    _sub(package, "version", api_version)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def status_envelope(session_id: str, process_id: str) -> bytes:
    """The ``checkRetrieveStatus`` request, asking for the zip."""
    env, op = _envelope(session_id, "checkRetrieveStatus")
    _sub(op, "asyncProcessId", process_id)
    _sub(op, "includeZip", "true")
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def _text(element: etree._Element, name: str) -> str:
    found = element.find(f"{{{MD_NS}}}{name}")
    if found is None:
        found = element.find(name)
    return (found.text or "").strip() if found is not None else ""


def _all(element: etree._Element, name: str) -> list[etree._Element]:
    return list(element.findall(f"{{{MD_NS}}}{name}")) or list(element.findall(name))


def _result(payload: etree._Element) -> etree._Element:
    found = _all(payload, "result")
    if not found:
        raise OrgCallError("the Metadata API answer has no <result>", "BAD_RESPONSE")
    return found[0]


def retrieve(client: OrgClient, types: Iterable[str], max_wait: float = MAX_WAIT_SECONDS) -> Retrieved:
    """Start a retrieve and poll until it is done."""
    token = client.credentials.access_token
    started = _result(client.metadata_call(retrieve_envelope(token, client.api_version, types), "retrieve"))
    process_id = _text(started, "id")
    if not process_id:
        raise OrgCallError("the retrieve call returned no process id", "BAD_RESPONSE")
    waited = 0.0
    for attempt in range(10_000):
        delay = POLL_DELAYS[min(attempt, len(POLL_DELAYS) - 1)]
        if waited + delay > max_wait:
            break
        client.sleep(delay)
        waited += delay
        payload = client.metadata_call(status_envelope(token, process_id), "checkRetrieveStatus")
        result = _result(payload)
        if _text(result, "done") != "true":
            continue
        return _finished(result)
    raise OrgCallError(
        f"the retrieve did not finish within {max_wait:g} seconds (process {process_id})", "TIMEOUT"
    )


def _finished(result: etree._Element) -> Retrieved:
    status = _text(result, "status")
    if status and status != "Succeeded":
        code = _text(result, "errorStatusCode") or "RETRIEVE_FAILED"
        raise OrgCallError(f"the retrieve ended {status}: {code}: {_text(result, 'errorMessage')}", code)
    messages = tuple(
        RetrieveMessage(_text(m, "fileName"), _text(m, "problem")) for m in _all(result, "messages")
    )
    components = {
        _text(p, "fileName"): f"{_text(p, 'type')}:{_text(p, 'fullName')}"
        for p in _all(result, "fileProperties")
        if _text(p, "fileName")
    }
    raw = "".join(_text(result, "zipFile").split())
    try:
        data = base64.b64decode(raw, validate=True) if raw else b""
    except (binascii.Error, ValueError):
        raise OrgCallError("the retrieve's zipFile is not valid base64", "BAD_RESPONSE") from None
    return Retrieved(data, messages, components)


def documents(retrieved: Retrieved, instance_url: str) -> Iterator[Document | Problem]:
    """Every metadata file of the retrieved zip, as documents named after the org and component."""
    if not retrieved.zip_bytes:
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(retrieved.zip_bytes))
    except zipfile.BadZipFile as exc:
        yield Problem(Origin(instance_url, component="Metadata API retrieve"), f"bad retrieve zip: {exc}")
        return
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            yield Problem(Origin(instance_url), f"the retrieve zip has {len(members):,} entries; refused")
            return
        budget = MAX_ZIP_TOTAL_BYTES
        for info in members:
            parsed = split_file_name(info.filename.rsplit("/", 1)[-1])
            if info.is_dir() or parsed is None:
                continue
            component = retrieved.components.get(info.filename) or f"{parsed[1]}:{parsed[0]}"
            origin = Origin(instance_url, member=info.filename, component=component)
            # NOTE: the offline zip reader's member checks (unsafe names, encryption, bombs) apply
            # unchanged to a zip that came over the wire.
            item = _read_member(archive, info, origin, parsed[1], budget)
            if isinstance(item, Document):
                budget -= len(item.data)
                item = Document(item.origin, item.data, item.expected_type, instance_url)
            yield item
