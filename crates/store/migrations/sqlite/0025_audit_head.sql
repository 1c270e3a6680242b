-- The audit chain's head, beside the records: every commit that carries audit records locks
-- it, extends the chain and moves it, so positions follow commits and a deleted tail shows.
-- `legacy_upto`: records up to this id were written before sealing at commit and are sealed
-- once at start-up; an unsealed record after it was not written by the system.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BLOB,
    at BIGINT NOT NULL,
    legacy_upto BIGINT NOT NULL
);
INSERT INTO audit_head (id, seq, hash, at, legacy_upto)
SELECT 1,
       COALESCE((SELECT MAX(chain_seq) FROM audit_log), 0),
       (SELECT hash FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1),
       COALESCE((SELECT at FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1), 0),
       COALESCE((SELECT MAX(id) FROM audit_log), 0);
