ALTER TABLE {{ table | qname }} RENAME CONSTRAINT {{ from | ident }} TO {{ to | ident }};
