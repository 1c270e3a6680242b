-- Patrols (巡查) with their raw GPS fixes and notes, and visits (走访) to households and places.

CREATE TABLE patrols (
    id INTEGER PRIMARY KEY,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    worker_label TEXT NOT NULL,
    -- Beijing calendar day the patrol started on.
    day TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    summary TEXT NOT NULL,
    -- Figures of the cleaned track, refreshed with every batch of fixes.
    metres DOUBLE PRECISION NOT NULL,
    fixes_kept INTEGER NOT NULL,
    fixes_dropped INTEGER NOT NULL
);
CREATE INDEX patrols_node_day ON patrols (node_code, day);
CREATE INDEX patrols_account ON patrols (account_id, started_at);

-- Every fix as it arrived: a resent batch adds nothing (the first fix of a moment wins), and
-- the distance outside the grid is fixed at receipt so later boundary edits cannot change a
-- past patrol's figures.
CREATE TABLE patrol_fixes (
    patrol_id BIGINT NOT NULL REFERENCES patrols (id),
    at_ms BIGINT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    accuracy_m DOUBLE PRECISION,
    outside_m DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (patrol_id, at_ms)
) WITHOUT ROWID;

CREATE TABLE patrol_notes (
    id INTEGER PRIMARY KEY,
    patrol_id BIGINT NOT NULL REFERENCES patrols (id),
    at BIGINT NOT NULL,
    finding BOOLEAN NOT NULL,
    text TEXT NOT NULL,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    case_id BIGINT REFERENCES cases (id)
);
CREATE INDEX patrol_notes_patrol ON patrol_notes (patrol_id, id);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    household_id BIGINT REFERENCES households (id),
    place_id BIGINT REFERENCES places (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    visitor_label TEXT NOT NULL,
    day TEXT NOT NULL,
    at BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    notes TEXT NOT NULL,
    findings TEXT NOT NULL
);
CREATE INDEX visits_node_day ON visits (node_code, day);
CREATE INDEX visits_household ON visits (household_id, day);
CREATE INDEX visits_place ON visits (place_id, day);
CREATE INDEX visits_account ON visits (account_id, day);

-- Register changes made during a visit (信息核实): what was changed, before and after.
CREATE TABLE visit_changes (
    id INTEGER PRIMARY KEY,
    visit_id BIGINT NOT NULL REFERENCES visits (id),
    person_id BIGINT REFERENCES persons (id),
    field TEXT NOT NULL,
    before_value TEXT NOT NULL,
    after_value TEXT NOT NULL
);
CREATE INDEX visit_changes_visit ON visit_changes (visit_id);

CREATE INDEX person_tags_next_visit ON person_tags (next_visit);
