//! Our RFC 3161 requests, parsing and verification against the real OpenSSL TSA
//! (`openssl ts -reply`), cross-checked with `openssl ts -verify`.
//!
//! Skipped with a message when `openssl` is missing, unless CENTINELA_REQUIRE_OPENSSL=1.

use std::path::Path;
use std::sync::Arc;

use centinela_timestamp::testing::{
    openssl_or_skip, post_query, KeyKind, OpensslTsa, TsaServer, TEST_POLICY,
};
use centinela_timestamp::{parse_response, request, verify, PkiStatus, TimestampError, Token};
use sha2::Digest;

fn sha256(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    std::fs::write(dir.join(name), bytes).expect("write temp file");
    name.to_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `openssl ts -verify` on a response against its query (full check, chain included).
fn openssl_verifies_response(tsa: &OpensslTsa, req: &[u8], resp: &[u8]) -> bool {
    let q = write(tsa.dir(), "check-req.der", req);
    let r = write(tsa.dir(), "check-resp.der", resp);
    let out = tsa
        .openssl(&[
            "ts",
            "-verify",
            "-in",
            &r,
            "-queryfile",
            &q,
            "-CAfile",
            "ca.pem",
            "-untrusted",
            "tsa.pem",
        ])
        .expect("run openssl ts -verify");
    out.status.success() && stdout(&out).contains("Verification: OK")
}

/// `openssl ts -verify -token_in` on a bare token and a hex digest (what we store).
fn openssl_verifies_token(tsa: &OpensslTsa, token: &[u8], digest: &[u8; 32]) -> bool {
    let t = write(tsa.dir(), "check-token.der", token);
    let out = tsa
        .openssl(&[
            "ts",
            "-verify",
            "-token_in",
            "-in",
            &t,
            "-digest",
            &hex(digest),
            "-CAfile",
            "ca.pem",
            "-untrusted",
            "tsa.pem",
        ])
        .expect("run openssl ts -verify");
    out.status.success() && stdout(&out).contains("Verification: OK")
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[at] ^= 0x01;
    v
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present")
}

/// The value of a `Field: value` line of `openssl ts -reply -text` output.
fn text_field<'a>(text: &'a str, field: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {field} in:\n{text}"))
}

fn hex_value(s: &str) -> u128 {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u128::from_str_radix(h, 16).expect("hex"),
        None => s.parse().expect("decimal"),
    }
}

