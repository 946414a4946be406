{% if soft %}-- sluice:ignore renaming-table -- a soft drop: `migrate purge` drops it after the retention period
{% endif %}RENAME TABLE {{ table | qname }} TO {{ to | qname }};
