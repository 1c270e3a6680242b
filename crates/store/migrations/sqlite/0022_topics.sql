-- 协商议事: topics, their followers, meetings with participants and votes, resolutions and
-- the suggestions that carry them out (跟踪问效), and each topic's timeline.

CREATE TABLE topics (
    id INTEGER PRIMARY KEY,
    node_code TEXT NOT NULL REFERENCES region_nodes (code),
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    scale TEXT NOT NULL,
    stage TEXT NOT NULL,
    proposer_name TEXT NOT NULL,
    proposer_phone_sealed BLOB,
    proposer_phone_masked TEXT NOT NULL,
    tracking_code TEXT NOT NULL UNIQUE,
    proposed_by BIGINT REFERENCES accounts (id),
    deadline_at BIGINT,
    decline_reason TEXT NOT NULL DEFAULT '',
    progress BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    done_at BIGINT
);
CREATE INDEX topics_node ON topics (node_code, id);

CREATE TABLE topic_followers (
    id INTEGER PRIMARY KEY,
    topic_id BIGINT NOT NULL REFERENCES topics (id),
    phone_index BLOB NOT NULL,
    phone_sealed BLOB NOT NULL,
    at BIGINT NOT NULL,
    UNIQUE (topic_id, phone_index)
);

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    topic_id BIGINT NOT NULL REFERENCES topics (id),
    format TEXT NOT NULL,
    place TEXT NOT NULL,
    held_at BIGINT NOT NULL,
    minutes TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX meetings_topic ON meetings (topic_id, id);

CREATE TABLE meeting_participants (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    name TEXT NOT NULL,
    side TEXT NOT NULL,
    present BOOLEAN NOT NULL,
    UNIQUE (meeting_id, name)
);

CREATE TABLE meeting_votes (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    participant_id BIGINT NOT NULL REFERENCES meeting_participants (id),
    choice TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, participant_id)
);

CREATE TABLE resolutions (
    id INTEGER PRIMARY KEY,
    topic_id BIGINT NOT NULL REFERENCES topics (id),
    meeting_id BIGINT REFERENCES meetings (id),
    text TEXT NOT NULL,
    progress BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX resolutions_topic ON resolutions (topic_id, id);

CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY,
    resolution_id BIGINT NOT NULL REFERENCES resolutions (id),
    text TEXT NOT NULL,
    disposition TEXT NOT NULL,
    owner TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    progress BIGINT NOT NULL DEFAULT 0,
    evidence TEXT NOT NULL DEFAULT '',
    adopted_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX suggestions_resolution ON suggestions (resolution_id, id);

CREATE TABLE topic_events (
    id INTEGER PRIMARY KEY,
    topic_id BIGINT NOT NULL REFERENCES topics (id),
    action TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    note TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX topic_events_topic ON topic_events (topic_id, id);
