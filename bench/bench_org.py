"""Live-org scan speed against the loopback stand-in with 200 ms added to every call.

Target: the same handful of API calls whatever the number of apps, and under 5 s for an org with
500 apps and 5,000 OauthToken rows. Run: `.venv/bin/python bench/bench_org.py`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from org_standin import SESSION, Org, connected_app, eca_files, serve, token_row

from refreshguard.org import Credentials, OrgClient, scan_org

LATENCY = 0.2


def build(apps: int, tokens: int) -> Org:
    files: dict[str, bytes] = {}
    labels: list[str] = []
    for i in range(apps):
        label = f"App {i:04d}"
        labels.append(label)
        if i % 5 == 0:
            files |= eca_files(f"Eca_{i:04d}", label, secret_required=i % 2 == 0)
        else:
            files[f"connectedApps/Ca_{i:04d}.connectedApp"] = connected_app(label, secret_required=i % 3 != 0)
    rows = [
        token_row(
            labels[t % len(labels)], f"005{t // 7:012d}AAA", f"2026-11-{1 + t % 28:02d}T00:00:00.000+0000"
        )
        for t in range(tokens)
    ]
    installed = [label for i, label in enumerate(labels) if i % 5] + ["Managed Vendor App"]
    return Org(files=files, installed=installed, tokens=rows, latency=LATENCY, polls_before_done=0)


def measure(apps: int, tokens: int) -> tuple[int, float, int]:
    org = build(apps, tokens)
    with serve(org) as base, httpx.Client(timeout=30.0) as http:
        client = OrgClient(Credentials(base, SESSION, "bench"), http)
        start = time.perf_counter()
        report = scan_org(client)
        elapsed = time.perf_counter() - start
    assert not report.problems, report.problems
    return client.calls, elapsed, len({f.app.key for f in report.findings})


def main() -> None:
    print(f"latency per call: {LATENCY * 1000:.0f} ms (plus a 0.5 s first retrieve poll)")
    for apps, tokens in ((50, 5000), (500, 0), (500, 5000)):
        calls, elapsed, judged = measure(apps, tokens)
        print(
            f"{apps:4d} apps, {tokens:5d} token rows: {calls:3d} API calls, "
            f"{elapsed:5.2f} s, {judged} apps judged"
        )


if __name__ == "__main__":
    main()
