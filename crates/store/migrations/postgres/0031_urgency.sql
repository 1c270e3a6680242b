-- How urgent a case is (紧急程度: normal / urgent / critical), as 12345 platforms grade their
-- work orders; every case before this was reported without a grade.
ALTER TABLE cases ADD COLUMN urgency TEXT NOT NULL DEFAULT 'normal';
