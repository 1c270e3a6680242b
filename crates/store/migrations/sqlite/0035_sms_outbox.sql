-- Texts to residents about their reports (短信通知): written with the change they report,
-- sent by a worker with retries; the rows are the delivery log. The phone is the case's,
-- copied sealed; the text is composed when it is sent.
CREATE TABLE sms_outbox (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
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
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_case ON sms_outbox (case_id);
