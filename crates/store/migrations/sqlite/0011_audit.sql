-- 审计日志: every write and every reveal of personal data. Rows are written inside the
-- transaction that makes the change; a background sealer then links them into a chain in
-- commit order (chain_seq), each hash keyed with a key kept outside the database, so an edited,
-- inserted or deleted record breaks the chain and cannot be re-sealed without the key.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    node_code TEXT,
    detail TEXT NOT NULL,
    chain_seq BIGINT UNIQUE,
    hash BLOB
);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE chain_seq IS NULL;
CREATE INDEX audit_log_target ON audit_log (target, id);
CREATE INDEX audit_log_node ON audit_log (node_code, id);

-- The resident's phone on a report: sealed, findable by its blind index, and masked for lists.
ALTER TABLE cases ADD COLUMN reporter_phone_sealed BLOB;
ALTER TABLE cases ADD COLUMN reporter_phone_index BLOB;
ALTER TABLE cases ADD COLUMN reporter_phone_masked TEXT;
CREATE INDEX cases_reporter_phone ON cases (reporter_phone_index) WHERE reporter_phone_index IS NOT NULL;
