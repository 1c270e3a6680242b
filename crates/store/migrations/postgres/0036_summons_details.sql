-- 吹哨 says why, where and when: the departments summoned read the reason, and meet at the
-- place and time given (the case's address when none).
ALTER TABLE case_summons ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE case_summons ADD COLUMN place TEXT;
ALTER TABLE case_summons ADD COLUMN meet_at BIGINT;
