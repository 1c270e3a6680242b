-- When a case was last handled (办结) and closed (结案), kept on the case so the dashboard's
-- on-time and disposal figures are plain column reads; backfilled from the timeline.

ALTER TABLE cases ADD COLUMN handled_at BIGINT;
ALTER TABLE cases ADD COLUMN closed_at BIGINT;

UPDATE cases SET handled_at = (
    SELECT MAX(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.to_stage = 'handled'
) WHERE stage IN ('handled', 'verified', 'closed', 'rated', 'followed_up');

UPDATE cases SET closed_at = (
    SELECT MAX(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.to_stage = 'closed'
) WHERE stage IN ('closed', 'rated', 'followed_up');

-- A month of a street or the whole city: the period first, the area filtered in the index.
CREATE INDEX cases_created_node ON cases (created_at, node_code);
CREATE INDEX cases_closed_node ON cases (closed_at, node_code) WHERE closed_at IS NOT NULL;
