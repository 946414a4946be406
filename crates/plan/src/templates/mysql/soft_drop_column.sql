-- sluice:ignore renaming-column -- a soft drop: `migrate purge` drops it after the retention period
ALTER TABLE {{ table | qname }} RENAME COLUMN {{ column | ident }} TO {{ to | ident }}, {% for r in indexes %}RENAME INDEX {{ r.from | ident }} TO {{ r.to | ident }}, {% endfor %}{% if instant %}ALGORITHM=INSTANT{% else %}ALGORITHM=INPLACE, LOCK=NONE{% endif %};
