#!/usr/bin/env python3
"""Lint the Orrery chart with Helm's own library (PyPI helm-sdkpy), with extra values.

helm-sdkpy's Lint takes only a chart path, so values are applied the way `helm lint -f` would
merge them: the chart is copied to a temporary directory whose values.yaml is the chart's
values deep-merged with the given files (PyYAML). Helm then validates against
values.schema.json and renders every template.

usage: lint.py CHART [VALUES.yaml ...] [--set-json JSON]
Prints one line per Helm message; exits 0 when Helm reported no error (severity 3), else 1.
"""
import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from helm_sdkpy.actions import Configuration
from helm_sdkpy.chart import Lint

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base.get(k), v) if k in base else v
        return out
    return over


def lint_capturing_stderr(path):
    """Run Helm's lint with file descriptor 2 sent to a temporary file; return (result, log)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+") as log:
        os.dup2(log.fileno(), 2)
        try:
            result = asyncio.run(Lint(Configuration()).run(path))
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        log.seek(0)
        return result, log.read()


def main(argv):
    chart = Path(argv[0])
    overlays = []
    rest = argv[1:]
    while rest:
        arg = rest.pop(0)
        if arg == "--set-json":
            overlays.append(json.loads(rest.pop(0)))
        else:
            overlays.append(yaml.safe_load(Path(arg).read_text()) or {})
    with tempfile.TemporaryDirectory(prefix="orrery-lint-") as tmp:
        copy = Path(tmp) / chart.name
        shutil.copytree(chart, copy)
        values = yaml.safe_load((copy / "values.yaml").read_text()) or {}
        for o in overlays:
            values = merge(values, o)
        if overlays:
            (copy / "values.yaml").write_text(yaml.safe_dump(values, sort_keys=False))
        result, log = lint_capturing_stderr(str(copy))
    errors = 0
    for m in result.get("Messages") or []:
        sev = m.get("Severity", 0)
        err = m.get("Err") or ""
        print(f"  {SEVERITY.get(sev, sev)}: {m.get('Path')}: {err if err else '(helm-sdkpy gives no message text)'}")
        errors += sev >= 3
    # In lint mode Helm does not stop at a template's `fail` or `required`: it logs the call
    # (on the Go side's stderr) and goes on. Such a call is the chart refusing these values.
    for line in log.splitlines():
        if "funcMap fail" in line or "funcMap required" in line:
            print(f"  ERROR: template refused the values: {line.split('message=', 1)[-1]}")
            errors += 1
    print(f"  charts linted: {result.get('TotalChartsLinted')}, errors: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
