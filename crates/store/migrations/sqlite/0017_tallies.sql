-- Running tallies for the dashboard, so a month of the whole city is a few thousand rows read
-- instead of every case of the month scanned. A case adds to one row per level of its area
-- (province down to its own node) for the Beijing day it was reported (what became of the
-- month's cases) and, once closed, one more for the day it was closed (the trend).
-- Triggers append changes to case_tally_changes: appends never wait for one another, unlike
-- every writer updating the same province row. A background task folds them into
-- case_tallies; readers sum both, so the figures are exact whether or not it has run.
-- What depends on the clock (open cases past their deadline) is never tallied: the open cases
-- are read live.

CREATE TABLE tally_depths (depth SMALLINT PRIMARY KEY NOT NULL);
INSERT INTO tally_depths (depth) VALUES (2), (4), (6), (9), (12), (15), (18);

CREATE TABLE case_tallies (
    depth SMALLINT NOT NULL,
    area TEXT NOT NULL,
    -- Beijing days since 1970-01-01.
    day BIGINT NOT NULL,
    -- Top-level category.
    category TEXT NOT NULL,
    received BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    handled BIGINT NOT NULL,
    handled_on_time BIGINT NOT NULL,
    handled_late BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    -- Cases closed on this day (whenever reported).
    closed_on BIGINT NOT NULL,
    PRIMARY KEY (depth, area, day, category)
) WITHOUT ROWID;

CREATE TABLE case_tally_changes (
    id INTEGER PRIMARY KEY,
    depth SMALLINT NOT NULL,
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
    closed_on BIGINT NOT NULL
);
CREATE INDEX case_tally_changes_key ON case_tally_changes (depth, area, day);

-- What one case adds, per level of its area: its reporting day's row and its closing day's.
CREATE VIEW case_tally_parts AS
SELECT c.id, d.depth, substr(c.node_code, 1, d.depth) AS area,
       (c.created_at + 28800000) / 86400000 AS day, substr(c.category_code, 1, 2) AS category,
       CASE WHEN c.stage <> 'merged' THEN 1 ELSE 0 END AS received,
       CASE WHEN c.stage = 'rejected' THEN 1 ELSE 0 END AS rejected,
       CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END AS closed,
       CASE WHEN c.handled_at IS NOT NULL THEN 1 ELSE 0 END AS handled,
       CASE WHEN c.handled_at <= c.handle_due THEN 1 ELSE 0 END AS handled_on_time,
       CASE WHEN c.handled_at > c.handle_due THEN 1 ELSE 0 END AS handled_late,
       CASE WHEN c.satisfaction IS NOT NULL THEN 1 ELSE 0 END AS rated,
       CASE WHEN c.satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END AS satisfied,
       0 AS closed_on
FROM cases c JOIN tally_depths d ON d.depth <= length(c.node_code)
UNION ALL
SELECT c.id, d.depth, substr(c.node_code, 1, d.depth),
       (c.closed_at + 28800000) / 86400000, substr(c.category_code, 1, 2),
       0, 0, 0, 0, 0, 0, 0, 0, 1
FROM cases c JOIN tally_depths d ON d.depth <= length(c.node_code)
WHERE c.closed_at IS NOT NULL;

-- Before a change the case's old parts are taken away; after it its new parts are added.
CREATE TRIGGER cases_tally_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_tally_changes (depth, area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on)
    SELECT depth, area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on
    FROM case_tally_parts WHERE id = NEW.id;
END;

CREATE TRIGGER cases_tally_before_update BEFORE UPDATE OF node_code, category_code, created_at,
    stage, handled_at, handle_due, closed_at, satisfaction ON cases BEGIN
    INSERT INTO case_tally_changes (depth, area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on)
    SELECT depth, area, day, category, -received, -rejected, -closed, -handled,
        -handled_on_time, -handled_late, -rated, -satisfied, -closed_on
    FROM case_tally_parts WHERE id = OLD.id;
END;

CREATE TRIGGER cases_tally_after_update AFTER UPDATE OF node_code, category_code, created_at,
    stage, handled_at, handle_due, closed_at, satisfaction ON cases BEGIN
    INSERT INTO case_tally_changes (depth, area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on)
    SELECT depth, area, day, category, received, rejected, closed, handled,
        handled_on_time, handled_late, rated, satisfied, closed_on
    FROM case_tally_parts WHERE id = NEW.id;
END;

INSERT INTO case_tallies
SELECT depth, area, day, category, SUM(received), SUM(rejected), SUM(closed), SUM(handled),
    SUM(handled_on_time), SUM(handled_late), SUM(rated), SUM(satisfied), SUM(closed_on)
FROM case_tally_parts GROUP BY depth, area, day, category;

-- Grids meeting the daily patrol rule (一日双巡), per level and day (ISO text, as patrols.day):
-- 0 or 1 at a grid, the count of such grids above. Kept by the patrol service when a patrol
-- ends, since the rule is the domain's.
CREATE TABLE patrol_tallies (
    depth SMALLINT NOT NULL,
    area TEXT NOT NULL,
    day TEXT NOT NULL,
    met BIGINT NOT NULL,
    PRIMARY KEY (depth, area, day)
) WITHOUT ROWID;

-- Open cases are read live (their lateness depends on the clock); this keeps that read small
-- and answers it from the index alone.
CREATE INDEX cases_open_node ON cases (node_code, category_code, stage, created_at, accept_due,
    handle_due, suspended_at, handled_at)
    WHERE stage IN ('reported', 'accepted', 'dispatched', 'in_progress');
