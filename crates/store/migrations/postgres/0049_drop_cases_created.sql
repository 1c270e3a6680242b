-- cases_created_node (created_at, node_code) answers every read by report time that
-- cases_created (created_at) did; every report paid for both.
DROP INDEX IF EXISTS cases_created;
