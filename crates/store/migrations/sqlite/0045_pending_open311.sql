-- The 待定位 queue also holds Open311 requests whose address could not be placed: the client
-- that sent one (its order number is the token the client was given), so the case filed when
-- a person places it is the client's.
ALTER TABLE hotline_pending ADD COLUMN client_id BIGINT REFERENCES open311_clients (id);
