-- What a grid worker's phone sent after working without a signal: one row per queued item,
-- written in the same transaction as what the item did, so an item sent twice (the answer
-- was lost, the app was reopened) is applied once. `made_at` is the phone's time for it,
-- `arrived_at` the server's; `counted_at` is the one deadlines and the visit's day use, and
-- `set_aside` says why the phone's was not believed.
CREATE TABLE field_receipts (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    idem_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    made_at BIGINT NOT NULL,
    arrived_at BIGINT NOT NULL,
    counted_at BIGINT NOT NULL,
    set_aside TEXT,
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    target_id BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
