{% if why %}-- {{ why | sql }}
{% endif %}{% if tool %}-- sluice:strategy {{ tool | sql }}
{% endif %}ALTER TABLE {{ table | qname }} MODIFY COLUMN {{ column | ident }} {{ type | sql }}{% if charset %} CHARACTER SET {{ charset | ident }}{% endif %}{% if collation %} COLLATE {{ collation | ident }}{% endif %}{% if not_null %} NOT NULL{% else %} NULL{% endif %}{% if default %} DEFAULT {{ default | sql }}{% endif %}{% if tool %}{% elif instant %}, ALGORITHM=INSTANT{% else %}, ALGORITHM=INPLACE, LOCK=NONE{% endif %};
