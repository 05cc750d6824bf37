"""Benchmark the offline scan on a large synthetic SFDX project.

Builds a project in a temporary folder with tens of thousands of metadata files (mostly types the
scan must skip: classes, objects, fields, layouts, flows) and 2,000 OAuth apps (Connected Apps,
full External Client Apps and partial ones), then prints:

(a) the time to merely walk the tree and read the bytes of the files the scan reads;
(b) the time of ``refreshguard.scan`` on the same tree, and the ratio (target: within 3x);
    plus the scan's peak Python memory (tracemalloc) and the process's peak RSS;
(c) the start-up time of ``refreshguard --version`` (median of several runs; target: < 0.3 s).

Usage: python bench/bench_scan.py [--apps 2000] [--other 20000] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from refreshguard import scan
from refreshguard.collectors.inputs import SKIPPED_DIRS
from refreshguard.collectors.metadata_types import split_file_name

NS = "http://soap.sforce.com/2006/04/metadata"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _ca(i: int) -> str:
    flag = "true" if i % 3 else "false"
    return (
        f'{HEAD}<ConnectedApp xmlns="{NS}">\n    <contactEmail>dev{i}@example.com</contactEmail>\n'
        f"    <label>Integration {i}</label>\n    <oauthConfig>\n"
        f"        <callbackUrl>https://app{i}.example.com/oauth/callback</callbackUrl>\n"
        f"        <consumerKey>3MVG9FAKE{i:08d}consumerkey000000000000000000000000000000000</consumerKey>\n"
        f"        <isAdminApproved>{'true' if i % 2 else 'false'}</isAdminApproved>\n"
        "        <isConsumerSecretOptional>false</isConsumerSecretOptional>\n"
        f"        <isSecretRequiredForRefreshToken>{flag}</isSecretRequiredForRefreshToken>\n"
        "        <scopes>Api</scopes>\n        <scopes>RefreshToken</scopes>\n    </oauthConfig>\n"
        "    <oauthPolicy>\n        <ipRelaxation>ENFORCE</ipRelaxation>\n"
        "        <refreshTokenPolicy>infinite</refreshTokenPolicy>\n    </oauthPolicy>\n</ConnectedApp>\n"
    )


def _eca_files(i: int, full: bool) -> dict[str, str]:
    app = f"Eca_{i:05d}"
    link = f"    <externalClientApplication>{app}</externalClientApplication>\n"
    files = {
        f"externalClientApps/{app}.eca-meta.xml": f'{HEAD}<ExternalClientApplication xmlns="{NS}">\n'
        "    <contactEmail>dev@example.com</contactEmail>\n"
        "    <distributionState>Local</distributionState>\n"
        f"    <label>{app}</label>\n</ExternalClientApplication>\n",
        f"extlClntAppOauthSettings/{app}_oauth.ecaOauth-meta.xml": f"{HEAD}"
        f'<ExtlClntAppOauthSettings xmlns="{NS}">\n'
        f"    <commaSeparatedOauthScopes>Api, RefreshToken, OpenID</commaSeparatedOauthScopes>\n{link}"
        f"    <label>{app}_oauth</label>\n</ExtlClntAppOauthSettings>\n",
    }
    if full:
        files[f"extlClntAppGlobalOauthSets/{app}_glbloauth.ecaGlblOauth-meta.xml"] = (
            f'{HEAD}<ExtlClntAppGlobalOauthSettings xmlns="{NS}">\n'
            f"    <callbackUrl>https://{app.lower()}.example.com/cb</callbackUrl>\n{link}"
            "    <isPkceRequired>true</isPkceRequired>\n"
            "    <isRefreshTokenRotationEnabled>false</isRefreshTokenRotationEnabled>\n"
            f"    <isSecretRequiredForRefreshToken>{'true' if i % 4 else 'false'}"
            "</isSecretRequiredForRefreshToken>\n"
            f"    <label>{app}_glbloauth</label>\n</ExtlClntAppGlobalOauthSettings>\n"
        )
        files[f"extlClntAppOauthPolicies/{app}_oauthPlcy.ecaOauthPlcy-meta.xml"] = (
            f'{HEAD}<ExtlClntAppOauthConfigurablePolicies xmlns="{NS}">\n{link}'
            "    <ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>\n"
            "    <permittedUsersPolicyType>AllSelfAuthorized</permittedUsersPolicyType>\n"
            "    <refreshTokenPolicyType>SpecificLifetime</refreshTokenPolicyType>\n"
            "    <refreshTokenValidityPeriod>365</refreshTokenValidityPeriod>\n"
            "    <refreshTokenValidityUnit>Days</refreshTokenValidityUnit>\n"
            "</ExtlClntAppOauthConfigurablePolicies>\n"
        )
        files[f"extlClntAppPolicies/{app}_plcy.ecaPlcy-meta.xml"] = (
            f'{HEAD}<ExtlClntAppConfigurablePolicies xmlns="{NS}">\n{link}'
            "    <isEnabled>true</isEnabled>\n    <isOauthPluginEnabled>true</isOauthPluginEnabled>\n"
            "</ExtlClntAppConfigurablePolicies>\n"
        )
    return files


def _other(i: int) -> dict[str, str]:
    """Non-OAuth metadata the walk must skip, in the shapes real projects have."""
    kind = i % 5
    if kind == 0:
        return {
            f"classes/Service{i}.cls": f"public with sharing class Service{i} {{\n"
            f"    public static Integer n() {{ return {i}; }}\n}}\n",
            f"classes/Service{i}.cls-meta.xml": f'{HEAD}<ApexClass xmlns="{NS}">\n'
            "    <apiVersion>62.0</apiVersion>\n"
            "    <status>Active</status>\n</ApexClass>\n",
        }
    if kind == 1:
        obj = f"Thing{i // 50}__c"
        return {
            f"objects/{obj}/fields/Field{i}__c.field-meta.xml": f'{HEAD}<CustomField xmlns="{NS}">\n'
            f"    <fullName>Field{i}__c</fullName>\n    <label>Field {i}</label>\n    <type>Text</type>\n"
            "    <length>80</length>\n</CustomField>\n",
            f"objects/{obj}/{obj}.object-meta.xml": f'{HEAD}<CustomObject xmlns="{NS}">\n'
            f"    <label>{obj}</label>\n"
            "    <sharingModel>ReadWrite</sharingModel>\n</CustomObject>\n",
        }
    if kind == 2:
        return {
            f"layouts/Thing{i}__c-Layout.layout-meta.xml": f'{HEAD}<Layout xmlns="{NS}">\n'
            "    <layoutSections>\n"
            "        <label>Information</label>\n        <style>TwoColumnsTopToBottom</style>\n"
            "    </layoutSections>\n</Layout>\n"
        }
    if kind == 3:
        return {
            f"flows/Flow{i}.flow-meta.xml": f'{HEAD}<Flow xmlns="{NS}">\n    <apiVersion>62.0</apiVersion>\n'
            f"    <label>Flow {i}</label>\n    <processType>AutoLaunchedFlow</processType>\n</Flow>\n"
        }
    return {
        f"lwc/cmp{i}/cmp{i}.js": "import { LightningElement } from 'lwc';\n"
        "export default class C extends LightningElement {}\n",
        f"lwc/cmp{i}/cmp{i}.js-meta.xml": f'{HEAD}<LightningComponentBundle xmlns="{NS}">\n'
        "    <apiVersion>62.0</apiVersion>\n    <isExposed>false</isExposed>\n</LightningComponentBundle>\n",
    }


def build(root: Path, apps: int, other: int) -> tuple[int, int]:
    """Write the project; returns (all files written, OAuth metadata files)."""
    (root / "sfdx-project.json").write_text(
        '{"packageDirectories": [{"path": "force-app", "default": true}], "sourceApiVersion": "62.0"}\n'
    )
    base = root / "force-app" / "main" / "default"
    files: dict[str, str] = {}
    oauth = 0
    for i in range(apps):
        if i % 5 < 2:  # 40 % Connected Apps
            files[f"connectedApps/Integration_{i:05d}.connectedApp-meta.xml"] = _ca(i)
            oauth += 1
        else:  # the rest ECAs, one in three partial (no global settings or policies)
            parts = _eca_files(i, full=i % 3 != 0)
            files.update(parts)
            oauth += len(parts)
    i = 0
    while len(files) - oauth < other:
        files.update(_other(i))
        i += 1
    for rel, text in files.items():
        target = base / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    # Tool folders the scan must not enter.
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / ".sfdx" / "tools").mkdir(parents=True)
    return len(files), oauth


def raw_read(root: Path) -> int:
    """Walk like the scan does and read the bytes of the files it would parse."""
    total = 0
    for current, dirnames, filenames in os.walk(root / "force-app"):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        for name in filenames:
            if split_file_name(name) is not None:
                total += len(Path(current, name).read_bytes())
    return total


def _times(fn: object, repeat: int) -> tuple[float, float]:
    """(median wall time, median CPU time) of ``repeat`` runs. CPU time is steadier on a busy
    machine, so the ratio is judged on it; both are printed."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def startup(repeat: int) -> float:
    script = Path(sys.executable).with_name("refreshguard")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "refreshguard"]
    subprocess.run([*command, "--version"], check=True, capture_output=True)  # warm the caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([*command, "--version"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--apps", type=int, default=2000)
    parser.add_argument("--other", type=int, default=20000, help="non-OAuth metadata files")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="build the project in DIR and keep it")
    args = parser.parse_args()

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="refreshguard-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        written, oauth = build(root, args.apps, args.other)
        print(f"project: {root}")
        print(
            f"  {written:,} files written ({oauth:,} OAuth metadata files, {args.apps:,} apps) "
            f"in {time.perf_counter() - start:.1f} s"
        )

        nbytes = raw_read(root)  # warm the page cache for both measurements
        report = scan([root])
        read_wall, read_cpu = _times(lambda: raw_read(root), args.repeat)
        scan_wall, scan_cpu = _times(lambda: scan([root]), args.repeat)
        print(
            f"(a) walk + read bytes:  {read_wall * 1000:7.1f} ms wall, {read_cpu * 1000:7.1f} ms CPU  "
            f"({nbytes / 1e6:.1f} MB; medians of {args.repeat})"
        )
        print(
            f"(b) refreshguard.scan:  {scan_wall * 1000:7.1f} ms wall, {scan_cpu * 1000:7.1f} ms CPU  "
            f"({report.files_scanned:,} files, {len(report.findings):,} findings, "
            f"{len(report.problems)} problems)"
        )
        ratio = scan_cpu / read_cpu
        print(
            f"    ratio scan/read:    {ratio:5.2f} x CPU, {scan_wall / read_wall:5.2f} x wall   "
            f"(target <= 3.0 x: {'met' if ratio <= 3.0 else 'MISSED'})"
        )

        tracemalloc.start()
        scan([root])
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"    peak memory:        {peak / 1e6:8.1f} MB traced by tracemalloc during one scan; "
            f"process max RSS {rss_kib / 1024:.0f} MiB"
        )

        up = startup(max(args.repeat, 7))
        print(
            f"(c) refreshguard --version: {up * 1000:6.1f} ms (median of {max(args.repeat, 7)}; "
            f"target < 300 ms: {'met' if up < 0.3 else 'MISSED'})"
        )
        counts = report.counts()
        print("    verdicts:", ", ".join(f"{k} {counts[k]}" for k in sorted(counts)))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
