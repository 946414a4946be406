ALTER TABLE {{ table | qname }} ALTER COLUMN {{ column | ident }} DROP NOT NULL;
