ALTER TABLE {{ table | qname }} RENAME TO {{ to | ident }};
