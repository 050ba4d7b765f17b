//! One-time codes: six digits from the OS random source; stored only as an HMAC-SHA256 under
//! a server key. A plain hash of a six-digit code is reversed offline in a second; a keyed
//! hash is useless without the key, which lives outside the database.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::AppError;

/// The server key for code hashes.
#[derive(Clone)]
pub struct OtpKey([u8; 32]);

impl OtpKey {
    pub fn from_hex(hex_key: &str) -> Result<Self, AppError> {
        let bytes =
            hex::decode(hex_key.trim()).map_err(|_| AppError::internal("OTP_SECRET is not hex"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| AppError::internal("OTP_SECRET must be 32 bytes (64 hex characters)"))?;
        Ok(Self(key))
    }

    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        fill_random(&mut key);
        Self(key)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The stored form of `code` for this address and purpose.
    pub fn digest(&self, purpose: &str, email: &str, code: &str) -> String {
        hex::encode(self.mac(purpose, email, code))
    }

    /// Whether `code` is the one whose digest is `stored`, compared in constant time.
    pub fn matches(&self, purpose: &str, email: &str, code: &str, stored: &str) -> bool {
        let Ok(stored) = hex::decode(stored) else {
            return false;
        };
        self.mac(purpose, email, code)
            .ct_eq(stored.as_slice())
            .into()
    }

    /// HMAC-SHA256 of `message` under this key, for other things the server signs (download
    /// links, `http::links`); each signs a message that starts with its own label.
    pub fn sign(&self, message: &[u8]) -> [u8; 32] {
        // `new_from_slice` only fails for key lengths HMAC cannot take; 32 bytes always work.
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes 32-byte keys");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    fn mac(&self, purpose: &str, email: &str, code: &str) -> Vec<u8> {
        // `new_from_slice` only fails for key lengths HMAC cannot take; 32 bytes always work.
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes 32-byte keys");
        mac.update(format!("{purpose}\n{email}\n{code}").as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

fn fill_random(bytes: &mut [u8]) {
    #[allow(clippy::expect_used)]
    getrandom::fill(bytes).expect("operating system random source unavailable");
}

/// Six uniformly random digits.
pub fn generate_code() -> String {
    // Reject the top of the u32 range so every code is equally likely.
    const LIMIT: u32 = u32::MAX - (u32::MAX % 1_000_000);
    loop {
        let mut bytes = [0u8; 4];
        fill_random(&mut bytes);
        let n = u32::from_le_bytes(bytes);
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = generate_code();
            assert_eq!(code.len(), 6);
            assert!(code.chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn digests_are_keyed_and_bound_to_address_and_purpose() {
        let key = OtpKey::generate();
        let stored = key.digest("login", "a@example.com", "123456");
        assert!(key.matches("login", "a@example.com", "123456", &stored));
        assert!(!key.matches("login", "a@example.com", "123457", &stored));
        assert!(!key.matches("registration", "a@example.com", "123456", &stored));
        assert!(!key.matches("login", "b@example.com", "123456", &stored));
        assert!(!OtpKey::generate().matches("login", "a@example.com", "123456", &stored));
    }
}
