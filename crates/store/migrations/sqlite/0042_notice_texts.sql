-- Who gets a grid's notices by text: residents who opted in on the grid's page with a one-time
-- code (the phone sealed, found again by its blind index); ended_at once they opt out.
CREATE TABLE notice_subscribers (
    id INTEGER PRIMARY KEY,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    phone_sealed BLOB NOT NULL,
    phone_index BLOB NOT NULL,
    phone_masked TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    ended_at BIGINT,
    UNIQUE (node_code, phone_index)
);

-- A notice's texts go through the outbox like every other: each row knows its notice and grid,
-- carries its own code for the link (so an opened link says who read it; codes are indexed
-- already), and when it was read.
ALTER TABLE sms_outbox ADD COLUMN notice_id BIGINT REFERENCES notices (id);
ALTER TABLE sms_outbox ADD COLUMN node_code TEXT;
ALTER TABLE sms_outbox ADD COLUMN read_at BIGINT;
CREATE INDEX sms_outbox_notice ON sms_outbox (notice_id, node_code);
