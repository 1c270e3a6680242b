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
        let mut out = Vec::with_capacity(64 + self.detail.len());
        let mut field = |bytes: &[u8]| {
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        };
        field(&self.seq.to_be_bytes());
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
}

/// Checks a chain record by record, in chain order (so a long chain is read in pages).
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    prev: Vec<u8>,
    checked: i64,
}

impl Verifier {
    /// Checks the next record against its stored hash, where `hash(prev, bytes)` is the
    /// chain's hash function and the first record's `prev` is empty.
    pub fn push(
        &mut self,
        record: &Record<'_>,
        stored: &[u8],
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
        self.prev = computed;
        self.checked = expected;
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

/// Checks records given in chain order against their stored hashes (see [`Verifier::push`]).
/// Returns how many were checked and the last hash.
pub fn verify<'a, I, H>(records: I, hash: H) -> Result<(i64, Vec<u8>), Break>
where
    I: IntoIterator<Item = (Record<'a>, &'a [u8])>,
    H: Fn(&[u8], &[u8]) -> Vec<u8>,
{
    let mut v = Verifier::default();
    for (record, stored) in records {
        v.push(&record, stored, &hash)?;
    }
    Ok((v.checked, v.prev))
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
        verify(chain.iter().map(|(r, h)| (r.clone(), h.as_slice())), hash)
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
