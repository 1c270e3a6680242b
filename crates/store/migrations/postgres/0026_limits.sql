-- Limits shared by every server process: failed logins (per account and address, per
-- address) and requests counted per key in fixed windows (public submissions per client
-- address, one-time codes per phone).
CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    account TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_pair ON login_failures (account, ip, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE rate_counts (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (bucket, key, window_start)
);
CREATE INDEX rate_counts_window ON rate_counts (window_start);
