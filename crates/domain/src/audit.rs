//! The audit trail (审计日志) as a chain: each sealed record's hash covers the record and the
//! hash before it, so editing, inserting or deleting a sealed record breaks every hash after
//! it. The hash function is passed in (a keyed MAC in production): without its key, a broken
//! chain cannot be repaired.

/// One record, as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (ms since the epoch).
    pub at: i64,
    /// The account that acted, if any.
    pub actor_id: Option<i64>,
    /// Who acted, in words.
    pub actor_label: &'a str,
    /// What was done, e.g. `person.update`, `person.reveal_id`, `POST /api/v1/cases`.
    pub action: &'a str,
    /// What it was done to, e.g. `person:12`.
    pub target: &'a str,
    /// Where in the region tree, for scoped listing.
    pub node_code: Option<&'a str>,
    /// Details (JSON text: before and after for register changes).
    pub detail: &'a str,
}

impl Record<'_> {
    /// The bytes the hash covers: every field, each length-prefixed so no two records share
    /// an encoding.
    pub fn canonical(&self) -> Vec<u8> {
        self.encode(true)
    }

    /// The bytes a record's own seal covers, made when it is written: every field but the
    /// chain position, which it gets after its commit.
    pub fn content(&self) -> Vec<u8> {
        self.encode(false)
    }

    fn encode(&self, with_seq: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.detail.len());
        let mut field = |bytes: &[u8]| {
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        };
        if with_seq {
            field(&self.seq.to_be_bytes());
        }
        field(&self.at.to_be_bytes());
        field(&self.actor_id.map_or([0xff; 8], i64::to_be_bytes));
        field(self.actor_label.as_bytes());
        field(self.action.as_bytes());
        field(self.target.as_bytes());
        field(self.node_code.unwrap_or("\u{0}").as_bytes());
        field(self.detail.as_bytes());
        out
    }
}

/// A head of the chain noted outside the database (the anchor file, a remote log): the
/// chain must still hold that position with that hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// Position.
    pub seq: i64,
    /// Hash at that position.
    pub hash: Vec<u8>,
    /// When it was noted (ms).
    pub at: i64,
}

impl Anchor {
    /// One line of the anchor file: `seq hash-hex at-ms`.
    pub fn line(&self) -> String {
        let hex: String = self.hash.iter().map(|b| format!("{b:02x}")).collect();
        format!("{} {hex} {}", self.seq, self.at)
    }

    /// Reads a line written by [`Anchor::line`]; None for anything else.
    pub fn parse(line: &str) -> Option<Anchor> {
        let mut parts = line.split_whitespace();
        let seq = parts.next()?.parse().ok()?;
        let hex = parts.next()?;
        let at = parts.next()?.parse().ok()?;
        if hex.len() % 2 != 0 || parts.next().is_some() {
            return None;
        }
        let hash = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(Anchor { seq, hash, at })
    }
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// A record is missing: the chain jumps from one position to a later one.
    #[error("第 {expected} 条审计记录缺失（下一条是第 {found} 条）：记录被删除")]
    Missing {
        /// The position that should come next.
        expected: i64,
        /// The position found instead.
        found: i64,
    },
    /// A record's hash does not match its content and the hash before it.
    #[error("第 {seq} 条审计记录与其校验值不符：记录被修改")]
    Altered {
        /// Its position.
        seq: i64,
    },
    /// A record stands in another row than it was written in (ids swapped or changed).
    #[error("第 {seq} 条审计记录的写入顺序与链中位置不符：记录被调换")]
    Reordered {
        /// The position where the order breaks.
        seq: i64,
    },
    /// The chain ends before a head it once had: its last records were deleted.
    #[error("第 {from}–{to} 条审计记录缺失：链尾的记录被删除")]
    Truncated {
        /// The first position missing.
        from: i64,
        /// The last position the head or an anchor knew.
        to: i64,
    },
    /// The chain disagrees with a head noted outside the database.
    #[error("第 {seq} 条审计记录与链外锚定的校验值不符：锚定之后记录被改写")]
    Unanchored {
        /// The anchored position.
        seq: i64,
    },
    /// The stored head does not match the chain's last record.
    #[error("审计链头与第 {seq} 条记录不符：链头被改动")]
    HeadMismatch {
        /// The chain's last position.
        seq: i64,
    },
    /// The head row is gone.
    #[error("审计链头缺失：审计日志被篡改")]
    HeadMissing,
    /// Records the system did not seal: written straight into the database.
    #[error("发现 {count} 条未经本系统封存的审计记录：有人直接向数据库插入了记录")]
    Foreign {
        /// How many.
        count: i64,
    },
}

