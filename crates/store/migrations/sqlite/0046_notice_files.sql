-- A notice's attachments (附件), kept as sent after the domain's check of their first bytes;
-- public while the notice is shown, like the notice itself.
CREATE TABLE notice_files (
    id INTEGER PRIMARY KEY,
    notice_id BIGINT NOT NULL REFERENCES notices (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    content BLOB NOT NULL,
    size_bytes BIGINT NOT NULL,
    added_label TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX notice_files_notice ON notice_files (notice_id, id);
