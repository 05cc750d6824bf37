"""A local stand-in for the Salesforce endpoints the live-org scan uses, served over real HTTP on
127.0.0.1. It speaks the wire formats: Metadata API SOAP envelopes (retrieve, checkRetrieveStatus
with a base64 zip, messages, faults), REST query pages with nextRecordsUrl, REST error arrays,
OAuth token responses and errors, and the Sforce-Limit-Info header.

Shapes follow Salesforce's API documentation and the recorded token responses in
shared/corpus/api; every value here is made up.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from lxml import etree

MD = "http://soap.sforce.com/2006/04/metadata"
SESSION = "00D000000000001!AQ8AQCANARYTOKEN.abc_DEF-123"
CANARY_SECRET = "CANARYSECRET123"
ORG_ID = "00D000000000001"

_SUFFIX_FOLDER = {
    "ConnectedApp": ("connectedApps", "connectedApp"),
    "ExternalClientApplication": ("externalClientApps", "eca"),
    "ExtlClntAppGlobalOauthSettings": ("extlClntAppGlobalOauthSets", "ecaGlblOauth"),
    "ExtlClntAppOauthSettings": ("extlClntAppOauthSettings", "ecaOauth"),
    "ExtlClntAppOauthConfigurablePolicies": ("extlClntAppOauthPolicies", "ecaOauthPlcy"),
    "ExtlClntAppConfigurablePolicies": ("extlClntAppPolicies", "ecaPlcy"),
}


def _xml(root: str, body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{MD}">\n{body}</{root}>\n'.encode()


def connected_app(
    label: str,
    *,
    secret_required: bool | None,
    scopes: tuple[str, ...] = ("Api", "RefreshToken"),
    callback: str = "https://app.example.com/oauth/callback",
) -> bytes:
    """A retrieved ConnectedApp file (with a consumer secret, as retrieves can carry one)."""
    flag = (
        ""
        if secret_required is None
        else f"        <isSecretRequiredForRefreshToken>{str(secret_required).lower()}"
        "</isSecretRequiredForRefreshToken>\n"
    )
    scope_lines = "".join(f"        <scopes>{s}</scopes>\n" for s in scopes)
    return _xml(
        "ConnectedApp",
        "    <contactEmail>user@example.com</contactEmail>\n"
        f"    <label>{escape(label)}</label>\n"
        "    <oauthConfig>\n"
        f"        <callbackUrl>{escape(callback)}</callbackUrl>\n"
        "        <consumerKey>3MVG9FAKEKEY000000000000000000</consumerKey>\n"
        f"        <consumerSecret>{CANARY_SECRET}</consumerSecret>\n"
        f"{flag}{scope_lines}"
        "    </oauthConfig>\n"
        "    <oauthPolicy>\n"
        "        <ipRelaxation>ENFORCE</ipRelaxation>\n"
        "        <refreshTokenPolicy>infinite</refreshTokenPolicy>\n"
        "    </oauthPolicy>\n",
    )


def eca_files(name: str, label: str, *, secret_required: bool) -> dict[str, bytes]:
    """The five files of a retrieved External Client App, keyed by zip member."""
    link = f"    <externalClientApplication>{name}</externalClientApplication>\n"
    lab = f"    <label>{escape(label)}</label>\n"
    return {
        f"externalClientApps/{name}.eca": _xml(
            "ExternalClientApplication",
            "    <contactEmail>user@example.com</contactEmail>\n"
            "    <distributionState>Local</distributionState>\n"
            f"    <isProtected>false</isProtected>\n{lab}",
        ),
        f"extlClntAppGlobalOauthSets/{name}_glbloauth.ecaGlblOauth": _xml(
            "ExtlClntAppGlobalOauthSettings",
            "    <callbackUrl>https://partner.example.com/callback</callbackUrl>\n"
            "    <consumerKey>3MVG9FAKEKEY111111111111111111</consumerKey>\n"
            f"    <consumerSecret>{CANARY_SECRET}</consumerSecret>\n{link}"
            "    <isConsumerSecretOptional>false</isConsumerSecretOptional>\n"
            "    <isPkceRequired>true</isPkceRequired>\n"
            "    <isRefreshTokenRotationEnabled>false</isRefreshTokenRotationEnabled>\n"
            f"    <isSecretRequiredForRefreshToken>{str(secret_required).lower()}"
            f"</isSecretRequiredForRefreshToken>\n{lab}",
        ),
        f"extlClntAppOauthSettings/{name}_oauth.ecaOauth": _xml(
            "ExtlClntAppOauthSettings",
            f"    <commaSeparatedOauthScopes>Api, RefreshToken</commaSeparatedOauthScopes>\n{link}{lab}",
        ),
        f"extlClntAppOauthPolicies/{name}_oauthPlcy.ecaOauthPlcy": _xml(
            "ExtlClntAppOauthConfigurablePolicies",
            f"{link}    <ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>\n{lab}"
            "    <permittedUsersPolicyType>AllSelfAuthorized</permittedUsersPolicyType>\n"
            "    <refreshTokenPolicyType>SpecificLifetime</refreshTokenPolicyType>\n"
            "    <refreshTokenValidityPeriod>365</refreshTokenValidityPeriod>\n"
            "    <refreshTokenValidityUnit>Days</refreshTokenValidityUnit>\n",
        ),
        f"extlClntAppPolicies/{name}_plcy.ecaPlcy": _xml(
            "ExtlClntAppConfigurablePolicies",
            f"{link}    <isEnabled>true</isEnabled>\n"
            f"    <isOauthPluginEnabled>true</isOauthPluginEnabled>\n{lab}",
        ),
    }


def token_row(app: str, user: str, last_used: str | None = "2026-11-02T10:00:00.000+0000") -> dict[str, Any]:
    """One OauthToken record as REST returns it."""
    return {
        "attributes": {"type": "OauthToken"},
        "AppName": app,
        "UserId": user,
        "LastUsedDate": last_used,
        "UseCount": 4,
    }


@dataclass
class Org:
    """Everything the stand-in serves, and knobs for failure scenarios."""

    files: dict[str, bytes] = field(default_factory=dict)
    """Zip members a retrieve returns (Metadata API format paths)."""
    installed: list[str] = field(default_factory=list)
    """ConnectedApplication names (every installed connected app, retrievable or not)."""
    tokens: list[dict[str, Any]] = field(default_factory=list)
    """OauthToken rows."""
    session: str = SESSION
    """The only session id accepted."""
    customize_application: bool = True
    """The scanning user's Customize Application permission (UserPermissionAccess)."""
    gate_off: bool = False
    """The consumer-secret gate: ExtlClntAppGlobalOauthSettings is left out of retrieves."""
    unknown_types: frozenset[str] = frozenset()
    """Types the org reports as unknown in the retrieve's messages."""
    fault_types: frozenset[str] = frozenset()
    """Types that make the retrieve call itself fault (INVALID_TYPE)."""
    polls_before_done: int = 1
    """checkRetrieveStatus answers done=false this many times first."""
    api_used: int = 1200
    api_max: int = 15000
    latency: float = 0.0
    """Seconds added to every answer."""
    inject: dict[str, list[str]] = field(default_factory=dict)
    """Per route (``retrieve``, ``status``, ``query``, ``token``): actions consumed in order:
    ``500``, ``503``, ``timeout``, ``expire`` (the session ends), ``limit`` (403 limit exceeded),
    ``insufficient`` (INSUFFICIENT_ACCESS)."""
    insufficient_objects: frozenset[str] = frozenset()
    """SOQL objects the user may not read."""
    jwt_public_key: Any = None
    """RSA public key that verifies JWT bearer assertions; None refuses the flow."""
    jwt_username: str = "scanner@example.com"
    jwt_consumer_key: str = "3MVG9FAKEJWTKEY"
    timeout_sleep: float = 2.0
    """How long a ``timeout`` action stalls."""
    requests: list[str] = field(default_factory=list)
    """Every request received: ``METHOD route``."""
    _cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _polls: dict[str, int] = field(default_factory=dict)

    def next_action(self, route: str) -> str | None:
        with self._lock:
            queue = self.inject.get(route)
            return queue.pop(0) if queue else None


