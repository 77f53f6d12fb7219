//! Access tokens (JWT, HS256 only) and refresh tokens (random, stored as SHA-256).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;

/// Clock skew tolerated on `exp`, `nbf` and `iat` (the contract allows at most 60 s).
pub const LEEWAY_SECS: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub ver: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(settings: &Settings, secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&settings.jwt_issuer]);
        validation.set_audience(&[&settings.jwt_audience]);
        validation.set_required_spec_claims(&["sub", "iss", "aud", "iat", "nbf", "exp"]);
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            access_ttl_secs: settings.access_token_ttl_secs,
        }
    }

    pub fn issue(&self, user_id: &str, token_version: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.access_ttl_secs,
            jti: uuid::Uuid::new_v4().to_string(),
            ver: token_version,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// The claims of a well-formed, correctly signed, current token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        if token.len() > 4096 || header_names_a_key_or_extension(token) {
            return None;
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let issued_in_future = data.claims.iat > chrono::Utc::now().timestamp() + LEEWAY_SECS as i64;
        (data.header.alg == Algorithm::HS256 && !issued_in_future).then_some(data.claims)
    }
}

/// Header parameters we never honour and so refuse (CONTRACT.md §10): `crit` names extensions
/// the verifier must understand (RFC 7515 §4.1.11), and `jku`, `jwk`, `x5u`, `x5c` point at
/// keys the sender chose. A token carrying one was not issued here.
const REFUSED_HEADER_PARAMETERS: [&str; 5] = ["crit", "jku", "jwk", "x5u", "x5c"];

fn header_names_a_key_or_extension(token: &str) -> bool {
    let Some(header) = token.split('.').next().and_then(|h| URL_SAFE_NO_PAD.decode(h).ok()) else {
        return false; // not base64url: decoding the token fails anyway
    };
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&header) {
        Ok(members) => REFUSED_HEADER_PARAMETERS.iter().any(|name| members.contains_key(*name)),
        Err(_) => false,
    }
}

/// A new opaque refresh token (256 random bits) and the hash under which it is stored.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn keys() -> TokenKeys {
        let settings = Settings::from_lookup(|_| None::<String>).unwrap();
        TokenKeys::new(&settings, &"s".repeat(32))
    }

    fn sign(claims: &serde_json::Value, alg: Algorithm, secret: &str) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn claims(overrides: &[(&str, serde_json::Value)]) -> serde_json::Value {
        let now = chrono::Utc::now().timestamp();
        let mut map: HashMap<&str, serde_json::Value> = HashMap::from([
            ("sub", "u1".into()),
            ("iss", "trastienda".into()),
            ("aud", "trastienda".into()),
            ("iat", now.into()),
            ("nbf", now.into()),
            ("exp", (now + 600).into()),
            ("jti", "j".into()),
            ("ver", 0.into()),
        ]);
        for (k, v) in overrides {
            if v.is_null() {
                map.remove(k);
            } else {
                map.insert(k, v.clone());
            }
        }
        serde_json::to_value(map).unwrap()
    }

    #[test]
    fn issued_tokens_verify_and_carry_every_claim() {
        let keys = keys();
        let token = keys.issue("user-1", 3);
        let claims = keys.verify(&token).expect("valid");
        assert_eq!((claims.sub.as_str(), claims.ver), ("user-1", 3));
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn forged_and_stale_tokens_are_refused() {
        let keys = keys();
        let secret = "s".repeat(32);
        let now = chrono::Utc::now().timestamp();
        assert!(keys.verify(&sign(&claims(&[]), Algorithm::HS256, &secret)).is_some(), "baseline");
        let cases = [
            ("wrong key", sign(&claims(&[]), Algorithm::HS256, &"x".repeat(32))),
            ("HS512", sign(&claims(&[]), Algorithm::HS512, &secret)),
            ("expired", sign(&claims(&[("exp", (now - 120).into())]), Algorithm::HS256, &secret)),
            ("not yet valid", sign(&claims(&[("nbf", (now + 600).into())]), Algorithm::HS256, &secret)),
            ("wrong audience", sign(&claims(&[("aud", "other".into())]), Algorithm::HS256, &secret)),
            ("wrong issuer", sign(&claims(&[("iss", "other".into())]), Algorithm::HS256, &secret)),
            ("no jti", sign(&claims(&[("jti", serde_json::Value::Null)]), Algorithm::HS256, &secret)),
            ("no ver", sign(&claims(&[("ver", serde_json::Value::Null)]), Algorithm::HS256, &secret)),
            ("no nbf", sign(&claims(&[("nbf", serde_json::Value::Null)]), Algorithm::HS256, &secret)),
            ("issued in the future", sign(&claims(&[("iat", (now + 600).into())]), Algorithm::HS256, &secret)),
        ];
        for (name, token) in cases {
            assert!(keys.verify(&token).is_none(), "{name} was accepted");
        }
    }

    #[test]
    fn headers_naming_keys_or_critical_extensions_are_refused() {
        let keys = keys();
        let secret = "s".repeat(32);
        let key = EncodingKey::from_secret(secret.as_bytes());
        let plain = Header::new(Algorithm::HS256);
        assert!(keys.verify(&jsonwebtoken::encode(&plain, &claims(&[]), &key).unwrap()).is_some(), "baseline");
        for (name, value) in [
            ("crit", serde_json::json!(["exp"])),
            ("jku", serde_json::json!("https://attacker.example/keys")),
            ("jwk", serde_json::json!({"kty": "oct", "k": "c2VjcmV0"})),
            ("x5u", serde_json::json!("https://attacker.example/cert")),
        ] {
            // Signed with the right key: only the header parameter is wrong.
            let header = URL_SAFE_NO_PAD
                .encode(serde_json::json!({"alg": "HS256", "typ": "JWT", name: value}).to_string().as_bytes());
            let payload = URL_SAFE_NO_PAD.encode(claims(&[]).to_string().as_bytes());
            let signing_input = format!("{header}.{payload}");
            let signature = jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, Algorithm::HS256).unwrap();
            assert!(keys.verify(&format!("{signing_input}.{signature}")).is_none(), "{name} was accepted");
        }
    }

    #[test]
    fn alg_none_and_tampered_payloads_are_refused() {
        let keys = keys();
        let token = keys.issue("user-1", 0);
        let parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys.verify(&format!("{none_header}.{}.", parts[1])).is_none());
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let tampered = URL_SAFE_NO_PAD.encode(payload.replace("user-1", "user-2"));
        assert!(keys.verify(&format!("{}.{tampered}.{}", parts[0], parts[2])).is_none());
    }

    #[test]
    fn refresh_tokens_are_256_bits_and_stored_as_sha256() {
        let (token, hash) = new_refresh_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_eq!(hash, hash_refresh_token(&token));
        assert_eq!(hash.len(), 64);
        assert_ne!(new_refresh_token().0, token);
    }
}
