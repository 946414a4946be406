#!/usr/bin/env python3
"""Agreement of `migrate lint` with squawk's own rule tests, as a table.

    scripts/squawk-cases.py [CASES_JSON] [--differences]

Runs every case of CASES_JSON (default ../shared/squawk-cases/cases.json, see its README)
through the `migrate` binary the way a user moving over from squawk would: the SQL on stdin,
and a sluice.toml that turns every rule off except the case's (squawk's id looked up among the
rules' ids and aliases; `require-timeout-settings` is the pair require-lock-timeout +
require-statement-timeout, and squawk's `constraint-missing-not-valid` also covers
validate-in-same-transaction), `runner = "golang-migrate-multi-statement"` (squawk's default:
no transaction around the file, each statement on its own) or `"goose"` when the case assumes
one (a transaction around the file, statements sent one at a time), and `server_version` from
the case's PostgreSQL version. A case agrees when the rule fires on a `violation` case and stays silent on
an `ok` one; `mixed` cases are not counted. `--differences` also prints each differing case.

The integration test tests/it/squawk_cases.rs computes the same table through the library and
lists the documented differences.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")
args = [a for a in sys.argv[1:] if not a.startswith("--")]
cases_path = os.path.abspath(args[0] if args else os.path.join(root, "..", "shared", "squawk-cases", "cases.json"))
show = "--differences" in sys.argv

subprocess.run(["cargo", "build", "-q", "--bin", "migrate"], check=True, cwd=root)
migrate = os.path.join(root, "target", "debug", "migrate")

rules = json.loads(subprocess.run([migrate, "rules", "--format", "json"], capture_output=True, text=True, check=True).stdout)
ids = [r["id"] for r in rules]
alias = {a: r["id"] for r in rules for a in r["aliases"]}
alias.update({i: i for i in ids})


def sluice_rules(squawk_id):
    if squawk_id == "require-timeout-settings":
        return ["require-lock-timeout", "require-statement-timeout"]
    found = [alias[squawk_id]] if squawk_id in alias else []
    if squawk_id == "constraint-missing-not-valid":
        found.append("validate-in-same-transaction")
    return found


def fires(case, on, workdir):
    config = os.path.join(workdir, "sluice.toml")
    with open(config, "w") as f:
        if case["pg_version"]:
            f.write(f'server_version = "{case["pg_version"]}"\n')
        runner = "goose" if case["assume_in_transaction"] else "golang-migrate-multi-statement"
        f.write(f'[lint]\nrunner = "{runner}"\n[lint.rules]\n')
        for i in ids:
            f.write(f'{i} = "{"warning" if i in on else "off"}"\n')
    out = subprocess.run(
        [migrate, "--config", config, "--color", "never", "lint", "--format", "json", "--stdin-filename", "case.sql", "-"],
        input=case["sql"], capture_output=True, text=True, cwd=workdir,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"migrate lint failed ({out.returncode}) on {case['file']}:{case['test']}: {out.stderr[:2000]}")
    return any(d["rule"] in on for d in json.loads(out.stdout)["diagnostics"])


with open(cases_path) as f:
    cases = json.load(f)
table = collections.defaultdict(lambda: [0, 0])
no_rule = collections.Counter()
differ = []
with tempfile.TemporaryDirectory() as workdir:
    for case in cases:
        if case["expect"] not in ("violation", "ok"):
            continue
        on = sluice_rules(case["rule"])
        if not on:
            no_rule[case["rule"]] += 1
            continue
        agree = fires(case, on, workdir) == (case["expect"] == "violation")
        table[case["rule"]][0 if agree else 1] += 1
        if not agree:
            differ.append(case)

print("| squawk rule | cases | agree | differ |\n|---|---:|---:|---:|")
for rule, (agree, diff) in sorted(table.items()):
    print(f"| {rule} | {agree + diff} | {agree} | {diff} |")
agree = sum(a for a, _ in table.values())
total = sum(a + d for a, d in table.values())
print(f"| **shared rules** | {total} | {agree} ({100 * agree / max(total, 1):.1f}%) | {total - agree} |")
for rule, n in sorted(no_rule.items()):
    print(f"no Sluice rule: {rule} ({n} cases)")
if show:
    for case in differ:
        print(f"\ndiffers ({case['expect']} in squawk): {case['file']}:{case['test']}\n    " + case["sql"].strip().replace("\n", "\n    "))