/// Checks a chain record by record, in chain order (so a long chain is read in pages), then
/// its end against the stored head and the anchors kept outside the database.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    prev: Vec<u8>,
    checked: i64,
    last_id: i64,
    anchors: Vec<Anchor>,
}

impl Verifier {
    /// A verifier that also holds the chain to `anchors`.
    pub fn anchored(anchors: Vec<Anchor>) -> Verifier {
        Verifier {
            anchors,
            ..Verifier::default()
        }
    }

    /// Checks the next record (stored with row id `id`) against its stored hash, where
    /// `hash(prev, bytes)` is the chain's hash function and the first record's `prev` is empty.
    /// `in_place` says whether the record's own seal (over its row id) still holds, `None` for
    /// a record written without one (by an older version): those were chained in the order
    /// they were written, so their ids grow with positions.
    pub fn push(
        &mut self,
        id: i64,
        record: &Record<'_>,
        stored: &[u8],
        in_place: Option<bool>,
        hash: impl Fn(&[u8], &[u8]) -> Vec<u8>,
    ) -> Result<(), Break> {
        let expected = self.checked + 1;
        if record.seq != expected {
            return Err(Break::Missing {
                expected,
                found: record.seq,
            });
        }
        let computed = hash(&self.prev, &record.canonical());
        if computed != stored {
            return Err(Break::Altered { seq: record.seq });
        }
        let moved = match in_place {
            Some(holds) => !holds,
            None => id <= self.last_id,
        };
        if moved {
            return Err(Break::Reordered { seq: record.seq });
        }
        if self
            .anchors
            .iter()
            .any(|a| a.seq == record.seq && a.hash != computed)
        {
            return Err(Break::Unanchored { seq: record.seq });
        }
        self.prev = computed;
        self.checked = expected;
        if in_place.is_none() {
            self.last_id = id;
        }
        Ok(())
    }

    /// Checks the end of the chain: the stored head (None when its row is gone) must be the
    /// last record, no anchor may lie beyond it, and no record may stand outside it
    /// (`foreign`: records the system did not seal).
    pub fn finish(&self, head: Option<(i64, &[u8])>, foreign: i64) -> Result<(), Break> {
        let beyond = self
            .anchors
            .iter()
            .map(|a| a.seq)
            .filter(|s| *s > self.checked)
            .max();
        if let Some(to) = beyond {
            return Err(Break::Truncated {
                from: self.checked + 1,
                to,
            });
        }
        let Some((seq, hash)) = head else {
            return Err(Break::HeadMissing);
        };
        if seq > self.checked {
            return Err(Break::Truncated {
                from: self.checked + 1,
                to: seq,
            });
        }
        if seq < self.checked || hash != self.prev.as_slice() {
            return Err(Break::HeadMismatch { seq: self.checked });
        }
        if foreign > 0 {
            return Err(Break::Foreign { count: foreign });
        }
        Ok(())
    }

    /// How many records checked so far.
    pub fn checked(&self) -> i64 {
        self.checked
    }

    /// The last hash checked (empty before the first).
    pub fn last_hash(&self) -> &[u8] {
        &self.prev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in keyed hash for the rules (the real one is HMAC-SHA256 with a secret key).
    fn hash(prev: &[u8], bytes: &[u8]) -> Vec<u8> {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in prev.iter().chain(bytes) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        h.to_be_bytes().to_vec()
    }

    fn record(seq: i64, detail: &str) -> Record<'_> {
        Record {
            seq,
            at: 1_700_000_000_000 + seq,
            actor_id: Some(7),
            actor_label: "覃鹏琳（网格员）",
            action: "person.update",
            target: "person:1",
            node_code: Some("450802001001001"),
            detail,
        }
    }

