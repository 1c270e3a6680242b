-- 网格公告 and 预警: a notice for a subtree (grids, a community, a street) with a level, shown
-- on its grids' public pages and on staff's 待办 while it is valid. A 预警 also creates 叫应: one
-- call for every household in its grids where someone carries a tag marked vulnerable, to be
-- answered (reached, moved to safety, or not reached) by the grid's staff before respond_by;
-- what is still open after that is the community's to follow up.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    root_code TEXT NOT NULL REFERENCES region_nodes (code),
    level TEXT NOT NULL,
    color TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    respond_by BIGINT,
    -- A warning read from CAP: the message's identifier (the same message again is the same
    -- notice).
    cap_identifier TEXT UNIQUE,
    created_by BIGINT REFERENCES accounts (id),
    created_label TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notices_root ON notices (root_code, ends_at);

-- The grids a notice covers, fixed when it is made (a later redraw does not move it).
CREATE TABLE notice_grids (
    notice_id BIGINT NOT NULL REFERENCES notices (id),
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    PRIMARY KEY (notice_id, node_code)
);
CREATE INDEX notice_grids_node ON notice_grids (node_code, notice_id);

-- Which tags make a household one to call in a warning (独居老人, 空巢老人, 残疾人 …).
ALTER TABLE tag_kinds ADD COLUMN vulnerable BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE tag_kinds SET vulnerable = TRUE
WHERE code IN ('elderly_alone', 'empty_nest', 'disabled', 'pregnant', 'left_behind_child');

CREATE TABLE notice_calls (
    id INTEGER PRIMARY KEY,
    notice_id BIGINT NOT NULL REFERENCES notices (id),
    household_id BIGINT NOT NULL REFERENCES households (id),
    node_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    done_by BIGINT REFERENCES accounts (id),
    done_label TEXT,
    done_at BIGINT,
    UNIQUE (notice_id, household_id)
);
CREATE INDEX notice_calls_node ON notice_calls (node_code, outcome, notice_id);
-- A warning's progress reads its calls grid by grid.
CREATE INDEX notice_calls_notice ON notice_calls (notice_id, node_code, outcome);
