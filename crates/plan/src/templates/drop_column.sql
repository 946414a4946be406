ALTER TABLE {{ table | qname }} DROP COLUMN IF EXISTS {{ column | ident }};
