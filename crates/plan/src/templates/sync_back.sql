-- rows written since the contract only have {{ new | ident }}: the old code needs {{ old | ident }} back
-- sluice:ignore unbatched-backfill -- a rollback: one pass, run only when the contract is undone
UPDATE {{ table | qname }} SET {{ old | ident }} = {{ backward | sql }} WHERE {{ forward | sql }} IS DISTINCT FROM {{ new | ident }};
