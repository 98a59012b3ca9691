//! The lookup's worker (`crates/web/src/lookup-lane.js`, served as `static/lookup-lane.js`) with
//! the vendored hash-wasm (`static/hash-wasm-scrypt.js`), run in Node.js, derives the same lookup
//! keys as the export (`veedor_formats::lookup`): the browser finds the records the import
//! wrote, with one lane and with several shared among workers.

use std::process::Command;

use veedor_core::VoterId;
use veedor_formats::lookup::{LookupKdf, lookup_salt};

/// The key as the browser makes it: the worker script, given `importScripts` and `postMessage`
/// as a browser's worker has them, run once for each share of the lanes (as `lookup.js` hands
/// them to `workers` workers), the shares' answers combined by exclusive or; in hex.
fn node_key(kdf: LookupKdf, salt: &str, voter: u64, workers: u32) -> String {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let script = format!(
        "const fs = require('fs');\n\
         const vm = require('vm');\n\
         const worker = fs.readFileSync({src:?} + '/lookup-lane.js', 'utf8');\n\
         async function share(lanes) {{\n\
           return new Promise((resolve, reject) => {{\n\
             const scope = {{ TextEncoder, Math, Uint8Array, String, Promise, WebAssembly }};\n\
             scope.self = scope;\n\
             scope.globalThis = scope;\n\
             scope.importScripts = (name) => vm.runInContext(\n\
               fs.readFileSync({src:?} + '/vendor/hash-wasm/scrypt.umd.min.js', 'utf8'), scope);\n\
             scope.postMessage = (message) => message.key ? resolve(message.key) : reject(message.error);\n\
             vm.createContext(scope);\n\
             vm.runInContext(worker, scope);\n\
             scope.onmessage({{ data: {{ password: '{voter}', salt: {salt:?}, logN: {log_n},\n\
               r: {r}, p: {p}, laneCount: {lanes}, lanes }} }});\n\
           }});\n\
         }}\n\
         (async () => {{\n\
           const shares = Array.from({{ length: {workers} }}, () => []);\n\
           for (let lane = 0; lane < {lanes}; lane++) shares[lane % {workers}].push(lane);\n\
           const key = new Uint8Array(8);\n\
           for (const part of await Promise.all(shares.map(share)))\n\
             for (let i = 0; i < 8; i++) key[i] ^= part[i];\n\
           process.stdout.write(Buffer.from(key).toString('hex'));\n\
         }})().catch((error) => {{ console.error(error); process.exit(1); }});\n",
        log_n = kdf.log_n,
        r = kdf.r,
        p = kdf.p,
        lanes = kdf.lanes,
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
fn the_browsers_workers_give_the_exports_keys() {
    let salt = lookup_salt("ve-2024-presidential");
    for (kdf, voter, workers) in [
        (LookupKdf::UNPROTECTED, 12_345_678, 1),
        (LookupKdf::UNPROTECTED, 1, 1),
        (LookupKdf::PROTECTIVE, 12_345_678, 1),
        (LookupKdf::new(3, 2, 2, 1).unwrap(), 987_654_321, 1),
        (LookupKdf::new(3, 2, 1, 3).unwrap(), 4_321, 1),
        (LookupKdf::new(3, 2, 1, 3).unwrap(), 4_321, 2),
        (LookupKdf::new(4, 1, 1, 12).unwrap(), 30_123_456, 5),
    ] {
        let rust = hex(&kdf.key(&salt, VoterId::new(voter)));
        assert_eq!(
            node_key(kdf, &salt, voter, workers),
            rust,
            "{kdf}, voter {voter}, {workers} workers"
        );
    }
    // The vectors the formats crate's unit tests hold their side to.
    assert_eq!(
        node_key(LookupKdf::PROTECTIVE, &salt, 12_345_678, 1),
        "448bc255ee4c1f50"
    );
    assert_eq!(
        node_key(
            LookupKdf::new(3, 2, 1, 3).unwrap(),
            &lookup_salt("e"),
            4_321,
            3
        ),
        "f686fdef0b5df1e3"
    );
}
