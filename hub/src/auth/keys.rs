//! Trusted keys, each bound to one issuer and an explicit algorithm allowlist
//! (Mercure-08 §Token Validation TV-3, TV-4, TV-5).
//!
//! Keys come only from configuration (TV-4): a PEM public key (EdDSA, ES256, RS256) or a
//! shared secret (HS256). Loading checks that every allowed algorithm fits the key type, so
//! a configuration cannot express algorithm confusion (an RSA public key used as an HMAC
//! secret, an Ed25519 key for ES256, ...). jsonwebtoken checks the key family again when it
//! verifies.

use std::fmt;

use jsonwebtoken::{AlgorithmFamily, DecodingKey, EncodingKey};

/// A signature algorithm the hub can be configured to accept. `none` and every algorithm not
/// listed here cannot be represented, so no configuration and no token can select them
/// (Mercure-08 §Token Validation TV-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 signatures (RFC 8037), with a PEM (SPKI) public key.
    EdDSA,
    /// ECDSA on P-256 with SHA-256, with a PEM (SPKI) public key.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, with a PEM (SPKI or PKCS#1) public key.
    RS256,
    /// HMAC-SHA-256 with a shared secret of at least 32 bytes (RFC 7518 §3.2).
    HS256,
}

impl Algorithm {
    /// Every accepted algorithm, in the order the draft recommends them.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::RS256,
        Algorithm::HS256,
    ];

    /// The JOSE name (`EdDSA`, `ES256`, `RS256`, `HS256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
            Algorithm::RS256 => "RS256",
            Algorithm::HS256 => "HS256",
        }
    }

    /// The algorithm with this JOSE name, compared exactly (JOSE names are case-sensitive).
    ///
    /// ```
    /// use ssewire_hub::auth::Algorithm;
    /// assert_eq!(Algorithm::from_name("ES256"), Some(Algorithm::ES256));
    /// assert_eq!(Algorithm::from_name("none"), None);
    /// assert_eq!(Algorithm::from_name("HS512"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The jsonwebtoken algorithm.
    pub(crate) fn to_jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
            Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
            Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        }
    }

    /// Ours, for a jsonwebtoken algorithm; `None` for the ones we never accept.
    pub(crate) fn from_jwt(alg: jsonwebtoken::Algorithm) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.to_jwt() == alg)
    }

    fn family(self) -> AlgorithmFamily {
        self.to_jwt().family()
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Key material as configuration provides it.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// A PEM public key: `BEGIN PUBLIC KEY` (SPKI: Ed25519, P-256 or RSA) or
    /// `BEGIN RSA PUBLIC KEY` (PKCS#1). Private keys are refused: the hub only verifies.
    PublicKeyPem(Vec<u8>),
    /// An HMAC shared secret, as raw bytes.
    Secret(Vec<u8>),
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyMaterial::PublicKeyPem(pem) => f
                .debug_tuple("PublicKeyPem")
                .field(&String::from_utf8_lossy(pem))
                .finish(),
            // Never print a secret.
            KeyMaterial::Secret(_) => f.write_str("Secret([redacted])"),
        }
    }
}

/// The smallest HMAC secret accepted: RFC 7518 §3.2 requires a key at least as long as the
/// hash output (256 bits for HS256).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why a key could not be configured.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The issuer identifier is empty.
    EmptyIssuer,
    /// No algorithm was allowed for the key.
    NoAlgorithms,
    /// An algorithm name outside the allowlist (`EdDSA`, `ES256`, `RS256`, `HS256`).
    UnknownAlgorithm(String),
    /// The PEM is not a public key of a supported type.
    BadPem(String),
    /// The HMAC secret is shorter than [`MIN_SECRET_BYTES`].
    SecretTooShort,
    /// An allowed algorithm does not fit the key type (TV-3: no algorithm confusion).
    AlgorithmKeyMismatch {
        /// The algorithm.
        algorithm: Algorithm,
        /// The key type found, e.g. `RSA public key`.
        key: &'static str,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::EmptyIssuer => f.write_str("a trusted key needs a non-empty issuer"),
            KeyError::NoAlgorithms => f.write_str("a trusted key needs at least one algorithm"),
            KeyError::UnknownAlgorithm(name) => write!(
                f,
                "algorithm {name:?} is not allowed (allowed: EdDSA, ES256, RS256, HS256)"
            ),
            KeyError::BadPem(why) => write!(f, "not a supported PEM public key: {why}"),
            KeyError::SecretTooShort => write!(
                f,
                "an HS256 secret must be at least {MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)"
            ),
            KeyError::AlgorithmKeyMismatch { algorithm, key } => {
                write!(f, "algorithm {algorithm} cannot be used with a {key}")
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// A key the hub trusts, bound to one issuer (Mercure-08 §Token Validation TV-5) and to the
/// algorithms configured for it (TV-3).
#[derive(Clone)]
pub struct TrustedKey {
    issuer: String,
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
    kind: &'static str,
}

impl fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedKey")
            .field("issuer", &self.issuer)
            .field("algorithms", &self.algorithms)
            .field("key", &self.kind)
            .finish()
    }
}

