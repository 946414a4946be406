#!/usr/bin/env python3
"""Plan real migrations into their own projects' layouts and prove the result with
`migrate verify`.

For each PostgreSQL (or, with --dialect mysql, MySQL) up migration of ../shared/corpora whose
plan uses a recipe (not only
pass-through statements; --all: every one): copy its history up to it into a scratch directory, run
`migrate plan <file> --out <layout>` there (the plan replaces the file with migrations of the
same layout), then `migrate verify` the migrations the plan wrote on a scratch database
(history replayed, tables filled with generated rows, every phase up, down and up again), and
next to the naive migration (`--naive`: every phase up must give its schema and rows; a plan
whose phases prove but differ from it is `unlike`). A migration whose plan is refused is
counted `refused` with the planner's reason.
Prints one line per migration and a summary.

    scripts/plan-verify-corpora.py [--history ente] [--limit 20] [--rows 100]
    scripts/plan-verify-corpora.py --dialect mysql [--history kratos-mysql]

Needs a debug build (`cargo build --bin migrate`) and PostgreSQL at
$SLUICE_SCRATCH_URL (default postgres://postgres@127.0.0.1:5432/test), or MariaDB at
$SLUICE_SCRATCH_URL_MYSQL (default mysql://root@127.0.0.1:3306/test), planned for MariaDB.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPORA = os.path.normpath(os.path.join(ROOT, "..", "shared", "corpora"))
MIGRATE = os.path.join(ROOT, "target", "debug", "migrate")
SCRATCH = {
    "pg": os.environ.get("SLUICE_SCRATCH_URL", "postgres://postgres@127.0.0.1:5432/test"),
    "mysql": os.environ.get("SLUICE_SCRATCH_URL_MYSQL", "mysql://root@127.0.0.1:3306/test"),
}
# how `migrate plan` is told the dialect
DIALECT_ARGS = {"pg": [], "mysql": ["--dialect", "mariadb"]}

# kratos keeps every dialect's files side by side: the other dialects' are left out
OTHER_DIALECTS = {
    "pg": re.compile(r"\.(mysql|sqlite3?|cockroach)\.(up|down)\.sql$"),
    "mysql": re.compile(r"\.(postgres|sqlite3?|cockroach)\.(up|down)\.sql$"),
}


# What a project's deployment does outside its migrations (`migrate verify --setup`):
# chirpstack's initial migration indexes with gin_trgm_ops; its docs create pg_trgm by hand.
# lemmy's `2025-08-01-000017_forbid_diesel_cli` puts a trigger on diesel's own ledger table,
# which diesel's runner creates (its definition as diesel makes it). lemmy's history from
# `2025-08-01-000016` on needs PostgreSQL 16 or later (SLUICE_SCRATCH_URL).
SETUP = {
    "chirpstack": "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n",
    "lemmy": "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations "
    "(version varchar(50) PRIMARY KEY NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);\n",
}


def digest(path):
    """The contents of a file, or of every file under a directory, as one value."""
    if os.path.isdir(path):
        return tuple((f, digest(os.path.join(path, f))) for f in sorted(os.listdir(path)))
    with open(path, "rb") as f:
        return f.read()


def version_key(name):
    """The version a migration's file or directory name starts with, as numbers."""
    m = re.match(r"V?([0-9][0-9_.-]*)", name)
    # diesel's 2017-08-31-230457 and crates.io's older 20170308140537 compare as one number
    return int("".join(re.findall(r"\d+", m.group(1)))) if m else None


def recipes(path, dialect):
    """The plan's recipes other than pass-through; for a refused plan, None and the reason."""
    r = subprocess.run([MIGRATE, "plan", path, "--format", "json", *DIALECT_ARGS[dialect]],
                       capture_output=True, text=True)
    try:
        plan = json.loads(r.stdout)["plan"]
    except (ValueError, KeyError):
        reason = next((l for l in r.stderr.splitlines() if "refused" in l), r.stderr.strip())
        return None, reason.split("refused: ", 1)[-1][:160]
    return sorted({a["recipe"] for a in plan["recipes"] if a["recipe"] != "pass-through"}), None


