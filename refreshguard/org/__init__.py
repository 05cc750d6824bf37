"""Scan a live Salesforce org: the same verdicts as the offline scan, read straight from the org.

Needs the ``refreshguard[org]`` extra (httpx, PyJWT). Nothing here is imported by the offline scan.
Typical use::

    import httpx
    from refreshguard.org import OrgClient, from_env, scan_org

    with httpx.Client(timeout=DEFAULT_TIMEOUT) as http:
        report = scan_org(OrgClient(from_env(os.environ), http))
"""

from refreshguard.org.auth import Credentials, from_env, from_sf_cli, jwt_bearer
from refreshguard.org.client import DEFAULT_API_VERSION, DEFAULT_TIMEOUT, OrgCallError, OrgClient
from refreshguard.org.collect import OrgCollection, collect_org, scan_org
from refreshguard.org.redact import Redactor, redact

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_TIMEOUT",
    "Credentials",
    "OrgCallError",
    "OrgClient",
    "OrgCollection",
    "Redactor",
    "collect_org",
    "from_env",
    "from_sf_cli",
    "jwt_bearer",
    "redact",
    "scan_org",
]
