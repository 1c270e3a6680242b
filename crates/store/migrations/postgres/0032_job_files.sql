-- A checked import waits for the user's confirmation: its file (sealed: a register carries ID
-- numbers) and how it was to be read stay with the job, so any process can write it.
ALTER TABLE jobs ADD COLUMN file BYTEA;
ALTER TABLE jobs ADD COLUMN request TEXT;
