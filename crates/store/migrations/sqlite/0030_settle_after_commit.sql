-- Same shape as PostgreSQL's (there, positions are given after commit; SQLite has one writer,
-- so its commits still number and chain under the write lock they hold anyway). A record
-- carries its own seal (`mac`, over its row id and content) from the moment it is written.
CREATE TABLE feed_new (
    id INTEGER PRIMARY KEY,
    seq BIGINT UNIQUE,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
INSERT INTO feed_new (id, seq, at, kind, payload) SELECT seq, seq, at, kind, payload FROM feed;
DROP TABLE feed;
ALTER TABLE feed_new RENAME TO feed;
CREATE INDEX feed_at ON feed (at);
ALTER TABLE audit_log ADD COLUMN mac BLOB;
