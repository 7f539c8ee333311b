//! Key files, shared by `serve` (public keys to verify with) and `token` (private keys to sign
//! with). Every error names the file.

use std::path::Path;

use clap::builder::{PossibleValuesParser, TypedValueParser};

use super::Failure;
use crate::auth::{Algorithm, KeyMaterial, SigningKey, TrustedKey};

/// The largest key file read: a 4096-bit RSA PEM is about 3 KiB, so anything near this is
/// not a key.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// `--alg`'s parser: exactly the JOSE names of [`Algorithm::ALL`], listed in `--help`.
pub(crate) fn alg_parser() -> impl TypedValueParser<Value = Algorithm> {
    PossibleValuesParser::new(Algorithm::ALL.map(Algorithm::name)).map(|name| {
        Algorithm::from_name(&name).expect("the possible values are the algorithm names")
    })
}

/// The bytes of the key file at `path`; `what` names it in errors ("publisher key").
pub(crate) fn read(what: &str, path: &Path) -> Result<Vec<u8>, Failure> {
    let cannot = |why: String| Failure::usage(format!("{what} file {}: {why}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| cannot(e.to_string()))?;
    if !meta.is_file() {
        return Err(cannot("not a regular file".into()));
    }
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(cannot(format!(
            "{} bytes is too large for a key (at most {MAX_KEY_FILE_BYTES})",
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| cannot(e.to_string()))
}

/// An HS256 secret as a file holds it: the file's bytes, less one trailing newline (`\n` or
/// `\r\n`) so `echo` and editors do not change the key. Nothing else is trimmed.
pub(crate) fn secret(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    bytes
}

/// Checks that HS256 is not mixed with the public-key algorithms: the file is either a secret
/// or a PEM, never both.
fn material_for(algorithms: &[Algorithm], bytes: Vec<u8>) -> Result<KeyMaterial, String> {
    let hs = algorithms.contains(&Algorithm::HS256);
    if hs && algorithms.len() > 1 {
        return Err(
            "HS256 (a shared secret) cannot be combined with another algorithm \
                    (a public key) for the same key file"
                .into(),
        );
    }
    Ok(if hs {
        KeyMaterial::Secret(secret(bytes))
    } else {
        KeyMaterial::PublicKeyPem(bytes)
    })
}

/// The key in the file at `path`, trusted for `issuer` and `algorithms`: the secret for
/// HS256, else a PEM public key. `what` names it in errors ("publisher key").
pub(crate) fn trusted(
    what: &str,
    path: &Path,
    issuer: &str,
    algorithms: &[Algorithm],
) -> Result<TrustedKey, Failure> {
    let bytes = read(what, path)?;
    let invalid = |why: String| Failure::usage(format!("{what} file {}: {why}", path.display()));
    let material = material_for(algorithms, bytes).map_err(invalid)?;
    TrustedKey::new(issuer, material, algorithms).map_err(|e| invalid(e.to_string()))
}

/// The signing key in the file at `path` for `algorithm`: the secret for HS256, else a PEM
/// private key.
pub(crate) fn signing(path: &Path, algorithm: Algorithm) -> Result<SigningKey, Failure> {
    let bytes = read("signing key", path)?;
    let key = match algorithm {
        Algorithm::HS256 => {
            let secret = secret(bytes);
            if secret.starts_with(b"-----BEGIN") {
                Err(crate::auth::KeyError::BadPem(
                    "a PEM key given as an HS256 secret; use --alg EdDSA, ES256 or RS256".into(),
                ))
            } else {
                SigningKey::from_secret(&secret)
            }
        }
        other => SigningKey::from_pem(&bytes, other),
    };
    key.map_err(|e| Failure::usage(format!("signing key file {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_trimmed() {
        assert_eq!(secret(b"abc\n".to_vec()), b"abc");
        assert_eq!(secret(b"abc\r\n".to_vec()), b"abc");
        assert_eq!(secret(b"abc\n\n".to_vec()), b"abc\n");
        assert_eq!(secret(b" abc ".to_vec()), b" abc ");
        assert_eq!(secret(b"abc\r".to_vec()), b"abc\r");
    }

    #[test]
    fn hs256_is_not_mixed_with_public_key_algorithms() {
        assert!(material_for(&[Algorithm::HS256, Algorithm::RS256], vec![]).is_err());
        assert!(matches!(
            material_for(&[Algorithm::HS256], b"s\n".to_vec()),
            Ok(KeyMaterial::Secret(s)) if s == b"s"
        ));
        assert!(matches!(
            material_for(&[Algorithm::EdDSA, Algorithm::ES256], b"pem\n".to_vec()),
            Ok(KeyMaterial::PublicKeyPem(p)) if p == b"pem\n"
        ));
    }
}
