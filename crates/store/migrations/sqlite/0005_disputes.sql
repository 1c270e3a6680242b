-- 矛盾纠纷: the facts of a dispute case and how its mediation ended.
CREATE TABLE disputes (
    case_id BIGINT PRIMARY KEY NOT NULL REFERENCES cases (id),
    dispute_type TEXT NOT NULL,
    amount_cents BIGINT,
    outcome TEXT,
    agreement TEXT,
    referral TEXT,
    outcome_note TEXT,
    concluded_at BIGINT,
    concluded_by BIGINT REFERENCES accounts (id),
    updated_at BIGINT NOT NULL
);
CREATE INDEX disputes_concluded ON disputes (concluded_at);

-- 当事人.
CREATE TABLE dispute_parties (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    name TEXT NOT NULL,
    side TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX dispute_parties_case ON dispute_parties (case_id);

-- 调解人员.
CREATE TABLE dispute_mediators (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX dispute_mediators_case ON dispute_mediators (case_id);

-- 调解记录: each sitting.
CREATE TABLE mediation_sessions (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    held_at BIGINT NOT NULL,
    place TEXT NOT NULL,
    notes TEXT NOT NULL,
    recorded_by BIGINT REFERENCES accounts (id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX mediation_sessions_case ON mediation_sessions (case_id, held_at);

-- 稳控回访 after the outcome.
CREATE TABLE dispute_followups (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at BIGINT NOT NULL,
    note TEXT NOT NULL,
    stable BOOLEAN NOT NULL,
    recorded_by BIGINT REFERENCES accounts (id)
);
CREATE INDEX dispute_followups_case ON dispute_followups (case_id, at);
