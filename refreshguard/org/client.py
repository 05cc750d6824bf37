"""A small, careful HTTP client for one org: REST queries and Metadata API SOAP calls.

It counts every request it sends, reads the ``Sforce-Limit-Info`` header to stop before the org's
daily API allowance runs out, retries (bounded, exponential backoff) on timeouts, connection errors
and 5xx answers, and turns Salesforce error bodies into :class:`OrgCallError` with the error code.
The HTTP layer is an injected :class:`httpx.Client`, so tests can point it anywhere.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from lxml import etree

from refreshguard.errors import OrgAPIError
from refreshguard.org.auth import Credentials

DEFAULT_API_VERSION = "66.0"
"""Spring '26; every type refreshguard retrieves exists at this version."""
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
"""Per request; a retrieve status answer with a large zip can take a while."""
MAX_SOAP_BYTES = 256 * 1024 * 1024
"""Largest Metadata API answer read (the retrieve zip, base64)."""

_LIMIT = re.compile(r"api-usage=(\d+)/(\d+)")
_FATAL = frozenset({"INVALID_SESSION_ID", "REQUEST_LIMIT_EXCEEDED", "API_RESERVE"})
_SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"


class OrgCallError(OrgAPIError):
    """A request to the org failed; ``code`` is Salesforce's error code (or one of ours)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code
        """``INVALID_SESSION_ID``, ``INSUFFICIENT_ACCESS``, ``REQUEST_LIMIT_EXCEEDED``,
        ``API_RESERVE`` (stopped by refreshguard), ``UNREACHABLE``, ``HTTP_<status>``, ..."""

    @property
    def fatal(self) -> bool:
        """True when no further call can succeed in this run (session gone, allowance spent)."""
        return self.code in _FATAL


class OrgClient:
    """Sends the requests of one scan to one org."""

    def __init__(
        self,
        credentials: Credentials,
        http: httpx.Client,
        *,
        api_version: str = DEFAULT_API_VERSION,
        reserve_percent: float = 10.0,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.http = http
        self.api_version = api_version
        self.reserve_percent = reserve_percent
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self.calls = 0
        """Requests sent (retries included): what the org counts against its allowance."""
        self.usage: tuple[int, int] | None = None
        """The last ``api-usage=N/M`` the org reported: (used, daily maximum)."""
        self.redact = credentials.redactor()

    @property
    def base(self) -> str:
        """The org's instance URL."""
        return self.credentials.instance_url

    def reserve(self) -> int | None:
        """How many calls of the daily allowance are kept back, once the maximum is known."""
        if self.usage is None:
            return None
        return math.ceil(self.usage[1] * self.reserve_percent / 100)

    def _check_budget(self) -> None:
        keep = self.reserve()
        if self.usage is None or keep is None:
            return
        used, maximum = self.usage
        if maximum - used <= keep:
            raise OrgCallError(
                f"stopped before exhausting the org's daily API allowance: {used:,} of {maximum:,} "
                f"calls used, and {keep:,} ({self.reserve_percent:g}%) are kept in reserve for the "
                "org's own integrations; scan later or lower --api-reserve",
                "API_RESERVE",
            )

    def _note_limits(self, response: httpx.Response) -> None:
        found = _LIMIT.search(response.headers.get("Sforce-Limit-Info", ""))
        if found:
            self.usage = (int(found.group(1)), int(found.group(2)))

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request with budget check, retries and call counting. Errors are not interpreted."""
        attempt = 0
        while True:
            self._check_budget()
            self.calls += 1
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TimeoutException:
                failure = "the org did not answer in time"
                code = "TIMEOUT"
            except httpx.TransportError as exc:
                failure = f"cannot reach the org ({type(exc).__name__})"
                code = "UNREACHABLE"
            else:
                self._note_limits(response)
                if response.status_code < 500 or _is_soap_fault(response):
                    return response
                failure = f"the org answered HTTP {response.status_code}"
                code = f"HTTP_{response.status_code}"
            if attempt >= self.max_retries:
                raise OrgCallError(f"{failure}, {attempt + 1} attempts made", code)
            self.sleep(min(self.backoff_seconds * 2**attempt, 30.0))
            attempt += 1

    # REST -----------------------------------------------------------------------------------

    def rest_get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET a REST resource (``/services/data/...``) and return its JSON object."""
        response = self.send(
            "GET",
            f"{self.base}{path}",
            params=params,
            headers={
                "Authorization": f"Bearer {self.credentials.access_token}",
                "Accept": "application/json",
            },
        )
        if response.status_code >= 400:
            raise self._rest_error(response)
        try:
            body = response.json()
        except ValueError:
            raise OrgCallError("the org answered with something that is not JSON", "BAD_RESPONSE") from None
        if not isinstance(body, dict):
            raise OrgCallError("the org answered JSON of an unexpected shape", "BAD_RESPONSE")
        return body

    def _rest_error(self, response: httpx.Response) -> OrgCallError:
        code, message = f"HTTP_{response.status_code}", ""
        try:
            body = response.json()
        except ValueError:
            body = None
        # NOTE: REST errors are a list of {"message", "errorCode"}; OAuth errors are an object.
        first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else body
        if isinstance(first, dict):
            code = str(first.get("errorCode") or first.get("error") or code)
            message = str(first.get("message") or first.get("error_description") or "")
        return OrgCallError(explain(code, self.redact(message)), code)

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record of a SOQL query, following ``nextRecordsUrl``."""
        page = self.rest_get(f"/services/data/v{self.api_version}/query", {"q": soql})
        while True:
            records = page.get("records")
            if not isinstance(records, list):
                raise OrgCallError("a query answer has no records list", "BAD_RESPONSE")
            yield from (r for r in records if isinstance(r, dict))
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not isinstance(next_url, str) or not next_url.startswith("/"):
                return
            page = self.rest_get(next_url)

    def count(self, soql: str) -> int:
        """The ``totalSize`` of a ``SELECT COUNT() ...`` query."""
        page = self.rest_get(f"/services/data/v{self.api_version}/query", {"q": soql})
        total = page.get("totalSize")
        if not isinstance(total, int):
            raise OrgCallError("a COUNT() answer has no totalSize", "BAD_RESPONSE")
        return total

    # SOAP (Metadata API) ----------------------------------------------------------------------

    def metadata_call(self, body: bytes, action: str) -> etree._Element:
        """POST a Metadata API envelope; the first element inside ``<Body>`` of the answer."""
        response = self.send(
            "POST",
            f"{self.base}/services/Soap/m/{self.api_version}",
            content=body,
            headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": action},
        )
        if len(response.content) > MAX_SOAP_BYTES:
            raise OrgCallError("the Metadata API answer is too large to read", "BAD_RESPONSE")
        root = parse_soap(response.content)
        payload = _soap_payload(root)
        if payload is None:
            raise OrgCallError(
                f"the Metadata API answered HTTP {response.status_code} without a SOAP body",
                f"HTTP_{response.status_code}",
            )
        if etree.QName(payload).localname == "Fault":
            raise self._soap_fault(payload)
        if response.status_code >= 400:
            raise OrgCallError(f"the Metadata API answered HTTP {response.status_code}", "BAD_RESPONSE")
        return payload

    def _soap_fault(self, fault: etree._Element) -> OrgCallError:
        # NOTE: fault children are unqualified in Salesforce's answers; match by local name so a
        # default namespace on the envelope does not hide them.
        texts = {etree.QName(c).localname: (c.text or "").strip() for c in fault if isinstance(c.tag, str)}
        code = texts.get("faultcode", "")
        message = texts.get("faultstring", "")
        code = code.rpartition(":")[2] or "SOAP_FAULT"
        return OrgCallError(explain(code, self.redact(message)), code)


def parse_soap(data: bytes) -> etree._Element:
    """Parse a SOAP answer without DTDs, entities or network access."""
    if b"<!doctype" in data[:4096].lower() or b"<!entity" in data[:65536].lower():
        raise OrgCallError("the Metadata API answer declares a DTD; refused", "BAD_RESPONSE")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, remove_comments=True
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise OrgCallError("the Metadata API answer is not well-formed XML", "BAD_RESPONSE") from None


def _soap_payload(root: etree._Element) -> etree._Element | None:
    body = root.find(f"{{{_SOAP_NS}}}Body")
    if body is None:
        return None
    for child in body:
        if isinstance(child.tag, str):
            return child
    return None


def _is_soap_fault(response: httpx.Response) -> bool:
    return response.status_code == 500 and b"Fault>" in response.content[:65536]


_EXPLAIN = {
    "INVALID_SESSION_ID": "the session has expired or was revoked; log in again (for the Salesforce "
    "CLI: `sf org login web`) and scan again",
    "INSUFFICIENT_ACCESS": "the scanning user lacks a permission this step needs; see "
    "docs/live-org.md for the permission set",
    "INSUFFICIENT_ACCESS_OR_READONLY": "the scanning user lacks a permission this step needs; see "
    "docs/live-org.md for the permission set",
    "API_DISABLED_FOR_ORG": "the user's profile or the org's edition does not allow API access "
    "(the 'API Enabled' permission)",
    "REQUEST_LIMIT_EXCEEDED": "the org's API allowance is spent (Salesforce refuses further calls "
    "until it recovers); scan later",
    "INVALID_TYPE": "the org does not know this object or metadata type at this API version",
}


def explain(code: str, message: str) -> str:
    """Salesforce's message with what to do about it."""
    advice = _EXPLAIN.get(code)
    said = f"{code}: {message}" if message else code
    return f"{said} ({advice})" if advice else said
