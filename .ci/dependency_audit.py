"""Reads pip-audit's JSON report (.ci/run writes it): exit 1 on a known vulnerability, exit 0 with a
warning when the advisory service could not be reached or knew none of the packages.

    python .ci/dependency_audit.py REPORT_DIR PIP_AUDIT_EXIT_CODE
"""

import json
import pathlib
import sys

folder, rc = pathlib.Path(sys.argv[1]), int(sys.argv[2])
report = folder / "audit.json"
if not report.is_file() or report.stat().st_size == 0:
    print(
        f"WARNING: dependency audit not done, the advisory service could not be reached (pip-audit exit {rc}):"
    )
    print("\n".join((folder / "stderr").read_text().strip().splitlines()[-1:]))
    sys.exit(0)
packages = json.loads(report.read_text())["dependencies"]
vulnerable = [p for p in packages if p.get("vulns")]
for p in vulnerable:
    for v in p["vulns"]:
        fixed = ", ".join(v.get("fix_versions") or []) or "no fixed release yet"
        print(f"VULNERABLE {p['name']} {p['version']}: {v['id']} (fixed in {fixed})")
if vulnerable:
    sys.exit(1)
skipped = [p["name"] for p in packages if "skip_reason" in p]
if len(skipped) == len(packages):
    print(
        f"WARNING: dependency audit not done, PyPI answered for none of the {len(packages)} locked packages"
    )
    sys.exit(0)
print(f"dependency audit: {len(packages) - len(skipped)} packages, no known vulnerabilities")
if skipped:
    print(f"WARNING: not audited (unknown to PyPI's advisory data): {', '.join(skipped)}")
