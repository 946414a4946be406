ALTER TABLE {{ table | qname }} DROP FOREIGN KEY {{ name | ident }}, ALGORITHM=INPLACE, LOCK=NONE;
{% if index %}ALTER TABLE {{ table | qname }} DROP INDEX {{ index | ident }}, ALGORITHM=INPLACE, LOCK=NONE;
{% endif %}
