-- Open311 client applications: each POSTs with its own api_key (stored hashed).
CREATE TABLE open311_clients (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Which client filed a case (Open311 requests), so its reports can be traced.
ALTER TABLE cases ADD COLUMN client_id BIGINT REFERENCES open311_clients (id);
CREATE INDEX cases_created ON cases (created_at);
