DROP VIEW IF EXISTS {{ view | qname }};
