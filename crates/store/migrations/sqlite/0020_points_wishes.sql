-- Participation, first part: 双报到 members and co-building units (with their 三张清单), the
-- volunteer-points ledger and its 爱心超市, declared service, and wishes (微心愿).
--
-- The ledger is double-entry and append-only: postings and their entries, and stock moves,
-- are never updated or deleted (the triggers refuse it); balances and stock are running sums
-- kept in the same transaction as the entries, checked never to go below zero.

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES region_nodes (code),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    phone_sealed BLOB NOT NULL,
    phone_index BLOB NOT NULL,
    phone_masked TEXT NOT NULL,
    employer TEXT NOT NULL,
    skills TEXT NOT NULL,
    commitment TEXT NOT NULL,
    account_id BIGINT UNIQUE REFERENCES accounts (id),
    standing TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES accounts (id),
    decided_at BIGINT,
    UNIQUE (community_code, phone_index)
);
CREATE INDEX members_community ON members (community_code, standing);

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES region_nodes (code),
    name TEXT NOT NULL,
    contact TEXT NOT NULL,
    phone_sealed BLOB NOT NULL,
    phone_index BLOB NOT NULL,
    phone_masked TEXT NOT NULL,
    commitment TEXT NOT NULL,
    standing TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES accounts (id),
    decided_at BIGINT,
    UNIQUE (community_code, name)
);

CREATE TABLE unit_listings (
    id INTEGER PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    list TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX unit_listings_unit ON unit_listings (unit_id);
CREATE INDEX unit_listings_category ON unit_listings (list, category);

CREATE TABLE point_accounts (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES region_nodes (code),
    kind TEXT NOT NULL,
    member_id BIGINT UNIQUE REFERENCES members (id),
    balance BIGINT NOT NULL DEFAULT 0,
    CHECK (kind = 'issuer' OR balance >= 0),
    CHECK ((kind = 'member') = (member_id IS NOT NULL))
);
CREATE UNIQUE INDEX point_accounts_system ON point_accounts (community_code, kind)
    WHERE kind <> 'member';

CREATE TABLE point_postings (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES region_nodes (code),
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    reverses BIGINT UNIQUE REFERENCES point_postings (id),
    operator_id BIGINT REFERENCES accounts (id),
    operator_label TEXT NOT NULL,
    note TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX point_postings_community ON point_postings (community_code, id);

CREATE TABLE point_entries (
    id INTEGER PRIMARY KEY,
    posting_id BIGINT NOT NULL REFERENCES point_postings (id),
    account_id BIGINT NOT NULL REFERENCES point_accounts (id),
    amount BIGINT NOT NULL CHECK (amount <> 0)
);
CREATE INDEX point_entries_account ON point_entries (account_id, id);
CREATE INDEX point_entries_posting ON point_entries (posting_id);

CREATE TABLE shop_items (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES region_nodes (code),
    name TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price > 0),
    stock BIGINT NOT NULL DEFAULT 0 CHECK (stock >= 0),
    created_at BIGINT NOT NULL,
    UNIQUE (community_code, name)
);

CREATE TABLE stock_moves (
    id INTEGER PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES shop_items (id),
    delta BIGINT NOT NULL CHECK (delta <> 0),
    posting_id BIGINT REFERENCES point_postings (id),
    reason TEXT NOT NULL,
    operator_id BIGINT REFERENCES accounts (id),
    operator_label TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX stock_moves_item ON stock_moves (item_id, id);

CREATE TABLE service_records (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    category TEXT NOT NULL,
    activity TEXT NOT NULL,
    served_on TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    stage TEXT NOT NULL,
    points BIGINT,
    declared_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES accounts (id),
    decided_at BIGINT,
    note TEXT NOT NULL DEFAULT '',
    posting_id BIGINT REFERENCES point_postings (id)
);
CREATE INDEX service_records_member ON service_records (member_id, served_on);
CREATE INDEX service_records_stage ON service_records (stage, id);

CREATE TABLE wishes (
    id INTEGER PRIMARY KEY,
    community_code TEXT NOT NULL REFERENCES region_nodes (code),
    grid_code TEXT REFERENCES region_nodes (code),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    requester_name TEXT NOT NULL,
    phone_sealed BLOB NOT NULL,
    phone_masked TEXT NOT NULL,
    tracking_code TEXT NOT NULL UNIQUE,
    entered_by BIGINT REFERENCES accounts (id),
    stage TEXT NOT NULL,
    points BIGINT,
    deadline_at BIGINT,
    decline_reason TEXT NOT NULL DEFAULT '',
    claimant_id BIGINT REFERENCES members (id),
    claimed_at BIGINT,
    claim_expires_at BIGINT,
    done_note TEXT NOT NULL DEFAULT '',
    done_photo BLOB,
    done_at BIGINT,
    confirmed_at BIGINT,
    posting_id BIGINT REFERENCES point_postings (id),
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX wishes_community ON wishes (community_code, stage, id);
CREATE INDEX wishes_claimant ON wishes (claimant_id, stage);

CREATE TABLE wish_events (
    id INTEGER PRIMARY KEY,
    wish_id BIGINT NOT NULL REFERENCES wishes (id),
    action TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    note TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX wish_events_wish ON wish_events (wish_id, id);

CREATE TRIGGER point_postings_no_update BEFORE UPDATE ON point_postings
BEGIN SELECT RAISE(ABORT, 'point_postings is append-only'); END;
CREATE TRIGGER point_postings_no_delete BEFORE DELETE ON point_postings
BEGIN SELECT RAISE(ABORT, 'point_postings is append-only'); END;
CREATE TRIGGER point_entries_no_update BEFORE UPDATE ON point_entries
BEGIN SELECT RAISE(ABORT, 'point_entries is append-only'); END;
CREATE TRIGGER point_entries_no_delete BEFORE DELETE ON point_entries
BEGIN SELECT RAISE(ABORT, 'point_entries is append-only'); END;
CREATE TRIGGER stock_moves_no_update BEFORE UPDATE ON stock_moves
BEGIN SELECT RAISE(ABORT, 'stock_moves is append-only'); END;
CREATE TRIGGER stock_moves_no_delete BEFORE DELETE ON stock_moves
BEGIN SELECT RAISE(ABORT, 'stock_moves is append-only'); END;