fn round_trip(kind: KeyKind) {
    let tsa = OpensslTsa::new(kind).expect("create the OpenSSL test TSA");
    let expected_subject = {
        let out = tsa
            .openssl_ok(&[
                "x509", "-in", "tsa.pem", "-noout", "-subject", "-nameopt", "RFC2253",
            ])
            .expect("openssl x509 -subject");
        stdout(&out).trim_start_matches("subject=").to_owned()
    };
    let expected_fingerprint = {
        let out = tsa
            .openssl_ok(&[
                "x509",
                "-in",
                "tsa.pem",
                "-noout",
                "-fingerprint",
                "-sha256",
            ])
            .expect("openssl x509 -fingerprint");
        stdout(&out)
            .split_once('=')
            .map(|(_, f)| f.to_owned())
            .expect("fingerprint line")
    };

    // Several tokens: ECDSA signatures differ each time (high and low S both occur).
    for i in 0..4u64 {
        let digest = sha256(format!("manifest {i} of {kind:?}").as_bytes());
        let nonce = 0x8123_4567_89ab_cd00 + i; // high bit set: exercises the sign byte
        let req = request(&digest, nonce);
        let resp = tsa.reply(&req).expect("openssl ts -reply");
        let token = parse_response(&resp).expect("granted response");
        let t = &token.tst_info;
        assert_eq!(t.version, 1);
        assert_eq!(t.policy, TEST_POLICY);
        assert_eq!(t.imprint.algorithm_name, Some("SHA-256"));
        assert_eq!(t.imprint.digest, digest);
        assert_eq!(t.nonce_u64(), Some(nonce));
        assert!(t.ordering);
        let accuracy = t.accuracy.expect("accuracy configured");
        assert_eq!(
            (accuracy.seconds, accuracy.millis, accuracy.micros),
            (1, 500, 100)
        );
        let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
        let age = now - t.gen_time;
        assert!(
            age.num_seconds().abs() < 300,
            "genTime {} is not now",
            t.gen_time_rfc3339()
        );
        assert!(t.gen_time_rfc3339().ends_with('Z'));

        // What OpenSSL itself reads from the same response.
        let r = write(tsa.dir(), "text-resp.der", &resp);
        let text = stdout(
            &tsa.openssl_ok(&["ts", "-reply", "-in", &r, "-text"])
                .expect("openssl ts -reply -text"),
        );
        assert_eq!(text_field(&text, "Status:"), "Granted.");
        assert_eq!(text_field(&text, "Policy OID:"), TEST_POLICY);
        assert_eq!(
            hex_value(text_field(&text, "Serial number:")),
            hex_value(&format!("0x{}", t.serial))
        );
        assert_eq!(hex_value(text_field(&text, "Nonce:")), u128::from(nonce));

        // Our verification.
        let verified = verify(&token.der, &digest, Some(nonce)).expect("our verify");
        assert_eq!(verified.tst_info, token.tst_info);
        assert_eq!(verified.signer.subject, expected_subject);
        assert_eq!(
            verified.signer.issuer,
            "CN=Centinela Test CA,O=Centinela Test,C=PE"
        );
        assert_eq!(verified.signer.serial, "1001");
        assert_eq!(verified.signer.sha256_fingerprint, expected_fingerprint);
        assert_eq!(t.tsa_name.as_deref(), Some(expected_subject.as_str()));
        let expected_alg = match kind {
            KeyKind::Rsa => "RSA PKCS#1 v1.5 with SHA-256",
            KeyKind::EcP256 => "ECDSA P-256 with SHA-256",
            KeyKind::EcP384 => "ECDSA P-384 with SHA-384",
        };
        assert_eq!(verified.signature_algorithm, expected_alg);
        // The report serialises the way a bundle manifest would keep it.
        let json = serde_json::to_value(&verified).expect("serialise");
        assert_eq!(json["tst_info"]["gen_time"], t.gen_time_rfc3339());
        assert_eq!(json["tst_info"]["imprint"]["digest"], hex(&digest));
        assert_eq!(json["signer"]["sha256_fingerprint"], expected_fingerprint);
        // Without a nonce expectation, too (a stored token checked months later).
        verify(&token.der, &digest, None).expect("verify without nonce");
        // A token decoded from storage is the same token.
        assert_eq!(Token::from_der(&token.der).expect("stored token"), token);

        // OpenSSL agrees, on the response and on the bare token we would store.
        assert!(
            openssl_verifies_response(&tsa, &req, &resp),
            "openssl ts -verify response"
        );
        assert!(
            openssl_verifies_token(&tsa, &token.der, &digest),
            "openssl ts -verify -token_in"
        );
    }
}

