ALTER TABLE {{ table | qname }} ADD COLUMN IF NOT EXISTS {{ column | ident }} {{ type | sql }};
