//! Identifiers for one benchmark run: a `Client-ID` (Zaqar insists on a UUID)
//! and short run tokens that keep queue names of different runs apart.
//!
//! No `uuid`/`rand` dependency: nothing here is security-relevant, it only has
//! to differ between runs, so a splitmix64 over the clock and the PID will do.
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random_u64() -> u64 {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed = crate::clock::now_us() ^ (u64::from(std::process::id()) << 32) ^ n.rotate_left(17);
    splitmix64(seed)
}

/// A version-4-shaped UUID string, e.g. `3f0c2a9e-1b7d-4c55-8e21-0a6b9d4f7c13`.
pub fn client_id() -> String {
    let a = random_u64();
    let b = random_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// Eight hex digits, for queue names such as `fan-1a2b3c4d`.
pub fn run_token() -> String {
    format!("{:08x}", random_u64() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_is_uuid_shaped() {
        let id = client_id();
        let parts: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(run_token(), run_token());
    }
}
