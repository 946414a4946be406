ALTER TABLE {{ table | qname }} RENAME COLUMN {{ from | ident }} TO {{ to | ident }};
