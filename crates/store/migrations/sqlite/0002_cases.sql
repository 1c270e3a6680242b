-- 事项清单: the category tree.
CREATE TABLE categories (
    code TEXT PRIMARY KEY NOT NULL,
    parent_code TEXT REFERENCES categories (code),
    name TEXT NOT NULL,
    tier TEXT NOT NULL,
    department_kind TEXT,
    accept_hours INTEGER NOT NULL,
    handle_hours INTEGER NOT NULL,
    grid_duty BOOLEAN NOT NULL,
    dispute BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
) WITHOUT ROWID;

-- 事件: one row per case, with its current stage and holder; `version` guards concurrent
-- transitions (optimistic concurrency).
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    tracking_code TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories (code),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    address TEXT,
    stage TEXT NOT NULL,
    tier TEXT NOT NULL,
    holder_code TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    reporter_account BIGINT REFERENCES accounts (id),
    reporter_name TEXT,
    reopened SMALLINT NOT NULL DEFAULT 0,
    merged_into BIGINT REFERENCES cases (id),
    satisfaction TEXT,
    accept_due BIGINT NOT NULL,
    handle_due BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_holder ON cases (holder_code, stage);
CREATE INDEX cases_node ON cases (node_code, id);

-- The append-only timeline of every case.
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES accounts (id),
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    note TEXT NOT NULL,
    public BOOLEAN NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);
