-- What every process of a deployment must agree on, written by the first start: a check value
-- of the personal-data keys (not the keys), so a process with other keys refuses to start
-- instead of sealing and indexing with the wrong ones.
CREATE TABLE deployment (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_index BLOB NOT NULL,
    key_sealed BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
