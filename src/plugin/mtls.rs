//! Terraform's client certificate, required (AutoMTLS as go-plugin does it): the provider serves
//! only the process that started it and gave it `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's certificate is self-signed ECDSA P-521 with CA:TRUE. rustls with ring neither
//! verifies P-521 signatures nor accepts a CA certificate as a client certificate, so this
//! verifier pins the certificate instead of building a chain: the client must present exactly
//! the DER Terraform announced, and prove it holds the key by the handshake signature
//! (CertificateVerify), checked with the pure-Rust `p521` crate for ECDSA P-521/SHA-512 and by
//! the crypto provider for every other scheme.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Why `PLUGIN_CLIENT_CERT` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClientCertError {
    /// Not a PEM `CERTIFICATE` block.
    #[error(
        "PLUGIN_CLIENT_CERT is not a PEM certificate ({0}); it is set by Terraform itself, so run the provider \
         through Terraform or unset it"
    )]
    NotPem(String),
    /// PEM, but not an X.509 certificate.
    #[error(
        "PLUGIN_CLIENT_CERT holds no valid X.509 certificate ({0}); it is set by Terraform itself, so run the \
         provider through Terraform or unset it"
    )]
    NotX509(String),
}

/// The one client certificate the provider accepts, and how to check signatures made with it.
pub struct PinnedClientCert {
    der: CertificateDer<'static>,
    /// Its key when it is a P-521 key (Terraform's), which the crypto provider cannot verify.
    p521: Option<p521::ecdsa::VerifyingKey>,
    /// Its subject, sent as the acceptable CA so Go's TLS stack picks this certificate.
    hints: Vec<DistinguishedName>,
    provider: Arc<CryptoProvider>,
}

impl std::fmt::Debug for PinnedClientCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedClientCert")
            .field("der_len", &self.der.len())
            .field("p521", &self.p521.is_some())
            .finish_non_exhaustive()
    }
}

