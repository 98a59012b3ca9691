//! The vendored scrypt-js (`crates/web/src/vendor/scrypt-js/scrypt.js`, served as
//! `static/scrypt.js`) run in Node.js derives the same lookup keys as the export
//! (`veedor_formats::lookup`): the browser finds the records the import wrote.

use std::process::Command;

use veedor_core::VoterId;
use veedor_formats::lookup::{LookupKdf, lookup_salt};

/// The first 8 bytes of scrypt in node, in hex.
fn node_key(kdf: LookupKdf, salt: &str, voter: u64) -> String {
    let script = format!(
        "const scrypt = require({path:?});\n\
         const enc = (s) => Buffer.from(s, 'utf8');\n\
         const key = scrypt.syncScrypt(enc('{voter}'), enc({salt:?}), 2 ** {log_n}, {r}, {p}, 8);\n\
         process.stdout.write(Buffer.from(key).toString('hex'));\n",
        path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/vendor/scrypt-js/scrypt.js"
        ),
        log_n = kdf.log_n,
        r = kdf.r,
        p = kdf.p,
    );
    let output = Command::new("node")
        .args(["-e", &script])
        .output()
        .expect("node runs (scripts/install-test-deps installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_browsers_scrypt_gives_the_exports_keys() {
    let salt = lookup_salt("ve-2024-presidential");
    for (kdf, voter) in [
        (LookupKdf::UNPROTECTED, 12_345_678),
        (LookupKdf::UNPROTECTED, 1),
        (LookupKdf::PROTECTIVE, 12_345_678),
        (LookupKdf::new(3, 2, 2).unwrap(), 987_654_321),
    ] {
        let rust = hex(&kdf.key(&salt, VoterId::new(voter)));
        assert_eq!(node_key(kdf, &salt, voter), rust, "{kdf}, voter {voter}");
    }
    // The vector the formats crate's unit test holds its side to.
    assert_eq!(
        node_key(LookupKdf::PROTECTIVE, &salt, 12_345_678),
        "448bc255ee4c1f50"
    );
}
