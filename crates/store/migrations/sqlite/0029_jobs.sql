-- Long work answered by id (register imports): rows any process can read. The process doing
-- the work writes its progress every half second; a job whose heartbeat stops (its process
-- died) is reported as interrupted, not left running forever.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    owner BIGINT NOT NULL,
    status TEXT NOT NULL,
    done BOOLEAN NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat BIGINT NOT NULL
);
CREATE INDEX jobs_heartbeat ON jobs (heartbeat);
