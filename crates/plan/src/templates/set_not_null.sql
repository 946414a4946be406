ALTER TABLE {{ table | qname }} ALTER COLUMN {{ column | ident }} SET NOT NULL;