    fn sealed(details: &[&'static str]) -> Vec<(Record<'static>, Vec<u8>)> {
        let mut prev = Vec::new();
        details
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let r = record(i as i64 + 1, d);
                prev = hash(&prev, &r.canonical());
                (r, prev.clone())
            })
            .collect()
    }

    fn check(chain: &[(Record<'static>, Vec<u8>)]) -> Result<(i64, Vec<u8>), Break> {
        let mut v = Verifier::default();
        for (r, h) in chain {
            v.push(r.seq, r, h, None, hash)?;
        }
        Ok((v.checked(), v.last_hash().to_vec()))
    }

    /// Verifies `chain` whole, with its stored head and anchors.
    fn whole(
        chain: &[(Record<'static>, Vec<u8>)],
        head: Option<(i64, &[u8])>,
        anchors: Vec<Anchor>,
    ) -> Result<(), Break> {
        let mut v = Verifier::anchored(anchors);
        for (i, (r, h)) in chain.iter().enumerate() {
            v.push(i as i64 + 1, r, h, None, hash)?;
        }
        v.finish(head, 0)
    }

    #[test]
    fn the_end_is_held_to_the_head_and_the_anchors() {
        let chain = sealed(&["a", "b", "c"]);
        let head = |n: usize| Some((n as i64, chain[n - 1].1.as_slice()));
        let anchor = |n: usize| Anchor {
            seq: n as i64,
            hash: chain[n - 1].1.clone(),
            at: 0,
        };
        assert_eq!(whole(&chain, head(3), vec![anchor(2), anchor(3)]), Ok(()));
        // The tail deleted, head left alone.
        assert_eq!(
            whole(&chain[..1], head(3), vec![]),
            Err(Break::Truncated { from: 2, to: 3 })
        );
        // The tail deleted and the head moved back: the anchor still knows.
        assert_eq!(
            whole(&chain[..1], head(1), vec![anchor(2)]),
            Err(Break::Truncated { from: 2, to: 2 })
        );
        // Everything deleted.
        assert_eq!(
            whole(&[], Some((0, &[])), vec![anchor(3)]),
            Err(Break::Truncated { from: 1, to: 3 })
        );
        assert_eq!(whole(&chain, None, vec![]), Err(Break::HeadMissing));
        assert_eq!(
            whole(&chain, head(2), vec![]),
            Err(Break::HeadMismatch { seq: 3 })
        );
        // Rewritten from position 2 with the key (someone who had it): the anchor differs.
        let other = sealed(&["a", "x", "y"]);
        assert_eq!(
            whole(&other, Some((3, other[2].1.as_slice())), vec![anchor(2)]),
            Err(Break::Unanchored { seq: 2 })
        );
        let v = Verifier::default();
        assert_eq!(
            v.finish(Some((0, &[])), 2),
            Err(Break::Foreign { count: 2 })
        );
    }

    #[test]
    fn swapped_rows_are_found() {
        let chain = sealed(&["a", "b"]);
        let mut v = Verifier::default();
        v.push(7, &chain[0].0, &chain[0].1, None, hash).unwrap();
        assert_eq!(
            v.push(5, &chain[1].0, &chain[1].1, None, hash),
            Err(Break::Reordered { seq: 2 })
        );
    }

    #[test]
    fn records_with_their_own_seal_may_be_chained_out_of_id_order_but_not_moved() {
        let chain = sealed(&["a", "b", "c"]);
        let mut v = Verifier::default();
        v.push(7, &chain[0].0, &chain[0].1, Some(true), hash)
            .unwrap();
        v.push(5, &chain[1].0, &chain[1].1, Some(true), hash)
            .unwrap();
        assert_eq!(
            v.push(9, &chain[2].0, &chain[2].1, Some(false), hash),
            Err(Break::Reordered { seq: 3 })
        );
    }

    #[test]
    fn anchors_read_back_what_they_wrote() {
        let a = Anchor {
            seq: 42,
            hash: vec![0, 255, 16],
            at: 1_700_000_000_000,
        };
        assert_eq!(Anchor::parse(&a.line()), Some(a));
        for bad in ["", "x 00 1", "1 0 1", "1 zz 1", "1 00 1 extra"] {
            assert_eq!(Anchor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        let chain = sealed(&["a", "b", "c"]);
        assert_eq!(check(&chain).map(|(n, _)| n), Ok(3));
        assert_eq!(check(&[]).map(|(n, _)| n), Ok(0));
    }

    #[test]
    fn an_edited_record_is_found() {
        let mut chain = sealed(&["a", "b", "c"]);
        chain[1].0.detail = "B";
        assert_eq!(check(&chain), Err(Break::Altered { seq: 2 }));
        let mut chain = sealed(&["a", "b", "c"]);
        chain[0].0.actor_id = Some(8);
        assert_eq!(check(&chain), Err(Break::Altered { seq: 1 }));
    }

    #[test]
    fn a_deleted_record_is_found_even_with_renumbering() {
        let mut chain = sealed(&["a", "b", "c"]);
        chain.remove(1);
        assert_eq!(
            check(&chain),
            Err(Break::Missing {
                expected: 2,
                found: 3
            })
        );
        // Renumbering to hide the gap changes what was hashed.
        chain[1].0.seq = 2;
        assert_eq!(check(&chain), Err(Break::Altered { seq: 2 }));
    }

    #[test]
    fn fields_cannot_be_shifted_into_one_another() {
        let a = Record {
            actor_label: "ab",
            action: "c",
            ..record(1, "")
        };
        let b = Record {
            actor_label: "a",
            action: "bc",
            ..record(1, "")
        };
        assert_ne!(a.canonical(), b.canonical());
    }
}