impl PinnedClientCert {
    /// Pin the certificate in `pem` (the first `CERTIFICATE` block); other schemes than
    /// ECDSA P-521 are verified with `provider`.
    pub fn from_pem(pem: &str, provider: Arc<CryptoProvider>) -> Result<PinnedClientCert, ClientCertError> {
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| ClientCertError::NotPem(e.to_string()))?;
        Self::from_der(der, provider)
    }

    /// Pin `der`.
    pub fn from_der(
        der: CertificateDer<'static>,
        provider: Arc<CryptoProvider>,
    ) -> Result<PinnedClientCert, ClientCertError> {
        let (_, cert) =
            x509_parser::parse_x509_certificate(der.as_ref()).map_err(|e| ClientCertError::NotX509(e.to_string()))?;
        let p521 = {
            use p521::pkcs8::DecodePublicKey;
            p521::PublicKey::from_public_key_der(cert.public_key().raw)
                .ok()
                .and_then(|k| p521::ecdsa::VerifyingKey::from_affine(*k.as_affine()).ok())
        };
        let hints = vec![DistinguishedName::from(cert.subject().as_raw().to_vec())];
        Ok(PinnedClientCert { der, p521, hints, provider })
    }

    /// Whether the pinned certificate carries a P-521 key (as Terraform's does).
    pub fn is_p521(&self) -> bool {
        self.p521.is_some()
    }

    fn check_cert(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if cert.as_ref() == self.der.as_ref() {
            Ok(())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_p521(
        &self,
        message: &[u8],
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        use p521::ecdsa::signature::Verifier;
        let bad = || rustls::Error::InvalidCertificate(CertificateError::BadSignature);
        let key = self.p521.as_ref().ok_or_else(bad)?;
        let signature = p521::ecdsa::Signature::from_der(dss.signature()).map_err(|_| bad())?;
        key.verify(message, &signature).map_err(|_| bad())?;
        Ok(HandshakeSignatureValid::assertion())
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Terraform makes a fresh certificate for each run and hands it over directly: it is
        // trusted because it is byte for byte that one, not because of a chain or its dates.
        self.check_cert(end_entity)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_cert(cert)?;
        if dss.scheme == SignatureScheme::ECDSA_NISTP521_SHA512 {
            return self.verify_p521(message, dss);
        }
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_cert(cert)?;
        if dss.scheme == SignatureScheme::ECDSA_NISTP521_SHA512 {
            return self.verify_p521(message, dss);
        }
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self.provider.signature_verification_algorithms.supported_schemes();
        if !schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512) {
            schemes.push(SignatureScheme::ECDSA_NISTP521_SHA512);
        }
        schemes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use devkit::mtls::P521Identity;

    fn ring() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    fn dss(scheme: SignatureScheme, sig: Vec<u8>) -> DigitallySignedStruct {
        // DigitallySignedStruct has no public constructor: decode it from its TLS encoding.
        use rustls::internal::msgs::codec::{Codec, Reader};
        let mut wire = u16::from(scheme).to_be_bytes().to_vec();
        wire.extend((sig.len() as u16).to_be_bytes());
        wire.extend(sig);
        DigitallySignedStruct::read(&mut Reader::init(&wire)).expect("a DigitallySignedStruct")
    }

    #[test]
    fn only_the_announced_certificate_is_accepted() {
        let terraform = P521Identity::generate("HashiCorp");
        let other = P521Identity::generate("HashiCorp");
        let pinned = PinnedClientCert::from_pem(&terraform.pem(), ring()).unwrap();
        assert!(pinned.is_p521());
        assert!(pinned.client_auth_mandatory());
        let now = UnixTime::now();
        pinned.verify_client_cert(&CertificateDer::from(terraform.der.clone()), &[], now).unwrap();
        let refused = pinned.verify_client_cert(&CertificateDer::from(other.der.clone()), &[], now);
        assert!(matches!(refused, Err(rustls::Error::InvalidCertificate(_))), "{refused:?}");
        // The hint names Terraform's certificate, so Go's TLS stack offers it.
        let (_, cert) = x509_parser::parse_x509_certificate(&terraform.der).unwrap();
        assert_eq!(pinned.root_hint_subjects()[0].as_ref(), cert.subject().as_raw());
    }

    #[test]
    fn a_p521_handshake_signature_is_verified_with_the_certificates_key() {
        let terraform = P521Identity::generate("HashiCorp");
        let pinned = PinnedClientCert::from_pem(&terraform.pem(), ring()).unwrap();
        let cert = CertificateDer::from(terraform.der.clone());
        let message = b"TLS 1.3, client CertificateVerify transcript";
        let good = dss(SignatureScheme::ECDSA_NISTP521_SHA512, terraform.sign(message));
        pinned.verify_tls13_signature(message, &cert, &good).unwrap();
        pinned.verify_tls12_signature(message, &cert, &good).unwrap();

        // Terraform's certificate (no secret) with another key, a signature of another message,
        // and garbage are all refused.
        let thief = terraform.with_key_of(&P521Identity::generate("HashiCorp"));
        let forged = dss(SignatureScheme::ECDSA_NISTP521_SHA512, thief.sign(message));
        assert!(pinned.verify_tls13_signature(message, &cert, &forged).is_err());
        assert!(pinned.verify_tls12_signature(message, &cert, &forged).is_err());
        let replayed = dss(SignatureScheme::ECDSA_NISTP521_SHA512, terraform.sign(b"another transcript"));
        assert!(pinned.verify_tls13_signature(message, &cert, &replayed).is_err());
        let garbage = dss(SignatureScheme::ECDSA_NISTP521_SHA512, vec![0x30, 0x03, 0x02, 0x01, 0x01]);
        assert!(pinned.verify_tls13_signature(message, &cert, &garbage).is_err());
        // A good signature for another certificate than the pinned one is refused too.
        let other = P521Identity::generate("HashiCorp");
        let other_sig = dss(SignatureScheme::ECDSA_NISTP521_SHA512, other.sign(message));
        assert!(pinned.verify_tls13_signature(message, &CertificateDer::from(other.der), &other_sig).is_err());
    }

    #[test]
    fn p521_is_advertised_beside_the_providers_schemes() {
        let pinned = PinnedClientCert::from_pem(&P521Identity::generate("HashiCorp").pem(), ring()).unwrap();
        let schemes = pinned.supported_verify_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        for s in ring().signature_verification_algorithms.supported_schemes() {
            assert!(schemes.contains(&s), "{s:?}");
        }
    }

    #[test]
    fn another_scheme_is_left_to_the_crypto_provider() {
        // A P-256 certificate (what this provider makes for itself) is no P-521 key: a P-521
        // signature claimed for it is refused, and other schemes go to ring.
        let (pem, _, der) = crate::plugin::serve::generate_certificate().unwrap();
        let pinned = PinnedClientCert::from_pem(&pem, ring()).unwrap();
        assert!(!pinned.is_p521());
        let cert = CertificateDer::from(der);
        let sig = P521Identity::generate("x").sign(b"m");
        assert!(pinned.verify_tls13_signature(b"m", &cert, &dss(SignatureScheme::ECDSA_NISTP521_SHA512, sig)).is_err());
        let refused =
            pinned.verify_tls13_signature(b"m", &cert, &dss(SignatureScheme::ECDSA_NISTP256_SHA256, vec![0; 8]));
        assert!(refused.is_err());
    }

    #[test]
    fn a_bad_plugin_client_cert_is_a_clear_error() {
        let e = PinnedClientCert::from_pem("not pem", ring()).unwrap_err();
        assert!(matches!(e, ClientCertError::NotPem(_)));
        assert!(e.to_string().contains("PLUGIN_CLIENT_CERT"), "{e}");
        let junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let e = PinnedClientCert::from_pem(junk, ring()).unwrap_err();
        assert!(matches!(e, ClientCertError::NotX509(_)), "{e:?}");
    }
}