fn tampering_is_caught(kind: KeyKind) {
    let tsa = OpensslTsa::new(kind).expect("create the OpenSSL test TSA");
    let digest = sha256(b"the manifest");
    let nonce = 42;
    let resp = tsa
        .reply(&request(&digest, nonce))
        .expect("openssl ts -reply");
    let token = parse_response(&resp).expect("granted").der;
    verify(&token, &digest, Some(nonce)).expect("untouched token verifies");

    // Another digest: the token is sound but is about other data.
    let other = sha256(b"another manifest");
    let err = verify(&token, &other, Some(nonce)).expect_err("other digest");
    assert!(
        matches!(err, TimestampError::ImprintMismatch { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the token timestamps SHA-256 {}, not the expected {}",
            hex(&digest),
            hex(&other)
        )
    );
    assert!(!openssl_verifies_token(&tsa, &token, &other));

    // A flipped bit in the signature (the token's last byte ends the signature value).
    let bad_sig = flip(&token, token.len() - 1);
    let err = verify(&bad_sig, &digest, Some(nonce)).expect_err("bad signature");
    assert!(
        matches!(err, TimestampError::BadSignature { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not verify"), "{err}");
    assert!(!openssl_verifies_token(&tsa, &bad_sig, &digest));

    // A flipped bit in the TSTInfo: re-pointing the token at other data.
    let at = find(&token, &digest);
    let bad_tst = flip(&token, at + 5);
    let err = verify(&bad_tst, &digest, Some(nonce)).expect_err("altered TSTInfo");
    assert!(
        matches!(err, TimestampError::MessageDigestMismatch { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("the TSTInfo was altered"), "{err}");
    assert!(!openssl_verifies_token(&tsa, &bad_tst, &digest));
    // ... also when the altered field is the time.
    let tst = Token::from_der(&token).expect("decodes").tst_info.der;
    let gen_time = find(&tst, &[0x18]) + 2; // first GeneralizedTime: genTime
    let bad_time = flip(&token, find(&token, &tst) + gen_time + 3);
    let err = verify(&bad_time, &digest, Some(nonce)).expect_err("altered genTime");
    assert!(
        matches!(err, TimestampError::MessageDigestMismatch { .. }),
        "{err:?}"
    );

    // A flipped bit in a signed attribute (signingTime): covered by the signature.
    let signing_time_oid = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05,
    ];
    let at = find(&token, &signing_time_oid) + signing_time_oid.len() + 2 + 2 + 3;
    let bad_attr = flip(&token, at);
    let err = verify(&bad_attr, &digest, Some(nonce)).expect_err("altered signed attribute");
    assert!(
        matches!(err, TimestampError::BadSignature { .. }),
        "{err:?}"
    );
    assert!(!openssl_verifies_token(&tsa, &bad_attr, &digest));

    // A wrong nonce: someone replays an answer to another request.
    let err = verify(&token, &digest, Some(43)).expect_err("wrong nonce");
    assert!(
        matches!(err, TimestampError::NonceMismatch { expected: 43, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the token's nonce is 0x2a, not the expected 0x2b"
    );

    // Cut short.
    let err = verify(&token[..token.len() - 10], &digest, None).expect_err("truncated");
    assert!(matches!(err, TimestampError::Malformed(_)), "{err:?}");
}

#[test]
fn rsa_tsa_round_trip_agrees_with_openssl() {
    if openssl_or_skip("rsa_tsa_round_trip_agrees_with_openssl") {
        round_trip(KeyKind::Rsa);
    }
}

#[test]
fn ec_p256_tsa_round_trip_agrees_with_openssl() {
    if openssl_or_skip("ec_p256_tsa_round_trip_agrees_with_openssl") {
        round_trip(KeyKind::EcP256);
    }
}

#[test]
fn ec_p384_tsa_round_trip_agrees_with_openssl() {
    if openssl_or_skip("ec_p384_tsa_round_trip_agrees_with_openssl") {
        round_trip(KeyKind::EcP384);
    }
}

#[test]
fn rsa_tsa_tampering_is_caught() {
    if openssl_or_skip("rsa_tsa_tampering_is_caught") {
        tampering_is_caught(KeyKind::Rsa);
    }
}

#[test]
fn ec_p256_tsa_tampering_is_caught() {
    if openssl_or_skip("ec_p256_tsa_tampering_is_caught") {
        tampering_is_caught(KeyKind::EcP256);
    }
}

#[test]
fn openssl_rejection_names_status_and_failure() {
    if !openssl_or_skip("openssl_rejection_names_status_and_failure") {
        return;
    }
    let tsa = OpensslTsa::new(KeyKind::EcP256).expect("create the OpenSSL test TSA");
    // A SHA-1 imprint, which the TSA's `digests` do not allow: OpenSSL answers with
    // status rejection and failure info badAlg.
    tsa.openssl_ok(&[
        "ts",
        "-query",
        "-sha1",
        "-digest",
        &"ab".repeat(20),
        "-cert",
        "-out",
        "sha1-query.der",
    ])
    .expect("openssl ts -query");
    let query = std::fs::read(tsa.dir().join("sha1-query.der")).expect("read query");
    let resp = tsa.reply(&query).expect("openssl ts -reply");
    let err = parse_response(&resp).expect_err("rejected");
    match &err {
        TimestampError::NotGranted {
            status,
            failure_info,
            status_text,
        } => {
            assert_eq!(*status, PkiStatus::Rejection);
            assert_eq!(failure_info, &["badAlg"]);
            assert!(!status_text.is_empty());
        }
        other => panic!("expected NotGranted, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with("the TSA did not grant the timestamp: status rejection (2); failure info: badAlg; text: "),
        "{message}"
    );
}

#[test]
fn http_front_serves_openssl_replies_on_loopback() {
    if !openssl_or_skip("http_front_serves_openssl_replies_on_loopback") {
        return;
    }
    let tsa = Arc::new(OpensslTsa::new(KeyKind::EcP256).expect("create the OpenSSL test TSA"));
    let server = tsa.serve().expect("serve on 127.0.0.1");
    assert!(server.addr().ip().is_loopback());
    assert!(server.url().starts_with("http://127.0.0.1:"));
    for nonce in [1u64, 2] {
        let digest = sha256(&nonce.to_be_bytes());
        let reply = post_query(&server.url(), &request(&digest, nonce)).expect("HTTP reply");
        let token = parse_response(&reply).expect("granted");
        verify(&token.der, &digest, Some(nonce)).expect("verifies");
    }
    assert_eq!(server.requests_served(), 2);

    // A handler failure is an HTTP 500 the client reports.
    let failing = TsaServer::serve_with(|_| Err(std::io::Error::other("TSA down"))).expect("serve");
    let err = post_query(&failing.url(), &request(&[0; 32], 1)).expect_err("500");
    assert!(err.to_string().contains("500"), "{err}");
    assert!(err.to_string().contains("TSA down"), "{err}");

    // The client helper refuses anything but loopback.
    let err = post_query("http://192.0.2.1:80/tsa", b"x").expect_err("not loopback");
    assert!(err.to_string().contains("loopback"), "{err}");
}

/// Flip one bit at every position and cut the token at every length: verify must never
/// panic, and whenever it still succeeds (a bit in a part nobody signs, such as the CA
/// certificate carried along), what it reports must be exactly what the original says.
#[test]
fn no_single_bit_flip_changes_what_a_token_asserts() {
    if !openssl_or_skip("no_single_bit_flip_changes_what_a_token_asserts") {
        return;
    }
    let tsa = OpensslTsa::new(KeyKind::EcP256).expect("create the OpenSSL test TSA");
    let digest = sha256(b"bundle manifest");
    let resp = tsa.reply(&request(&digest, 7)).expect("openssl ts -reply");
    let token = parse_response(&resp).expect("granted").der;
    let original = verify(&token, &digest, Some(7)).expect("verifies");
    let mut harmless = 0;
    for at in 0..token.len() {
        let tampered = flip(&token, at);
        if let Ok(v) = verify(&tampered, &digest, Some(7)) {
            assert_eq!(v, original, "flip at {at} changed the verified content");
            harmless += 1;
        }
    }
    // Only bytes outside the signed content, signed attributes, signature and signer
    // certificate can be harmless: well under half the token.
    assert!(
        harmless < token.len() / 2,
        "{harmless} of {} flips passed",
        token.len()
    );
    for len in 0..token.len() {
        assert!(
            verify(&token[..len], &digest, Some(7)).is_err(),
            "cut at {len} verified"
        );
    }
}
