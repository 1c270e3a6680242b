-- Outgoing webhooks: every case change under `node_code` is POSTed to `url`, signed with
-- HMAC-SHA256 using `secret` (which must be kept to sign, unlike passwords and tokens).
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    node_code TEXT NOT NULL,
    created_by BIGINT REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

-- The outbox and delivery log: written in the same transaction as the change it reports, so
-- no change goes unreported; the delivery worker tries each until it succeeds or gives up.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
