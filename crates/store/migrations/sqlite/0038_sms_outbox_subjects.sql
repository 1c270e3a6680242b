-- Texts about opinions, wishes and topics go through the same outbox as those about reports:
-- such a row has no case, and carries the code its link opens. SQLite cannot drop a NOT NULL,
-- so the table is rebuilt.
CREATE TABLE sms_outbox_new (
    id INTEGER PRIMARY KEY,
    case_id INTEGER REFERENCES cases (id),
    code TEXT,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    phone_sealed BLOB NOT NULL,
    phone_masked TEXT,
    body TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    gateway_ref TEXT,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
INSERT INTO sms_outbox_new (id, case_id, kind, reason, phone_sealed, phone_masked, body, status,
    attempts, last_error, gateway_ref, next_attempt_at, created_at, sent_at)
SELECT id, case_id, kind, reason, phone_sealed, phone_masked, body, status, attempts, last_error,
    gateway_ref, next_attempt_at, created_at, sent_at FROM sms_outbox;
DROP TABLE sms_outbox;
ALTER TABLE sms_outbox_new RENAME TO sms_outbox;
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_case ON sms_outbox (case_id);
CREATE INDEX sms_outbox_code ON sms_outbox (code);
