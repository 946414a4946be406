ALTER TABLE {{ table | qname }} ADD CONSTRAINT {{ name | ident }} {{ kind | sql }} USING INDEX {{ index | ident }};
