ALTER TABLE {{ table | qname }} VALIDATE CONSTRAINT {{ name | ident }};
