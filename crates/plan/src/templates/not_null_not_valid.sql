ALTER TABLE {{ table | qname }} ADD CONSTRAINT {{ name | ident }} NOT NULL {{ column | ident }} NOT VALID;