class _Handler(BaseHTTPRequestHandler):
    org: Org
    base: str

    def log_message(self, format: str, *args: Any) -> None:
        return

    # plumbing ---------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, ctype: str, limit: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if limit:
            with self.org._lock:
                self.org.api_used += 1
                used = self.org.api_used
            self.send_header("Sforce-Limit-Info", f"api-usage={used}/{self.org.api_max}")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any, limit: bool = True) -> None:
        self._send(status, json.dumps(value).encode(), "application/json;charset=UTF-8", limit)

    def _rest_error(self, status: int, code: str, message: str) -> None:
        self._json(status, [{"message": message, "errorCode": code}])

    def _soap(self, status: int, inner: str) -> None:
        # Results use the metadata namespace as default; faults declare it as ``sf:`` only.
        ns = f'xmlns:sf="{MD}"' if "Fault>" in inner else f'xmlns="{MD}"'
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" {ns}>'
            f"<soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>"
        )
        self._send(status, body.encode(), "text/xml;charset=UTF-8")

    def _fault(self, code: str, message: str) -> None:
        self._soap(
            500,
            f"<soapenv:Fault><faultcode>sf:{code}</faultcode>"
            f"<faultstring>{escape(message)}</faultstring></soapenv:Fault>",
        )

    def _common(self, route: str, soap: bool) -> bool:
        """Latency and injected failures; True when an answer was already sent."""
        self.org.requests.append(f"{self.command} {route}")
        if self.org.latency:
            time.sleep(self.org.latency)
        action = self.org.next_action(route)
        if action is None:
            return False
        if action == "timeout":
            time.sleep(self.org.timeout_sleep)
            return self._drop()
        if action in ("500", "503"):
            self._send(int(action), b"<html>Service Unavailable</html>", "text/html")
            return True
        if action == "expire":
            self.org.session = "gone"
            return False
        if action == "limit":
            message = "TotalRequests Limit exceeded."
            if soap:
                self._fault("REQUEST_LIMIT_EXCEEDED", message)
            else:
                self._rest_error(403, "REQUEST_LIMIT_EXCEEDED", message)
            return True
        if action == "insufficient":
            self._rest_error(403, "INSUFFICIENT_ACCESS", "insufficient access rights on cross-reference id")
            return True
        raise AssertionError(action)

    def _drop(self) -> bool:
        try:
            self.wfile.flush()
        finally:
            self.close_connection = True
        return True

    # routes -----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if self._common("query", soap=False):
            return
        if self.headers.get("Authorization") != f"Bearer {self.org.session}":
            self._rest_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
            return
        found = re.fullmatch(r"/services/data/v[\d.]+/query(?:/(\w+-\d+))?", url.path)
        if not found:
            self._rest_error(404, "NOT_FOUND", "The requested resource does not exist")
            return
        if found.group(1):
            with self.org._lock:
                rows = self.org._cursors.pop(found.group(1), None)
            if rows is None:
                self._rest_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
                return
            self._page(rows, len(rows), int(found.group(1).rpartition("-")[2]))
            return
        soql = parse_qs(url.query).get("q", [""])[0]
        self._query(soql)

    def _query(self, soql: str) -> None:
        obj = re.search(r"\bFROM\s+(\w+)", soql, re.I)
        name = obj.group(1) if obj else ""
        if name in self.org.insufficient_objects:
            self._rest_error(403, "INSUFFICIENT_ACCESS", f"sObject type '{name}' is not supported.")
            return
        if name == "OauthToken":
            rows = list(self.org.tokens)
            if re.search(r"SELECT\s+COUNT\(\)", soql, re.I):
                self._json(200, {"totalSize": len(rows), "done": True, "records": []})
                return
            after = re.search(r"UserId\s*>=\s*'(\w+)'", soql)
            if after:
                rows = [r for r in rows if r["UserId"] >= after.group(1)]
            if re.search(r"ORDER BY UserId", soql):
                rows.sort(key=lambda r: r["UserId"])
            limit = re.search(r"LIMIT\s+(\d+)", soql)
            # NOTE: the object answers at most 2,500 rows per query, with or without LIMIT.
            rows = rows[: min(int(limit.group(1)) if limit else 2500, 2500)]
            self._page(rows, len(rows), page_size=500)
        elif name == "ConnectedApplication":
            rows = [
                {"attributes": {"type": "ConnectedApplication"}, "Id": f"0H4{i:012d}", "Name": n}
                for i, n in enumerate(sorted(self.org.installed), 1)
            ]
            self._page(rows, len(rows))
        elif name == "UserPermissionAccess":
            rows = [
                {
                    "attributes": {"type": "UserPermissionAccess"},
                    "PermissionsCustomizeApplication": self.org.customize_application,
                }
            ]
            self._page(rows, 1)
        else:
            self._rest_error(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")

    def _page(self, rows: list[dict[str, Any]], total: int, page_size: int = 2000) -> None:
        body: dict[str, Any] = {"totalSize": total, "done": True, "records": rows[:page_size]}
        if len(rows) > page_size:
            cursor = f"01g{next(self.org._ids):012d}-{page_size}"
            with self.org._lock:
                self.org._cursors[cursor] = rows[page_size:]
            body["done"] = False
            body["nextRecordsUrl"] = f"/services/data/v66.0/query/{cursor}"
        self._json(200, body)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path == "/services/oauth2/token":
            self._token(data)
            return
        if not re.fullmatch(r"/services/Soap/m/[\d.]+", url.path):
            self._rest_error(404, "NOT_FOUND", "The requested resource does not exist")
            return
        root = etree.fromstring(data)
        body = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
        assert body is not None
        op = body[0]
        operation = etree.QName(op).localname
        if self._common("retrieve" if operation == "retrieve" else "status", soap=True):
            return
        session = root.findtext(f".//{{{MD}}}sessionId")
        if session != self.org.session:
            self._fault("INVALID_SESSION_ID", "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader")
            return
        if operation == "retrieve":
            types = [t.findtext(f"{{{MD}}}name") or "" for t in op.iter(f"{{{MD}}}types")]
            bad = [t for t in types if t in self.org.fault_types]
            if bad:
                self._fault("INVALID_TYPE", f"INVALID_TYPE: Unknown type: '{bad[0]}'")
                return
            process = f"09S{next(self.org._ids):012d}"
            self.org._polls[process] = 0
            self.org._cursors[process] = [{"types": types}]
            self._soap(
                200,
                f"<retrieveResponse><result><done>false</done><id>{process}</id>"
                "<state>Queued</state></result></retrieveResponse>",
            )
        elif operation == "checkRetrieveStatus":
            process = op.findtext(f"{{{MD}}}asyncProcessId") or ""
            self.org._polls[process] += 1
            if self.org._polls[process] <= self.org.polls_before_done:
                self._soap(
                    200,
                    f"<checkRetrieveStatusResponse><result><done>false</done><id>{process}</id>"
                    "<status>InProgress</status><success>false</success></result>"
                    "</checkRetrieveStatusResponse>",
                )
                return
            self._soap(200, self._retrieve_result(process, self.org._cursors[process][0]["types"]))
        else:
            self._fault("INVALID_OPERATION", f"No operation available for request {operation}")

    def _retrieve_result(self, process: str, types: list[str]) -> str:
        members: dict[str, bytes] = {}
        props: list[str] = []
        wanted = {_SUFFIX_FOLDER[t][0] for t in types if t in _SUFFIX_FOLDER}
        for path, content in sorted(self.org.files.items()):
            folder, _, file_name = path.partition("/")
            if folder not in wanted:
                continue
            if self.org.gate_off and folder == "extlClntAppGlobalOauthSets":
                continue
            mtype = next(t for t, (f, _) in _SUFFIX_FOLDER.items() if f == folder)
            members[path] = content
            props.append(
                f"<fileProperties><fileName>{path}</fileName><fullName>{file_name.rsplit('.', 1)[0]}"
                f"</fullName><type>{mtype}</type></fileProperties>"
            )
        members["package.xml"] = _xml("Package", f"    <version>{'66.0'}</version>\n")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, content in members.items():
                archive.writestr(path, content)
        messages = "".join(
            f"<messages><fileName>package.xml</fileName><problem>Entity type: '{t}' is unknown"
            "</problem></messages>"
            for t in types
            if t in self.org.unknown_types
        )
        encoded = base64.b64encode(buffer.getvalue()).decode()
        return (
            "<checkRetrieveStatusResponse><result><done>true</done>"
            f"{''.join(props)}<id>{process}</id>{messages}<status>Succeeded</status>"
            f"<success>true</success><zipFile>{encoded}</zipFile></result></checkRetrieveStatusResponse>"
        )

    def _token(self, data: bytes) -> None:
        if self._common("token", soap=False):
            return
        form = {k: v[0] for k, v in parse_qs(data.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            self._json(
                400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
            )
            return
        import jwt

        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self.org.jwt_public_key,
                algorithms=["RS256"],
                audience=self.base,
            )
        except (jwt.PyJWTError, ValueError, TypeError):
            self._json(400, {"error": "invalid_grant", "error_description": "invalid assertion"}, limit=False)
            return
        if claims.get("iss") != self.org.jwt_consumer_key:
            self._json(
                400, {"error": "invalid_client_id", "error_description": "client identifier invalid"}, False
            )
            return
        if claims.get("sub") != self.org.jwt_username:
            self._json(
                400,
                {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"},
                False,
            )
            return
        self._json(
            200,
            {
                "access_token": self.org.session,
                "scope": "api",
                "instance_url": self.base,
                "id": f"https://login.salesforce.com/id/{ORG_ID}/005000000000001AAA",
                "token_type": "Bearer",
            },
            limit=False,
        )


@contextmanager
def serve(org: Org) -> Iterator[str]:
    """Serve ``org`` on a free loopback port; yields the base URL."""
    handler = type("Handler", (_Handler,), {"org": org})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    handler.base = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
