-- Texts about opinions, wishes and topics go through the same outbox as those about reports:
-- such a row has no case, and carries the code its link opens.
ALTER TABLE sms_outbox ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE sms_outbox ADD COLUMN code TEXT;
CREATE INDEX sms_outbox_code ON sms_outbox (code);
