-- Two costs of the tallies (migration 0017), measured under load:
-- 1. Every report appended one change per level of its area (seven) and as many entries in an
--    index by area. A change now names the case's own node; the fold, once a second, adds it to
--    every level above. Readers sum the unfolded changes by code prefix (they are a second's
--    worth, so they are scanned without an index).
-- 2. The wall screen counted open cases live, so its read grew with every case left open. The
--    count of open cases is now tallied too (it does not depend on the clock): the changes
--    carry it and the fold keeps it per level, area and category. Only lateness is still read
--    live, from indexes by deadline, so that read grows with the overdue cases alone.

-- Fold what waits, in the old shape, before the table changes.
INSERT INTO case_tallies (depth, area, day, category, received, rejected, closed, handled,
    handled_on_time, handled_late, rated, satisfied, closed_on)
SELECT depth, area, day, category, SUM(received), SUM(rejected), SUM(closed), SUM(handled),
    SUM(handled_on_time), SUM(handled_late), SUM(rated), SUM(satisfied), SUM(closed_on)
FROM case_tally_changes WHERE true GROUP BY depth, area, day, category
ON CONFLICT (depth, area, day, category) DO UPDATE SET
    received = case_tallies.received + excluded.received,
    rejected = case_tallies.rejected + excluded.rejected,
    closed = case_tallies.closed + excluded.closed,
    handled = case_tallies.handled + excluded.handled,
    handled_on_time = case_tallies.handled_on_time + excluded.handled_on_time,
    handled_late = case_tallies.handled_late + excluded.handled_late,
    rated = case_tallies.rated + excluded.rated,
    satisfied = case_tallies.satisfied + excluded.satisfied,
    closed_on = case_tallies.closed_on + excluded.closed_on;

DROP TRIGGER cases_tally_insert;
DROP TRIGGER cases_tally_before_update;
DROP TRIGGER cases_tally_after_update;
DROP VIEW case_tally_parts;
DROP TABLE case_tally_changes;
DROP INDEX cases_open_node;

-- `area` is the case's own node.
CREATE TABLE case_tally_changes (
    id INTEGER PRIMARY KEY,
    area TEXT NOT NULL,
    day BIGINT NOT NULL,
    category TEXT NOT NULL,
    received BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    handled BIGINT NOT NULL,
    handled_on_time BIGINT NOT NULL,
    handled_late BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    closed_on BIGINT NOT NULL,
    open BIGINT NOT NULL
);

-- Open cases per level, area and top-level category.
CREATE TABLE case_open_tallies (
    depth SMALLINT NOT NULL,
    area TEXT NOT NULL,
    category TEXT NOT NULL,
    open BIGINT NOT NULL,
    PRIMARY KEY (depth, area, category)
) WITHOUT ROWID;

INSERT INTO case_open_tallies (depth, area, category, open)
SELECT d.depth, substr(c.node_code, 1, d.depth), substr(c.category_code, 1, 2), COUNT(*)
FROM cases c JOIN tally_depths d ON d.depth <= length(c.node_code)
WHERE c.stage IN ('reported', 'accepted', 'dispatched', 'in_progress')
GROUP BY 1, 2, 3;

-- What one case adds at its node: its reporting day's part and its closing day's.
CREATE VIEW case_tally_parts AS
SELECT c.id, c.node_code AS area,
       (c.created_at + 28800000) / 86400000 AS day, substr(c.category_code, 1, 2) AS category,
       CASE WHEN c.stage <> 'merged' THEN 1 ELSE 0 END AS received,
       CASE WHEN c.stage = 'rejected' THEN 1 ELSE 0 END AS rejected,
       CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END AS closed,
       CASE WHEN c.handled_at IS NOT NULL THEN 1 ELSE 0 END AS handled,
       CASE WHEN c.handled_at <= c.handle_due THEN 1 ELSE 0 END AS handled_on_time,
       CASE WHEN c.handled_at > c.handle_due THEN 1 ELSE 0 END AS handled_late,
       CASE WHEN c.satisfaction IS NOT NULL THEN 1 ELSE 0 END AS rated,
       CASE WHEN c.satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END AS satisfied,
       0 AS closed_on,
       CASE WHEN c.stage IN ('reported', 'accepted', 'dispatched', 'in_progress') THEN 1 ELSE 0 END AS open
FROM cases c
UNION ALL
SELECT c.id, c.node_code, (c.closed_at + 28800000) / 86400000, substr(c.category_code, 1, 2),
       0, 0, 0, 0, 0, 0, 0, 0, 1, 0
FROM cases c
WHERE c.closed_at IS NOT NULL;

-- Before a change the case's old parts are taken away; after it its new parts are added.
CREATE TRIGGER cases_tally_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_tally_changes (area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on, open)
    SELECT area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on, open
    FROM case_tally_parts WHERE id = NEW.id;
END;

CREATE TRIGGER cases_tally_before_update BEFORE UPDATE OF node_code, category_code, created_at,
    stage, handled_at, handle_due, closed_at, satisfaction ON cases BEGIN
    INSERT INTO case_tally_changes (area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on, open)
    SELECT area, day, category, -received, -rejected, -closed, -handled,
        -handled_on_time, -handled_late, -rated, -satisfied, -closed_on, -open
    FROM case_tally_parts WHERE id = OLD.id;
END;

CREATE TRIGGER cases_tally_after_update AFTER UPDATE OF node_code, category_code, created_at,
    stage, handled_at, handle_due, closed_at, satisfaction ON cases BEGIN
    INSERT INTO case_tally_changes (area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on, open)
    SELECT area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on, open
    FROM case_tally_parts WHERE id = NEW.id;
END;

-- Lateness is read live from the open cases whose deadline has passed: one index per stage
-- group, by the deadline that applies to it.
CREATE INDEX cases_accept_due_open ON cases (accept_due) WHERE stage = 'reported';
CREATE INDEX cases_handle_due_open ON cases (handle_due)
    WHERE stage IN ('accepted', 'dispatched', 'in_progress');