impl TrustedKey {
    /// A trusted key for `issuer`, accepting exactly `algorithms`.
    ///
    /// ```
    /// use ssewire_hub::auth::{Algorithm, KeyMaterial, TrustedKey};
    /// let secret = KeyMaterial::Secret(b"0123456789abcdef0123456789abcdef".to_vec());
    /// let key = TrustedKey::new("https://app.example", secret.clone(), &[Algorithm::HS256]).unwrap();
    /// assert_eq!(key.issuer(), "https://app.example");
    /// // An HMAC secret cannot verify RS256 (algorithm confusion, TV-3).
    /// assert!(TrustedKey::new("https://app.example", secret, &[Algorithm::RS256]).is_err());
    /// ```
    ///
    /// # Errors
    /// An empty issuer or algorithm list, a PEM that is not a supported public key, a short
    /// secret, or an algorithm that does not fit the key type.
    pub fn new(
        issuer: impl Into<String>,
        material: KeyMaterial,
        algorithms: &[Algorithm],
    ) -> Result<TrustedKey, KeyError> {
        let issuer = issuer.into();
        if issuer.is_empty() {
            return Err(KeyError::EmptyIssuer);
        }
        if algorithms.is_empty() {
            return Err(KeyError::NoAlgorithms);
        }
        let (key, kind) = match &material {
            KeyMaterial::Secret(secret) => {
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(KeyError::SecretTooShort);
                }
                // A PEM given as a secret is the classic algorithm-confusion setup (TV-3).
                if secret.starts_with(b"-----BEGIN") {
                    return Err(KeyError::BadPem(
                        "a PEM key given as an HMAC secret; configure it as a public key".into(),
                    ));
                }
                let key = DecodingKey::from_secret(secret)
                    .map_err(|e| KeyError::BadPem(e.to_string()))?;
                (key, "shared secret")
            }
            KeyMaterial::PublicKeyPem(pem) => public_key_from_pem(pem)?,
        };
        let mut allowed = Vec::with_capacity(algorithms.len());
        for &algorithm in algorithms {
            if algorithm.family() != key.family() {
                return Err(KeyError::AlgorithmKeyMismatch {
                    algorithm,
                    key: kind,
                });
            }
            if algorithm == Algorithm::ES256 && !is_p256_point(&key) {
                return Err(KeyError::AlgorithmKeyMismatch {
                    algorithm,
                    key: "EC public key on another curve than P-256",
                });
            }
            if !allowed.contains(&algorithm) {
                allowed.push(algorithm);
            }
        }
        Ok(TrustedKey {
            issuer,
            algorithms: allowed,
            key,
            kind,
        })
    }

    /// Like [`TrustedKey::new`], with algorithms given by name as a configuration file
    /// spells them.
    ///
    /// # Errors
    /// A name outside the allowlist ([`KeyError::UnknownAlgorithm`], `none` included), or
    /// any error of [`TrustedKey::new`].
    pub fn from_names<S: AsRef<str>>(
        issuer: impl Into<String>,
        material: KeyMaterial,
        algorithms: &[S],
    ) -> Result<TrustedKey, KeyError> {
        let algorithms = algorithms
            .iter()
            .map(|name| {
                Algorithm::from_name(name.as_ref())
                    .ok_or_else(|| KeyError::UnknownAlgorithm(name.as_ref().to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        TrustedKey::new(issuer, material, &algorithms)
    }

    /// The issuer this key is bound to, compared exactly with a token's `iss` (TV-8).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The algorithms this key accepts.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// Whether this key accepts `alg`.
    pub(crate) fn allows(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }

    /// The jsonwebtoken key.
    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }
}

/// The public key in `pem`, trying the three supported types; each constructor checks the
/// PEM's own type, so an Ed25519 PEM never becomes an RSA key and so on.
fn public_key_from_pem(pem: &[u8]) -> Result<(DecodingKey, &'static str), KeyError> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("PRIVATE KEY") {
        return Err(KeyError::BadPem(
            "a private key; configure the public key (the hub only verifies)".into(),
        ));
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        return Ok((key, "Ed25519 public key"));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        return Ok((key, "EC public key"));
    }
    match DecodingKey::from_rsa_pem(pem) {
        Ok(key) => Ok((key, "RSA public key")),
        Err(e) => Err(KeyError::BadPem(e.to_string())),
    }
}

/// Whether an EC key is an uncompressed P-256 point (65 bytes, `0x04 || x || y`); a P-384
/// key would be 97 bytes.
fn is_p256_point(key: &DecodingKey) -> bool {
    key.try_get_as_bytes()
        .is_ok_and(|point| point.len() == 65 && point[0] == 0x04)
}

/// A private key or secret for minting tokens ([`crate::auth::TokenBuilder`]), with the
/// algorithm it signs with.
#[derive(Clone)]
pub struct SigningKey {
    key: EncodingKey,
    algorithm: Algorithm,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A PKCS#8 PEM private key (`BEGIN PRIVATE KEY`; PKCS#1 `BEGIN RSA PRIVATE KEY` too for
    /// RS256) signing with `algorithm` (EdDSA, ES256 or RS256).
    ///
    /// # Errors
    /// HS256 (use [`SigningKey::from_secret`]), or a PEM that is not a private key of the
    /// algorithm's type.
    pub fn from_pem(pem: &[u8], algorithm: Algorithm) -> Result<SigningKey, KeyError> {
        let key = match algorithm {
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
            Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
            Algorithm::RS256 => EncodingKey::from_rsa_pem(pem),
            Algorithm::HS256 => {
                return Err(KeyError::AlgorithmKeyMismatch {
                    algorithm,
                    key: "PEM key",
                })
            }
        }
        .map_err(|e| KeyError::BadPem(e.to_string()))?;
        Ok(SigningKey { key, algorithm })
    }

    /// An HS256 shared secret.
    ///
    /// # Errors
    /// A secret shorter than [`MIN_SECRET_BYTES`].
    pub fn from_secret(secret: &[u8]) -> Result<SigningKey, KeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::SecretTooShort);
        }
        let key = EncodingKey::from_secret(secret).map_err(|e| KeyError::BadPem(e.to_string()))?;
        Ok(SigningKey {
            key,
            algorithm: Algorithm::HS256,
        })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The jsonwebtoken key.
    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.key
    }
}
