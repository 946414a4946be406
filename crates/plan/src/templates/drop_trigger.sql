DROP TRIGGER IF EXISTS {{ trigger | ident }} ON {{ table | qname }};
DROP FUNCTION IF EXISTS {{ function | qname }}();
