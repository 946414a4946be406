-- rows written since the contract only have {{ new | ident }}: the old code needs {{ old | ident }} back
-- sluice:ignore unbatched-backfill -- a rollback: one pass, run only when the contract is undone
UPDATE {{ table | qname }} SET {{ old | ident }} = {{ new | ident }} WHERE NOT ({{ old | ident }} <=> {{ new | ident }});
