#!/usr/bin/env python3
"""Merge the runs of several zdt-bench result directories (e.g. interleaved blocks of the
same binary) and print per change: stall, p99, quiet max, failed queries, migration time
(median (min-max) over all runs), and from the lock sampler the longest wait of an
application query behind a backfill batch (the blocker's statement is the batch UPDATE,
its SET LOCAL prologue, its checkpoint or COMMIT) and behind any migration statement.

usage: scripts/zdt-summary.py LABEL DIR [DIR ...]
"""
import json, sys, statistics as st

label=sys.argv[1]; dirs=sys.argv[2:]
runs={}
for d in dirs:
    r=json.load(open(d+'/results.json'))
    for c in r['changes']:
        for mode,m in c['modes'].items():
            runs.setdefault((c['change'],mode),[]).extend(m['runs'])
def s(v):
    v=sorted(v); return "%.1f (%.1f-%.1f)"%(st.median(v),v[0],v[-1])
for (ch,mode),rs in runs.items():
    stall=[r['stall_ms'] for r in rs]; mig=[r['migration_ms']/1000 for r in rs]; quiet=[r['before_max_ms'] for r in rs]
    p99=[r['stall_p99_ms'] for r in rs]
    fails=sum(r['failed'] for r in rs); ok=sum(1 for r in rs if r['ok'])
    batch=[w['max_wait_ms'] for r in rs for w in r['lock_waits'] if w['waiter']=='load' and w['blocker']=='migration' and ('UPDATE "accounts"' in w['blocker_sql'] or 'SET LOCAL' in w['blocker_sql'] or w['blocker_sql']=='COMMIT' or 'sluice_backfill' in w['blocker_sql'])]
    anyw=[w['max_wait_ms'] for r in rs for w in r['lock_waits'] if w['waiter']=='load' and w['blocker']=='migration']
    print(f"{label:10} {ch:20} {mode:6} n={len(rs)} ok={ok} stall {s(stall)} p99 {s(p99)} quiet {s(quiet)} failed {fails} migration_s {s(mig)} | load<-batch max {max(batch) if batch else 0:.1f} ms ({len(batch)} kinds/runs) load<-any migration {max(anyw) if anyw else 0:.1f}")
