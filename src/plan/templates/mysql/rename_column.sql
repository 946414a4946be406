ALTER TABLE {{ table | qname }} RENAME COLUMN {{ from | ident }} TO {{ to | ident }}, {% if instant %}ALGORITHM=INSTANT{% else %}ALGORITHM=INPLACE, LOCK=NONE{% endif %};
