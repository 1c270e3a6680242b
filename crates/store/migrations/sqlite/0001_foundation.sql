-- Region tree (网格体系). WITHOUT ROWID clusters rows by code, so a subtree is one contiguous
-- range of the primary key.
CREATE TABLE region_nodes (
    code TEXT PRIMARY KEY NOT NULL,
    parent_code TEXT REFERENCES region_nodes (code),
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    depth SMALLINT NOT NULL,
    class TEXT NOT NULL,
    dedicated_kind TEXT,
    feature TEXT,
    boundary TEXT,
    retired_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) WITHOUT ROWID;
CREATE INDEX region_nodes_parent ON region_nodes (parent_code, code);
CREATE INDEX region_nodes_level ON region_nodes (level, code);

-- History of every change to a node (created, renamed, redrawn, retired).
CREATE TABLE region_node_events (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL REFERENCES region_nodes (code),
    at BIGINT NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX region_node_events_code ON region_node_events (code, id);

-- 职能部门, each with a jurisdiction node.
CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    created_at BIGINT NOT NULL,
    UNIQUE (node_code, name)
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    node_code TEXT REFERENCES region_nodes (code),
    department_id BIGINT REFERENCES departments (id),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX accounts_node ON accounts (node_code);

-- Web sessions; only a hash of the cookie value is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Bearer tokens for the JSON API; only a hash is stored.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
