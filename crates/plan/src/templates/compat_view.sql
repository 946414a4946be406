-- the old name as a view: simple enough to be automatically updatable, so the old code
-- reads and writes through it
CREATE VIEW {{ view | qname }} AS SELECT * FROM {{ table | qname }};
