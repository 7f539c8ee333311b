//! `ssewire-hub keygen`: prints a fresh random HS256 secret, for development and for
//! deployments that share a secret with their application:
//!
//! ```text
//! ssewire-hub keygen > hub.key
//! ssewire-hub serve --publisher-key hub.key --alg HS256 --issuer https://app.example
//! ```
//!
//! The output is lowercase hex text and a newline. The **text** is the secret (64 ASCII
//! bytes for the default 32 random bytes), as the hub reads the file: an application signing
//! with it uses the text as its HMAC key, not the decoded bytes.

use clap::Args;

use super::Failure;
use crate::auth::MIN_SECRET_BYTES;

/// `keygen`'s options.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Random bytes to draw from the operating system (at least 32, at most 1024); printed
    /// as hex, twice as many characters.
    #[arg(long, value_name = "N", env = "SSEWIRE_HUB_KEYGEN_BYTES", default_value_t = 32,
          value_parser = clap::value_parser!(u16).range(MIN_SECRET_BYTES as i64..=1024))]
    pub bytes: u16,
}

/// A fresh secret of `bytes` random bytes, as lowercase hex.
///
/// # Errors
/// The operating system's random source failed.
pub fn secret(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Runs `keygen`: prints the secret and a newline.
///
/// # Errors
/// A runtime failure (exit status 1) if the random source fails.
pub fn execute(args: KeygenArgs) -> Result<(), Failure> {
    let secret = secret(usize::from(args.bytes))
        .map_err(|e| Failure::runtime(format!("cannot draw random bytes: {e}")))?;
    println!("{secret}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_hex_long_enough_and_fresh() {
        let a = secret(32).unwrap();
        let b = secret(32).unwrap();
        assert_eq!(a.len(), 64);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
