ALTER TABLE {{ table | qname }} DROP {% if primary %}PRIMARY KEY{% else %}INDEX {{ name | ident }}{% endif %}, ALGORITHM=INPLACE, LOCK=NONE;
