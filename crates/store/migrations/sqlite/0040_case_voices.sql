-- Voice notes (语音留言) with a report, for residents who cannot type: kept as sent, shown
-- only to staff (a voice identifies its speaker, so it never goes on the public tracking page).
CREATE TABLE case_voices (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    format TEXT NOT NULL,
    audio BLOB NOT NULL,
    size_bytes BIGINT NOT NULL,
    added_by INTEGER REFERENCES accounts (id),
    added_label TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX case_voices_case ON case_voices (case_id, id);