def verify_one(rel, rows, dialect, keep=False, config=None):
    src = os.path.join(CORPORA, rel)
    entry = os.path.dirname(src) if os.path.basename(src) in ("up.sql", "down.sql") else src
    mdir = os.path.dirname(entry)
    target = version_key(os.path.basename(entry))
    work = tempfile.mkdtemp(prefix="sluice-plan-verify-")
    try:
        m = os.path.join(work, "m")
        os.makedirs(m)
        for e in sorted(os.listdir(mdir)):
            k = version_key(e)
            if k is None or k > target:
                continue
            if OTHER_DIALECTS[dialect].search(e):
                continue
            p = os.path.join(mdir, e)
            (shutil.copytree if os.path.isdir(p) else shutil.copy)(p, os.path.join(m, e))
        before = {e: digest(os.path.join(m, e)) for e in os.listdir(m)}
        if config:
            with open(os.path.join(work, "sluice.toml"), "w") as f:
                f.write(config.replace("\\n", "\n") + "\n")
        naive = os.path.relpath(os.path.join(m, os.path.relpath(src, mdir)), work)
        # a copy of the naive migration, which the plan replaces, for `verify --naive`
        kept = os.path.join(work, "naive")
        os.makedirs(kept)
        if os.path.isdir(entry):
            shutil.copytree(entry, os.path.join(kept, os.path.basename(entry)))
        else:
            shutil.copy(src, kept)
        kept = os.path.relpath(os.path.join(kept, os.path.relpath(src, mdir)), work)
        out = os.path.join("m", os.path.basename(entry)) if os.path.isdir(entry) else "m"
        p = subprocess.run([MIGRATE, "plan", naive, "--out", out, *DIALECT_ARGS[dialect]],
                           cwd=work, capture_output=True, text=True)
        if p.returncode != 0:
            reason = next((l for l in p.stderr.splitlines() if "refused" in l), p.stderr.strip())
            return "refused", reason.split("refused: ", 1)[-1][:160]
        ups = []
        for e in sorted(os.listdir(m)):
            if e in before and version_key(e) != target:
                continue
            # the naive file the plan left as it was (kratos: the plan writes the dialect's
            # own `.postgres.` files, which replace the one of every dialect)
            if before.get(e) == digest(os.path.join(m, e)):
                continue
            path = os.path.join("m", e)
            if os.path.isdir(os.path.join(work, path)):
                ups.append(os.path.join(path, "up.sql"))
            elif e.endswith(".sql") and not e.endswith(".down.sql") and not e.startswith("U"):
                ups.append(path)
        setup = []
        if rel.split("/")[0] in SETUP:
            with open(os.path.join(work, "setup.sql"), "w") as f:
                f.write(SETUP[rel.split("/")[0]])
            setup = ["--setup", "setup.sql"]
        v = subprocess.run(
            [MIGRATE, "verify", *ups, *setup, "--naive", kept, "--rows", str(rows),
             "--scratch-url", SCRATCH[dialect], "--format", "json"],
            cwd=work, capture_output=True, text=True,
        )
        try:
            report = json.loads(v.stdout)
        except ValueError:
            return "error", (v.stderr.strip().splitlines() or ["no output"])[-1][:160]
        outcomes = [mig["outcome"] for run in report["runs"] for mig in run["migrations"]]
        unlike = [
            step.get("error") or "; ".join(
                [f"{d['object']}: {d['change']}" for d in (step.get("diff") or {}).get("differences", [])]
                + [d["message"] for d in step.get("data", [])]
            )
            for run in report["runs"] for step in [run.get("naive")]
            if step and (step.get("error") or (step.get("diff") or {}).get("differences") or step.get("data"))
        ]
        if all(o in ("proven", "irreversible") for o in outcomes) and not unlike:
            notes = [n["message"] for run in report["runs"] for n in (run.get("naive") or {}).get("data_notes", [])]
            return "proven", " ".join(outcomes) + (f" (notes: {'; '.join(notes)})" if notes else "")
        if all(o in ("proven", "irreversible") for o in outcomes):
            return "unlike", unlike[0][:300]
        failed = [
            f"{mig['version']} {s['step']}: {s.get('error') or ''}"
            for run in report["runs"] for mig in run["migrations"]
            for s in mig["steps"] if s.get("error") or s.get("differences")
        ]
        return "failed", (failed or [" ".join(outcomes)])[0][:1200]
    finally:
        if keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--history", help="only this history of the manifest (e.g. ente, lemmy)")
    ap.add_argument("--limit", type=int, default=0, help="at most this many migrations")
    ap.add_argument("--rows", type=int, default=100, help="generated rows per table (verify --rows)")
    ap.add_argument("--only", help="only the migrations whose path holds this text")
    ap.add_argument("--skip", type=int, default=0,
                    help="pass over the first N migrations that would be verified (resume a long sweep)")
    ap.add_argument("--keep", action="store_true", help="keep the work directories (printed)")
    ap.add_argument("--all", action="store_true",
                    help="also the plans that only pass statements through (a DELETE the runner batches)")
    ap.add_argument("--config", help="sluice.toml of the work directory, `\\n` for a new line "
                    "(e.g. '[lint]\\nrunner = \"sluice\"\\n[run]\\nlarge_table_rows = 0': the plan "
                    "applied by Sluice, every statement through its online strategy)")
    ap.add_argument("--dialect", choices=["pg", "mysql"], default="pg",
                    help="the histories of this dialect (default pg)")
    args = ap.parse_args()
    rows = [l.split("\t") for l in open(os.path.join(CORPORA, "MANIFEST.tsv")).read().splitlines()]
    picked = [
        (r[0], r[4]) for r in rows
        if len(r) >= 5 and r[1] == args.dialect and r[2] == "up" and (not args.history or r[0] == args.history)
        and (not args.only or args.only in r[4])
    ]
    counts = {}
    done = 0
    for history, rel in picked:
        rs, refusal = recipes(os.path.join(CORPORA, rel), args.dialect)
        if refusal is not None:
            # refused on its own history: counted, not verified
            outcome, detail, rs = "refused", refusal, []
        elif not rs and not args.all:
            continue
        elif args.skip > 0:
            args.skip -= 1
            continue
        else:
            outcome, detail = verify_one(rel, args.rows, args.dialect, args.keep, args.config)
        counts[outcome] = counts.get(outcome, 0) + 1
        print(f"{outcome:8} {rel} [{','.join(rs)}] {detail}", flush=True)
        done += 1
        if args.limit and done >= args.limit:
            break
    print("summary: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0 if not any(counts.get(k) for k in ("failed", "error", "unlike")) else 1


if __name__ == "__main__":
    sys.exit(main())
