#!/usr/bin/env python3
"""Per-rule finding counts of `migrate lint` next to squawk's on the same PostgreSQL files.

    scripts/compare-squawk.py [CORPORA_DIR] [--last N]

For every PostgreSQL project in CORPORA_DIR/MANIFEST.tsv (default ../shared/corpora) it lints
the project twice with sluice: as a whole (its directory: each migration judged on the schema the
earlier ones left), and with only the last N (default 20) up files as the change set (the
earlier migrations are history, replayed into the catalog, not reported). squawk (`pip install squawk-cli`) lints the same files. Only findings on up
files are counted, so both tools see the same input. Prints one table per mode.
"""
import collections
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
corpora = os.path.abspath(args[0] if args else os.path.join(here, "..", "..", "shared", "corpora"))
last = int(sys.argv[sys.argv.index("--last") + 1]) if "--last" in sys.argv else 20
migrate = os.path.join(here, "..", "target", "release", "migrate")
if not os.path.exists(migrate):
    subprocess.run(["cargo", "build", "--release", "-q", "--bin", "migrate"], check=True, cwd=os.path.join(here, ".."))

# squawk ids that are aliases of ours count under our id
rules = json.loads(subprocess.run([migrate, "rules", "--format", "json"], capture_output=True, text=True, check=True).stdout)
alias = {a: r["id"] for r in rules for a in r["aliases"]}

projects = collections.defaultdict(list)
with open(os.path.join(corpora, "MANIFEST.tsv")) as f:
    for line in f:
        cols = line.rstrip("\n").split("\t")
        if len(cols) >= 5 and cols[1] == "pg" and cols[2] == "up":
            projects[cols[0]].append(cols[4])


def sluice(files, whole=False):
    """Explicit files are the change set (earlier migrations of their directory are history).
    `whole`: lint the project's directory, each migration judged on the schema the earlier ones
    left; a directory whose layout cannot be read (kratos mixes dialects) falls back to files."""
    target = [os.path.commonpath(files)] if whole else files
    out = subprocess.run([migrate, "lint", "--format", "json", "--dialect", "postgres", "--color", "never", *target],
                         cwd=corpora, capture_output=True, text=True)
    if out.returncode == 2 and whole:
        return sluice(files)
    if out.returncode not in (0, 1):
        sys.exit(f"migrate lint failed ({out.returncode}): {out.stderr[:2000]}")
    wanted = set(files)
    return collections.Counter(d["rule"] for d in json.loads(out.stdout)["diagnostics"] if d["path"] in wanted)


def squawk(files):
    out = subprocess.run(["squawk", "--reporter", "json", *files], cwd=corpora, capture_output=True, text=True)
    try:
        return collections.Counter(alias.get(d["rule_name"], d["rule_name"]) for d in json.loads(out.stdout or "[]"))
    except json.JSONDecodeError:
        sys.exit(f"squawk output is not JSON: {out.stdout[:500]} {out.stderr[:500]}")


def table(title, ours, theirs):
    print(f"\n## {title}\n")
    print(f"| rule | squawk 2.70 | sluice |\n|---|---:|---:|")
    for rule in sorted(set(ours) | set(theirs)):
        print(f"| {rule} | {theirs.get(rule, 0)} | {ours.get(rule, 0)} |")
    print(f"| **total** | {sum(theirs.values())} | {sum(ours.values())} |")


for mode in ("whole", "last"):
    ours, theirs = collections.Counter(), collections.Counter()
    for name, files in sorted(projects.items()):
        files = sorted(files)
        chosen = files if mode == "whole" else files[-last:]
        ours += sluice(chosen, whole=mode == "whole")
        theirs += squawk(chosen)
    title = "each project's directory as a whole" if mode == "whole" else f"last {last} up files of each project as the change set"
    table(title, ours, theirs)
