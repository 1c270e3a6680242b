-- The monthly assessment's evaluations: residents rate their grid worker from the public page
-- (one rating per phone per worker per month, the phone kept only as its blind index), and the
-- community enters peer and organisation evaluations.

CREATE TABLE worker_ratings (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    month TEXT NOT NULL,
    phone_index BLOB NOT NULL,
    stars SMALLINT NOT NULL,
    comment TEXT NOT NULL,
    at BIGINT NOT NULL,
    UNIQUE (account_id, month, phone_index)
);
CREATE INDEX worker_ratings_month ON worker_ratings (month, account_id);

CREATE TABLE worker_evaluations (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    month TEXT NOT NULL,
    kind TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    note TEXT NOT NULL,
    by_account BIGINT NOT NULL REFERENCES accounts (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (account_id, month, kind)
);
