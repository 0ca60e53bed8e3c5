//! A client of the provider's AutoMTLS as Terraform is one: a fresh self-signed ECDSA P-521
//! certificate (CA:TRUE, `localhost`, like go-plugin's) whose PEM goes into `PLUGIN_CLIENT_CERT`,
//! and a rustls client configuration that presents it, signs the handshake with P-521/SHA-512
//! (which ring cannot, hence the pure-Rust `p521` signer here) and accepts only the server
//! certificate the provider announced on its handshake line.

use std::sync::Arc;

use base64::Engine;
use p521::ecdsa::signature::Signer as _;
use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{DigitallySignedStruct, SignatureAlgorithm, SignatureScheme};

/// A self-signed ECDSA P-521 certificate and its key, shaped like Terraform's client certificate.
#[derive(Clone)]
pub struct P521Identity {
    /// The certificate, DER.
    pub der: Vec<u8>,
    key: Arc<p521::ecdsa::SigningKey>,
}

impl std::fmt::Debug for P521Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P521Identity").field("der_len", &self.der.len()).finish_non_exhaustive()
    }
}

impl P521Identity {
    /// A fresh key and certificate (organisation `org`, common name and DNS name `localhost`).
    pub fn generate(org: &str) -> P521Identity {
        let key = p521::ecdsa::SigningKey::random(&mut p521::elliptic_curve::rand_core::OsRng);
        let der = self_signed(&key, org);
        P521Identity { der, key: Arc::new(key) }
    }

    /// The certificate as PEM, the form `PLUGIN_CLIENT_CERT` carries.
    pub fn pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    /// The same certificate with `key` claimed for it: a client that has Terraform's certificate
    /// (it is no secret) but not its key.
    pub fn with_key_of(&self, other: &P521Identity) -> P521Identity {
        P521Identity { der: self.der.clone(), key: other.key.clone() }
    }

    /// An ECDSA P-521/SHA-512 signature of `message` with the key, DER (as TLS carries it).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: p521::ecdsa::Signature = self.key.sign(message);
        signature.to_der().as_bytes().to_vec()
    }

    fn certified_key(&self) -> Arc<CertifiedKey> {
        Arc::new(CertifiedKey::new(vec![CertificateDer::from(self.der.clone())], Arc::new(P521Key(self.key.clone()))))
    }
}

/// A rustls client configuration (ring, ALPN `h2`) that accepts only the server certificate
/// `server_der` for `localhost` and presents `identity` when the server asks for a certificate.
pub fn client_config(server_der: Vec<u8>, identity: Option<&P521Identity>) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer(server_der, provider)));
    let mut cfg = match identity {
        Some(id) => builder.with_client_cert_resolver(Arc::new(Always(id.certified_key()))),
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    cfg
}

#[derive(Debug)]
struct Always(Arc<CertifiedKey>);

impl ResolvesClientCert for Always {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

struct P521Key(Arc<p521::ecdsa::SigningKey>);

impl std::fmt::Debug for P521Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("P521Key")
    }
}

impl SigningKey for P521Key {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
            .then(|| Box::new(P521Key(self.0.clone())) as Box<dyn Signer>)
    }
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ECDSA
    }
}

impl Signer for P521Key {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let signature: p521::ecdsa::Signature =
            self.0.try_sign(message).map_err(|e| rustls::Error::General(e.to_string()))?;
        Ok(signature.to_der().as_bytes().to_vec())
    }
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP521_SHA512
    }
}

/// Accepts exactly the certificate the handshake line announced (stricter than Terraform, which
/// trusts it as a root for "localhost"; rustls's own verifier refuses a CA certificate as a
/// server certificate, Go's does not).
#[derive(Debug)]
struct PinnedServer(Vec<u8>, Arc<CryptoProvider>);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if server_name.to_str() != "localhost" {
            return Err(rustls::Error::General(format!("unexpected server name {}", server_name.to_str())));
        }
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the announced certificate".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.1.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.1.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

// A minimal DER writer for one certificate shape: rcgen signs P-521 only with aws-lc.

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend([0x81, n as u8]);
    } else {
        assert!(n <= 0xffff, "certificate parts stay under 64 KiB");
        out.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// OID contents (already encoded).
const ECDSA_WITH_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

fn self_signed(key: &p521::ecdsa::SigningKey, org: &str) -> Vec<u8> {
    use p521::pkcs8::EncodePublicKey;
    let spki = p521::PublicKey::from_secret_scalar(key.as_nonzero_scalar())
        .to_public_key_der()
        .expect("a P-521 public key encodes")
        .into_vec();
    let algorithm = seq(&[tlv(0x06, ECDSA_WITH_SHA512)]);
    let rdn = |oid: &[u8], value: &str| tlv(0x31, &seq(&[tlv(0x06, oid), tlv(0x0c, value.as_bytes())]));
    let name = seq(&[rdn(ORGANIZATION, org), rdn(COMMON_NAME, "localhost")]);
    let mut serial = rand::random::<[u8; 16]>();
    serial[0] = (serial[0] & 0x7f) | 0x40; // positive, minimal
    let critical = tlv(0x01, &[0xff]);
    let extensions = seq(&[
        seq(&[tlv(0x06, BASIC_CONSTRAINTS), critical.clone(), tlv(0x04, &seq(&[tlv(0x01, &[0xff])]))]),
        // digitalSignature, keyEncipherment, keyCertSign
        seq(&[tlv(0x06, KEY_USAGE), critical, tlv(0x04, &tlv(0x03, &[0x02, 0xa4]))]),
        seq(&[tlv(0x06, SUBJECT_ALT_NAME), tlv(0x04, &seq(&[tlv(0x82, b"localhost")]))]),
    ]);
    let tbs = seq(&[
        tlv(0xa0, &tlv(0x02, &[2])),
        tlv(0x02, &serial),
        algorithm.clone(),
        name.clone(),
        seq(&[tlv(0x17, b"250101000000Z"), tlv(0x17, b"491231235959Z")]),
        name,
        spki,
        tlv(0xa3, &extensions),
    ]);
    let signature: p521::ecdsa::Signature = key.sign(&tbs);
    let mut bits = vec![0u8];
    bits.extend_from_slice(signature.to_der().as_bytes());
    seq(&[tbs, algorithm, tlv(0x03, &bits)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_pem_of_der_with_a_p521_key() {
        let id = P521Identity::generate("HashiCorp");
        let pem = id.pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(b64).unwrap(), id.der);
        // Another identity is another key and certificate.
        assert_ne!(P521Identity::generate("HashiCorp").der, id.der);
    }

    #[test]
    fn the_signer_signs_only_p521_sha512() {
        let id = P521Identity::generate("HashiCorp");
        let key = P521Key(id.key.clone());
        assert!(key.choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256]).is_none());
        let signer = key.choose_scheme(&[SignatureScheme::ECDSA_NISTP521_SHA512]).unwrap();
        let sig = signer.sign(b"message").unwrap();
        use p521::ecdsa::signature::Verifier;
        let parsed = p521::ecdsa::Signature::from_der(&sig).unwrap();
        p521::ecdsa::VerifyingKey::from(&*id.key).verify(b"message", &parsed).unwrap();
        assert!(p521::ecdsa::VerifyingKey::from(&*id.key).verify(b"other", &parsed).is_err());
    }
}
