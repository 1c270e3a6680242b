-- 码上问卷 and 社情民意: surveys with their answers (one per respondent: a phone's blind
-- index, or a device token's hash), one-time codes for phone verification, and each
-- community's always-open opinion box.

CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    title TEXT NOT NULL,
    intro TEXT NOT NULL,
    mode TEXT NOT NULL,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    questions TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX surveys_node ON surveys (node_code, id);

CREATE TABLE survey_answers (
    id INTEGER PRIMARY KEY,
    survey_id BIGINT NOT NULL REFERENCES surveys (id),
    respondent BLOB NOT NULL,
    answers TEXT NOT NULL,
    proxy_by BIGINT REFERENCES accounts (id),
    proxy_label TEXT NOT NULL,
    at BIGINT NOT NULL,
    UNIQUE (survey_id, respondent)
);

CREATE TABLE otp_codes (
    phone_index BLOB NOT NULL,
    purpose TEXT NOT NULL,
    code_hash BLOB NOT NULL,
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (phone_index, purpose)
);

CREATE TABLE opinions (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES region_nodes (code),
    content TEXT NOT NULL,
    name TEXT NOT NULL,
    phone_sealed BLOB,
    phone_masked TEXT NOT NULL,
    tracking_code TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    case_id BIGINT REFERENCES cases (id),
    handled_by BIGINT REFERENCES accounts (id),
    handled_label TEXT NOT NULL DEFAULT '',
    handled_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX opinions_community ON opinions (community_code, status, id);
