ALTER TABLE {{ table | qname }} DROP COLUMN {{ column | ident }}, {% if instant %}ALGORITHM=INSTANT{% else %}ALGORITHM=INPLACE, LOCK=NONE{% endif %};
