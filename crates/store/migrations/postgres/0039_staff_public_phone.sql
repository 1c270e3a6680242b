-- A staff member may agree to have their number shown to residents (on the resident pages and
-- the QR poster), so that people who cannot type can call. That number is published, so it is
-- kept in plain text beside the sealed one; no agreement, no number.
ALTER TABLE staff ADD COLUMN public_phone TEXT;
