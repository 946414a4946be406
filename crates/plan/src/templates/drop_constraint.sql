ALTER TABLE {{ table | qname }} DROP CONSTRAINT IF EXISTS {{ name | ident }};
