"""The exceptions refreshguard raises.

Every exception the library raises on purpose derives from :class:`RefreshguardError`::

    RefreshguardError
    ├── ConfigError        the configuration file or a command-line value is wrong
    ├── CollectionError    an input could not be collected as a whole (a missing path)
    │   └── OrgAPIError    a live org answered with an error (reserved for the org collector)
    └── FixError           a fix could not be applied safely

Problems with single files (bad XML, too large, unreadable) are not exceptions: they become
:class:`refreshguard.findings.Problem` values in the report, so one bad file never stops a scan.
Only ``cli.py`` turns these exceptions into messages and exit codes.
"""


class RefreshguardError(Exception):
    """Base class of every error refreshguard raises on purpose."""


class ConfigError(RefreshguardError):
    """The configuration (file or command line) cannot be used as written."""


class CollectionError(RefreshguardError):
    """An input cannot be collected at all."""


class OrgAPIError(CollectionError):
    """A live Salesforce org answered a request with an error."""


class FixError(RefreshguardError):
    """A fix could not be applied without risking the file."""
