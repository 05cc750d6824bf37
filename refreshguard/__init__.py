"""refreshguard: find Salesforce OAuth apps whose refresh tokens work without the client secret.

The supported library API is listed in ``__all__``; everything else is internal.
"""

from refreshguard._version import __version__
from refreshguard.baseline import Baseline, apply_baseline, build_baseline, load_baseline
from refreshguard.collectors import Collection, collect_paths
from refreshguard.config import Config, FailOn, Ignore, load_config
from refreshguard.controls import CONTROLS, Control
from refreshguard.errors import (
    CollectionError,
    ConfigError,
    FixError,
    OrgAPIError,
    RefreshguardError,
)
from refreshguard.findings import Finding, Outcome, Problem, Report, Risk, RiskFactor, Severity
from refreshguard.fix import FixResult
from refreshguard.fixes import Disposition, Edit, edits_for
from refreshguard.model import App, AppKind, Known, Origin, Setting
from refreshguard.scan import ExitCode, evaluate, exit_code, scan

__all__ = [
    "CONTROLS",
    "App",
    "AppKind",
    "Baseline",
    "Collection",
    "CollectionError",
    "Config",
    "ConfigError",
    "Control",
    "Disposition",
    "Edit",
    "ExitCode",
    "FailOn",
    "Finding",
    "FixError",
    "FixResult",
    "Ignore",
    "Known",
    "OrgAPIError",
    "Origin",
    "Outcome",
    "Problem",
    "RefreshguardError",
    "Report",
    "Risk",
    "RiskFactor",
    "Setting",
    "Severity",
    "__version__",
    "apply_baseline",
    "build_baseline",
    "collect_paths",
    "edits_for",
    "evaluate",
    "exit_code",
    "load_baseline",
    "load_config",
    "scan",
]
