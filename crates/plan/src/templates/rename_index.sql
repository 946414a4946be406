ALTER INDEX {{ index | qname }} RENAME TO {{ to | ident }};
