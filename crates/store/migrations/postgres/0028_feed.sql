-- The change feed: what any process changed that every process must follow (case events for
-- the live feeds, boundaries for the locate index, the calendar, the categories). Positions
-- are given under the head's lock at commit, so they follow commit order without gaps: a
-- follower that has read up to N never misses an entry below N.
CREATE TABLE feed (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX feed_at ON feed (at);
CREATE TABLE feed_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO feed_head (id, seq) VALUES (1, 0);
