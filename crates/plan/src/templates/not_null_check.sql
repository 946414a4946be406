ALTER TABLE {{ table | qname }} ADD CONSTRAINT {{ name | ident }} CHECK ({{ column | ident }} IS NOT NULL) NOT VALID;
