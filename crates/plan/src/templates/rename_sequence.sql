ALTER SEQUENCE IF EXISTS {{ sequence | qname }} RENAME TO {{ to | ident }};
