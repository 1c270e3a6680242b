-- A resident's consent to the grid's notices by text, recorded on the register (when given;
-- NULL: not given, or withdrawn).
ALTER TABLE persons ADD COLUMN notice_consent_at BIGINT;
CREATE INDEX persons_notice_consent ON persons (node_code) WHERE notice_consent_at IS NOT NULL;

-- A text's phone found again by its blind index (a reply 退订 names only the phone), and the
-- gateway's receipt: whether the handset got it (delivered / undelivered) and when.
ALTER TABLE sms_outbox ADD COLUMN phone_index BYTEA;
ALTER TABLE sms_outbox ADD COLUMN receipt TEXT;
ALTER TABLE sms_outbox ADD COLUMN receipt_at BIGINT;
CREATE INDEX sms_outbox_gateway_ref ON sms_outbox (gateway_ref) WHERE gateway_ref IS NOT NULL;

-- A warning's 叫应 counted per grid, kept in the transaction that records a call, so a city's
-- progress sums 33,000 rows instead of counting 135,000 calls.
ALTER TABLE notice_grids ADD COLUMN total BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notice_grids ADD COLUMN reached BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notice_grids ADD COLUMN moved BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notice_grids ADD COLUMN unreached BIGINT NOT NULL DEFAULT 0;
-- And its texts per grid (queued, accepted by the gateway, on the handset, failed, read),
-- moved in the transaction that records each step of a text.
ALTER TABLE notice_grids ADD COLUMN texts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notice_grids ADD COLUMN texts_sent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notice_grids ADD COLUMN texts_delivered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notice_grids ADD COLUMN texts_failed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notice_grids ADD COLUMN texts_read BIGINT NOT NULL DEFAULT 0;
UPDATE notice_grids SET
    texts = (SELECT COUNT(*) FROM sms_outbox o
             WHERE o.notice_id = notice_grids.notice_id AND o.node_code = notice_grids.node_code),
    texts_sent = (SELECT COUNT(*) FROM sms_outbox o WHERE o.notice_id = notice_grids.notice_id
                  AND o.node_code = notice_grids.node_code AND o.status = 'delivered'),
    texts_failed = (SELECT COUNT(*) FROM sms_outbox o WHERE o.notice_id = notice_grids.notice_id
                    AND o.node_code = notice_grids.node_code AND o.status = 'failed'),
    texts_read = (SELECT COUNT(*) FROM sms_outbox o WHERE o.notice_id = notice_grids.notice_id
                  AND o.node_code = notice_grids.node_code AND o.read_at IS NOT NULL);
UPDATE notice_grids SET
    total = (SELECT COUNT(*) FROM notice_calls c
             WHERE c.notice_id = notice_grids.notice_id AND c.node_code = notice_grids.node_code),
    reached = (SELECT COUNT(*) FROM notice_calls c WHERE c.notice_id = notice_grids.notice_id
               AND c.node_code = notice_grids.node_code AND c.outcome = 'reached'),
    moved = (SELECT COUNT(*) FROM notice_calls c WHERE c.notice_id = notice_grids.notice_id
             AND c.node_code = notice_grids.node_code AND c.outcome = 'moved'),
    unreached = (SELECT COUNT(*) FROM notice_calls c WHERE c.notice_id = notice_grids.notice_id
                 AND c.node_code = notice_grids.node_code AND c.outcome = 'unreached');

-- A reply 退订 ends every subscription of its phone.
CREATE INDEX notice_subscribers_phone ON notice_subscribers (phone_index);
