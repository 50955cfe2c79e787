//! Randomness, as the domain sees it: a port for secure random bytes, and the
//! identifiers made from them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A cryptographically secure source of random bytes.
pub trait Rng: Send + Sync {
    fn fill(&self, buf: &mut [u8]);

    fn uuid_v4(&self) -> Uuid {
        let mut b = [0u8; 16];
        self.fill(&mut b);
        uuid::Builder::from_random_bytes(b).into_uuid()
    }

    /// Time-ordered id: new rows land at the end of the primary-key index and
    /// sort by creation. RFC 9562 §6.2 method 3: the 12 `rand_a` bits carry
    /// the sub-millisecond fraction, so ids of one node sort to ~250 ns.
    fn uuid_v7(&self, now: DateTime<Utc>) -> Uuid {
        let mut b = [0u8; 16];
        self.fill(&mut b[8..]);
        let ms = now.timestamp_millis() as u64;
        b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
        let fraction = ((now.timestamp_subsec_nanos() % 1_000_000) as u64 * 4096 / 1_000_000) as u16;
        b[6] = 0x70 | (fraction >> 8) as u8;
        b[7] = fraction as u8;
        b[8] = (b[8] & 0x3F) | 0x80;
        Uuid::from_bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::doubles::SeqRng;
    use chrono::TimeZone;

    #[test]
    fn uuid_v7_ids_are_version_7_and_sort_by_time_within_a_millisecond() {
        let rng = SeqRng::new(vec![0xFF; 64]);
        let t0 = Utc.timestamp_opt(1_800_000_000, 100_000).unwrap();
        let (a, b) = (rng.uuid_v7(t0), rng.uuid_v7(t0 + chrono::Duration::microseconds(1)));
        assert_eq!((a.get_version_num(), a.get_variant()), (7, uuid::Variant::RFC4122));
        assert!(a < b, "{a} !< {b} despite random bits all 0xFF");
        assert_eq!(a.get_timestamp().unwrap().to_unix().0, 1_800_000_000);
    }
}
