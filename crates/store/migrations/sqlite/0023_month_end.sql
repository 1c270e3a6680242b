-- A resident's 基本满意 was stored as 'basicallysatisfied' (a Debug name lower-cased), which the
-- tallies never counted as satisfied. Rewriting the column fires the tally triggers, which take
-- the case's old parts away and add its new ones: the tallies are repaired with the rows.
UPDATE cases SET satisfaction = 'basically_satisfied' WHERE satisfaction = 'basicallysatisfied';

-- The deadlines each case had over time, so a month's report can say what was open and overdue
-- at the month's last moment, not today. A row is written when a case is filed and whenever
-- its deadlines or its suspension change; cases filed before this migration start with their
-- present deadlines (the best that is known of them).
CREATE TABLE case_deadlines (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at BIGINT NOT NULL,
    accept_due BIGINT NOT NULL,
    handle_due BIGINT NOT NULL,
    suspended_at BIGINT
);
CREATE INDEX case_deadlines_case ON case_deadlines (case_id, at);

INSERT INTO case_deadlines (case_id, at, accept_due, handle_due, suspended_at)
SELECT id, created_at, accept_due, handle_due, suspended_at FROM cases;

CREATE TRIGGER cases_deadlines_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_deadlines (case_id, at, accept_due, handle_due, suspended_at)
    VALUES (NEW.id, NEW.created_at, NEW.accept_due, NEW.handle_due, NEW.suspended_at);
END;

CREATE TRIGGER cases_deadlines_update AFTER UPDATE OF accept_due, handle_due, suspended_at ON cases
    WHEN NEW.accept_due IS NOT OLD.accept_due OR NEW.handle_due IS NOT OLD.handle_due
        OR NEW.suspended_at IS NOT OLD.suspended_at BEGIN
    INSERT INTO case_deadlines (case_id, at, accept_due, handle_due, suspended_at)
    VALUES (NEW.id, NEW.updated_at, NEW.accept_due, NEW.handle_due, NEW.suspended_at);
END;

-- The timeline read "as of" an instant: the last step of each case before it.
CREATE INDEX case_events_case_at ON case_events (case_id, at);
