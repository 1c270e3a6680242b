-- 12345 orders that carry only an address no region name in it places (待定位): kept here,
-- never refused, until the command centre gives each a grid; then the case is filed, dated
-- from the call, and the row goes.
CREATE TABLE hotline_pending (
    id BIGSERIAL PRIMARY KEY,
    order_no TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL,
    caller TEXT,
    phone_sealed BYTEA,
    phone_index BYTEA,
    phone_masked TEXT,
    called_at BIGINT,
    due_at BIGINT,
    urgency TEXT NOT NULL,
    root TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE INDEX hotline_pending_root ON hotline_pending (root, id);
