//! Evidence an auditor can carry away (CONTRACT.md §13), over HTTP and the command line, on
//! SQLite and PostgreSQL: the Merkle tree and its proofs (checked here with an independent
//! RFC 6962/9162 implementation), signed checkpoints (signatures checked with ed25519-dalek
//! directly), `audit verify --checkpoint` against an insider who rewrites the log, READ events,
//! explainable access against real behaviour, the console, and the Python verifier of the docs.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use api::audit::{chain, merkle, note};
use api::authz::Perm;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

// ------------------------------------------------------------------ an independent RFC 6962

type Hash = [u8; 32];

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn leaf_hash(leaf: &[u8]) -> Hash {
    sha256(&[&[0u8], leaf])
}

fn node(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[1u8], left, right])
}

/// RFC 6962 §2.1 `MTH`, by its recursive definition.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => sha256(&[]),
        1 => leaf_hash(&leaves[0]),
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            node(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// RFC 9162 §2.1.3.2, transcribed.
fn verify_inclusion(leaf_index: u64, tree_size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if leaf_index >= tree_size {
        return false;
    }
    let (mut fn_, mut sn) = (leaf_index, tree_size - 1);
    let mut r = leaf_hash(leaf);
    for p in path {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && &r == root
}

/// RFC 9162 §2.1.4.2, transcribed (and `first == second` needs an empty path and equal roots).
fn verify_consistency(first: u64, second: u64, first_hash: &Hash, second_hash: &Hash, path: &[Hash]) -> bool {
    if first == second {
        return path.is_empty() && first_hash == second_hash;
    }
    if first == 0 || first > second || path.is_empty() {
        return false;
    }
    let mut path = path.to_vec();
    if first.is_power_of_two() {
        path.insert(0, *first_hash);
    }
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node(c, &fr);
            sr = node(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    &fr == first_hash && &sr == second_hash && sn == 0
}

fn b64_hash(s: &str) -> Hash {
    STANDARD.decode(s).unwrap().try_into().unwrap()
}

fn proof(value: &Value) -> Vec<Hash> {
    value.as_array().unwrap().iter().map(|h| b64_hash(h.as_str().unwrap())).collect()
}

fn leaves_of(events: &[Value]) -> Vec<Hash> {
    events.iter().map(|e| hex::decode(e["hash"].as_str().unwrap()).unwrap().try_into().unwrap()).collect()
}

// ------------------------------------------------------------------ an independent signed note

/// A C2SP checkpoint note taken apart by hand.
struct ParsedNote {
    origin: String,
    size: i64,
    root: Hash,
    /// The signed text: the note up to and including the newline before the blank line.
    body: String,
    /// (key name, key id ‖ signature) of each signature line.
    signatures: Vec<(String, Vec<u8>)>,
}

fn parse_note(text: &str) -> ParsedNote {
    let split = text.rfind("\n\n").expect("a blank line before the signatures");
    let body = &text[..=split];
    let lines: Vec<&str> = body.lines().collect();
    let signatures = text[split + 2..]
        .lines()
        .map(|line| {
            let rest = line.strip_prefix("\u{2014} ").expect("signature lines start with an em dash");
            let (name, sig) = rest.split_once(' ').unwrap();
            (name.to_string(), STANDARD.decode(sig).unwrap())
        })
        .collect();
    ParsedNote {
        origin: lines[0].to_string(),
        size: lines[1].parse().unwrap(),
        root: b64_hash(lines[2]),
        body: body.to_string(),
        signatures,
    }
}

/// Checks the note's signature against a verifier key string with ed25519-dalek directly.
fn signature_holds(note_text: &str, verifier_key: &str) -> bool {
    let mut parts = verifier_key.splitn(3, '+');
    let (name, id, key) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let key = STANDARD.decode(key).unwrap();
    assert_eq!(key[0], 1, "Ed25519");
    let computed_id = hex::encode(&sha256(&[name.as_bytes(), b"\n", &key])[..4]);
    assert_eq!(computed_id, id, "the key id is SHA-256(name ‖ \\n ‖ 0x01 ‖ key)[:4]");
    let public = ed25519_dalek::VerifyingKey::from_bytes(&key[1..].try_into().unwrap()).unwrap();
    let parsed = parse_note(note_text);
    let body = parsed.body;
    parsed.signatures.iter().any(|(n, raw)| {
        n == name
            && hex::encode(&raw[..4]) == id
            && ed25519_dalek::Signature::from_slice(&raw[4..])
                .is_ok_and(|sig| public.verify_strict(body.as_bytes(), &sig).is_ok())
    })
}

// ------------------------------------------------------------------ set-up

struct Evidence {
    app: TestApp,
    admin: String,
    verifier_key: String,
}

/// A server with a signing key, and no periodic checkpoint to get in the way.
async fn evidence_app() -> Evidence {
    let (signer, verifier_key) = note::generate_key("test.example/audit").unwrap();
    let app = spawn_app_with(&[("AUDIT_SIGNING_KEY", &signer), ("AUDIT_CHECKPOINT_INTERVAL_SECS", "86400")]).await;
    let admin = app.admin_token().await;
    // The server signs a first checkpoint as it starts; wait for it, so that it cannot land in
    // the middle of a test (on a busy machine it may take a moment).
    let started = std::time::Instant::now();
    loop {
        let latest = app.gql(Some(&admin), "{ auditCheckpoint { treeSize } }", json!({})).await;
        if !latest.ok()["auditCheckpoint"].is_null() {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "no checkpoint at start-up");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Evidence { app, admin, verifier_key }
}

impl Evidence {
    async fn q(&self, query: &str, variables: Value) -> Gql {
        self.app.gql(Some(&self.admin), query, variables).await
    }

    async fn departments(&self, codes: &[&str]) {
        for code in codes {
            self.app.create_department(&self.admin, code, "OTHER").await;
        }
    }

    async fn checkpoint(&self) -> Value {
        self.q("mutation { createAuditCheckpoint { treeSize rootHash note createdAt } }", json!({})).await.ok()
            ["createAuditCheckpoint"]
            .clone()
    }

    async fn verify_from_checkpoint(&self) -> Value {
        self.q(
            "{ verifyAuditChain(fromCheckpoint: true) { valid eventsChecked firstInvalidSeq headSeq checkpointTreeSize problem } }",
            json!({}),
        )
        .await
        .ok()["verifyAuditChain"]
            .clone()
    }
}

fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("{}-{name}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn stdout(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

// ------------------------------------------------------------------ checkpoints and proofs

#[tokio::test]
async fn a_checkpoint_is_a_signed_note_over_the_rfc6962_root_of_the_events() {
    let e = evidence_app().await;
    e.departments(&["a", "b", "c"]).await;
    let head = e.app.audit_head(&e.admin).await;
    let key = e.q("{ auditVerifierKey }", json!({})).await.ok()["auditVerifierKey"].as_str().unwrap().to_string();
    assert_eq!(key, e.verifier_key);

    let checkpoint = e.checkpoint().await;
    let events = e.app.audit_events(&e.admin).await;
    let text = checkpoint["note"].as_str().unwrap();
    let ParsedNote { origin, size, root, body, signatures: sigs } = parse_note(text);
    assert_eq!(origin, "trastienda.example/audit");
    assert_eq!(size, head);
    assert_eq!(body, format!("{origin}\n{size}\n{}\n", checkpoint["rootHash"].as_str().unwrap()));
    assert_eq!(root, mth(&leaves_of(&events)), "the root of the events' hashes, recomputed");
    assert_eq!(checkpoint["treeSize"], head);
    assert_eq!(sigs.len(), 1);
    assert_eq!(sigs[0].0, "test.example/audit");
    assert!(signature_holds(text, &key), "{text}");
    assert!(!signature_holds(&text.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1), &key));

    // Not an audit event, and asking again without new events signs nothing new.
    assert_eq!(e.app.audit_head(&e.admin).await, head);
    assert_eq!(e.checkpoint().await["treeSize"], head);
    assert_eq!(e.checkpoint().await["note"], checkpoint["note"]);

    let latest = e.q("{ auditCheckpoint { treeSize note } }", json!({})).await;
    assert_eq!(latest.ok()["auditCheckpoint"]["note"], checkpoint["note"]);
    let by_size = e.q("query($s: Int) { auditCheckpoint(treeSize: $s) { treeSize } }", json!({"s": head})).await;
    assert_eq!(by_size.ok()["auditCheckpoint"]["treeSize"], head);
    let none = e.q("query($s: Int) { auditCheckpoint(treeSize: $s) { treeSize } }", json!({"s": head + 50})).await;
    assert_eq!(none.ok()["auditCheckpoint"], Value::Null);
    let negative = e.q("{ auditCheckpoint(treeSize: -1) { treeSize } }", json!({})).await;
    negative.expect_code("BAD_USER_INPUT");

    // A later checkpoint covers the new events.
    e.departments(&["d"]).await;
    let later = e.checkpoint().await;
    assert_eq!(later["treeSize"], head + 1);
    let events = e.app.audit_events(&e.admin).await;
    assert_eq!(b64_hash(later["rootHash"].as_str().unwrap()), mth(&leaves_of(&events)));
}

#[tokio::test]
async fn inclusion_and_consistency_proofs_verify_independently_for_every_size() {
    let e = evidence_app().await;
    e.departments(&["a", "b", "c", "d", "e", "f", "g", "h", "i"]).await;
    let events = e.app.audit_events(&e.admin).await;
    let leaves = leaves_of(&events);
    let n = leaves.len();
    assert!(n >= 10, "{n} events");
    let roots: Vec<Hash> = (0..=n).map(|size| mth(&leaves[..size])).collect();

    for size in 1..=n {
        for seq in 1..=size {
            let res = e
                .q(
                    "query($s: Int!, $t: Int!) { auditInclusionProof(seq: $s, treeSize: $t) }",
                    json!({"s": seq, "t": size}),
                )
                .await;
            let path = proof(&res.ok()["auditInclusionProof"]);
            assert!(
                verify_inclusion(seq as u64 - 1, size as u64, &leaves[seq - 1], &path, &roots[size]),
                "inclusion of seq {seq} in {size}"
            );
            // The proof is about that leaf only.
            assert!(!verify_inclusion(seq as u64 - 1, size as u64, &[7; 32], &path, &roots[size]));
        }
        for from in 1..=size {
            let res = e
                .q(
                    "query($f: Int!, $t: Int!) { auditConsistencyProof(fromSize: $f, toSize: $t) }",
                    json!({"f": from, "t": size}),
                )
                .await;
            let path = proof(&res.ok()["auditConsistencyProof"]);
            assert!(
                verify_consistency(from as u64, size as u64, &roots[from], &roots[size], &path),
                "consistency {from} -> {size}"
            );
            if from < size {
                assert!(!verify_consistency(from as u64, size as u64, &[9; 32], &roots[size], &path));
            }
        }
    }

    for (query, variables, field) in [
        ("query($s: Int!, $t: Int!) { auditInclusionProof(seq: $s, treeSize: $t) }", json!({"s": 0, "t": 1}), "seq"),
        ("query($s: Int!, $t: Int!) { auditInclusionProof(seq: $s, treeSize: $t) }", json!({"s": 3, "t": 2}), "seq"),
        (
            "query($s: Int!, $t: Int!) { auditInclusionProof(seq: $s, treeSize: $t) }",
            json!({"s": 1, "t": n + 1}),
            "treeSize",
        ),
        (
            "query($f: Int!, $t: Int!) { auditConsistencyProof(fromSize: $f, toSize: $t) }",
            json!({"f": 0, "t": 2}),
            "fromSize",
        ),
        (
            "query($f: Int!, $t: Int!) { auditConsistencyProof(fromSize: $f, toSize: $t) }",
            json!({"f": 3, "t": 2}),
            "fromSize",
        ),
        (
            "query($f: Int!, $t: Int!) { auditConsistencyProof(fromSize: $f, toSize: $t) }",
            json!({"f": 1, "t": n + 1}),
            "toSize",
        ),
    ] {
        let err = e.q(query, variables.clone()).await.expect_code("BAD_USER_INPUT");
        assert_eq!(err["extensions"]["field"], field, "{variables}");
    }
}

#[tokio::test]
async fn only_auditors_and_admins_reach_the_evidence() {
    let e = evidence_app().await;
    e.departments(&["fin"]).await;
    let (_, auditor) = e.app.user_with_role(&e.admin, "auditor@example.com", "AUDITOR", "*").await;
    let (_, local_auditor) = e.app.user_with_role(&e.admin, "local@example.com", "AUDITOR", "fin").await;
    let (_, clerk) = e.app.user_with_role(&e.admin, "clerk@example.com", "FINANCE_CLERK", "fin").await;
    let head = e.app.audit_head(&e.admin).await;
    let operations = [
        "mutation { createAuditCheckpoint { treeSize } }".to_string(),
        "{ auditCheckpoint { treeSize } }".to_string(),
        format!("{{ auditInclusionProof(seq: 1, treeSize: {head}) }}"),
        format!("{{ auditConsistencyProof(fromSize: 1, toSize: {head}) }}"),
        "{ auditVerifierKey }".to_string(),
        "{ checkAuditCheckpoint(note: \"x\") { valid } }".to_string(),
        "{ verifyAuditChain(fromCheckpoint: true) { valid } }".to_string(),
        "{ permissions { name } }".to_string(),
        "{ whoCan(permission: \"invoice:read\", department: \"fin\") { id } }".to_string(),
    ];
    for operation in &operations {
        e.app.gql(Some(&auditor), operation, json!({})).await.ok();
        for outsider in [&clerk, &local_auditor] {
            e.app.gql(Some(outsider), operation, json!({})).await.expect_code("FORBIDDEN");
        }
        e.app.gql(None, operation, json!({})).await.expect_code("UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn without_a_signing_key_checkpoints_are_refused_with_a_clear_conflict() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for operation in ["mutation { createAuditCheckpoint { treeSize } }", "{ auditVerifierKey }"] {
        let err = app.gql(Some(&admin), operation, json!({})).await.expect_code("CONFLICT");
        assert!(err["message"].as_str().unwrap().contains("AUDIT_SIGNING_KEY"), "{err}");
    }
    let latest = app.gql(Some(&admin), "{ auditCheckpoint { treeSize } }", json!({})).await;
    assert_eq!(latest.ok()["auditCheckpoint"], Value::Null);
    // The tree is kept all the same: proofs work, and a full verification checks it.
    let head = app.audit_head(&admin).await;
    app.gql(Some(&admin), &format!("{{ auditInclusionProof(seq: 1, treeSize: {head}) }}"), json!({})).await.ok();
    let report = app
        .gql(
            Some(&admin),
            "{ verifyAuditChain(fromCheckpoint: true) { valid eventsChecked checkpointTreeSize } }",
            json!({}),
        )
        .await;
    assert_eq!(
        report.ok()["verifyAuditChain"],
        json!({"valid": true, "eventsChecked": head, "checkpointTreeSize": null})
    );
}

#[tokio::test]
async fn the_periodic_task_signs_only_when_the_log_has_grown() {
    let (signer, _) = note::generate_key("periodic").unwrap();
    let app = spawn_app_with(&[("AUDIT_SIGNING_KEY", &signer), ("AUDIT_CHECKPOINT_INTERVAL_SECS", "1")]).await;
    let admin = app.admin_token().await;
    let latest_size = || async {
        let res = app.gql(Some(&admin), "{ auditCheckpoint { treeSize } }", json!({})).await;
        res.ok()["auditCheckpoint"]["treeSize"].as_i64()
    };
    let wait_for = |size: i64| async move {
        let started = Instant::now();
        while latest_size().await != Some(size) {
            assert!(started.elapsed() < Duration::from_secs(20), "no checkpoint of size {size}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    // Signing in is an event: the log grew since start-up.
    let head = app.audit_head(&admin).await;
    wait_for(head).await;
    let count = || async {
        let row = app
            .state
            .db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                app.state.db.backend(),
                "SELECT COUNT(*) AS n FROM audit_checkpoints",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    let before = count().await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(count().await, before, "nothing new to sign, nothing signed");
    app.create_department(&admin, "grown", "OTHER").await;
    wait_for(head + 1).await;
    assert_eq!(count().await, before + 1);
}

#[tokio::test]
async fn the_demo_signs_with_a_throw_away_key_at_start() {
    let app = spawn_demo().await;
    let admin = app.login("admin@demo.trastienda", "demo-password-admin").await;
    let key = app.gql(Some(&admin), "{ auditVerifierKey }", json!({})).await.ok()["auditVerifierKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(note::Verifier::new(&key).is_ok(), "{key}");
    let started = Instant::now();
    loop {
        let res = app.gql(Some(&admin), "{ auditCheckpoint { note treeSize } }", json!({})).await;
        if let Some(text) = res.ok()["auditCheckpoint"]["note"].as_str() {
            assert!(signature_holds(text, &key));
            assert!(res.ok()["auditCheckpoint"]["treeSize"].as_i64().unwrap() > 10, "the demo's events");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the demo made no checkpoint");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ------------------------------------------------------------------ verification from a checkpoint

/// Appends `count` events straight through the chain (what many mutations would do), fast.
async fn bulk_events(app: &TestApp, count: usize) {
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let txn = app.state.db.begin_write().await.unwrap();
        let events = chunk
            .iter()
            .map(|i| chain::NewEvent {
                actor_id: None,
                actor_email: Some("bulk@example.com".into()),
                action: "bulk".into(),
                entity_type: "Test".into(),
                entity_id: Some(format!("e{i}")),
                department: None,
                before: None,
                after: Some(json!({"i": i})),
                outcome: chain::Outcome::Success,
                request_id: "bulk".into(),
            })
            .collect();
        let appended = chain::append(&txn.txn, events).await.unwrap();
        txn.txn.commit().await.unwrap();
        appended.committed(&app.state.db.notifier);
    }
}

#[tokio::test]
async fn verifying_from_a_checkpoint_costs_the_new_events_only() {
    let e = evidence_app().await;
    let head = e.app.audit_head(&e.admin).await;
    bulk_events(&e.app, 3000).await;
    let size = e.checkpoint().await["treeSize"].as_i64().unwrap();
    assert_eq!(size, head + 3000);
    e.departments(&["a", "b", "c"]).await;
    let head = e.app.audit_head(&e.admin).await;

    let statements = e.app.state.db.statements_run();
    let report = e.verify_from_checkpoint().await;
    let used = e.app.state.db.statements_run() - statements;
    assert_eq!(
        report,
        json!({"valid": true, "eventsChecked": head - size, "firstInvalidSeq": null, "headSeq": head, "checkpointTreeSize": size, "problem": null})
    );
    // The sign-in and these reads, never anything that grows with the 3000 events before.
    assert!(used < 25, "{used} statements");
    let full = e.q("{ verifyAuditChain { valid eventsChecked } }", json!({})).await;
    assert_eq!(full.ok()["verifyAuditChain"], json!({"valid": true, "eventsChecked": head}));
}

#[tokio::test]
async fn verifying_from_a_checkpoint_catches_edits_after_it_and_rewrites_below_it() {
    let e = evidence_app().await;
    e.departments(&["a", "b", "c"]).await;
    let size = e.checkpoint().await["treeSize"].as_i64().unwrap();
    e.departments(&["d", "e"]).await;
    let head = e.app.audit_head(&e.admin).await;
    assert_eq!(e.verify_from_checkpoint().await["valid"], true);

    // An event after the checkpoint, edited in place.
    drop_triggers(&e.app).await;
    exec(&e.app, &format!("UPDATE audit_events SET after = '{{\"code\":\"zzz\"}}' WHERE seq = {head}")).await;
    let report = e.verify_from_checkpoint().await;
    assert_eq!((report["valid"].clone(), report["firstInvalidSeq"].clone()), (json!(false), json!(head)));

    // Rewritten below the checkpoint and rehashed to the end, tree rebuilt: the chain alone
    // says all is well, the checkpoint does not.
    rewrite_history(&e.app, size - 1, head, true).await;
    let plain = e.q("{ verifyAuditChain { valid } }", json!({})).await;
    assert_eq!(plain.ok()["verifyAuditChain"]["valid"], true);
    let report = e.verify_from_checkpoint().await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["problem"], format!("checkpoint mismatch at tree size {size}"));
    // … and the server will not sign over it.
    e.departments(&["f"]).await;
    let refused = e.q("mutation { createAuditCheckpoint { treeSize } }", json!({})).await;
    let err = refused.expect_code("CONFLICT");
    assert!(err["message"].as_str().unwrap().contains("checkpoint mismatch"), "{err}");
}

#[tokio::test]
async fn a_tampered_tree_is_caught_by_verification_from_a_checkpoint() {
    let e = evidence_app().await;
    e.departments(&["a"]).await;
    e.checkpoint().await;
    e.departments(&["b", "c"]).await;
    let head = e.app.audit_head(&e.admin).await;
    drop_triggers(&e.app).await;
    // The leaf of the last event.
    let idx = merkle::stored_hash_index(0, head - 1);
    let forged = if e.app.state.db.backend() == DbBackend::Postgres {
        format!("UPDATE audit_tree_hashes SET hash = decode('{}', 'hex') WHERE idx = {idx}", "00".repeat(32))
    } else {
        format!("UPDATE audit_tree_hashes SET hash = x'{}' WHERE idx = {idx}", "00".repeat(32))
    };
    exec(&e.app, &forged).await;
    let report = e.verify_from_checkpoint().await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["firstInvalidSeq"], head);
    assert!(report["problem"].as_str().unwrap().contains("Merkle tree"), "{report}");
}

// ------------------------------------------------------------------ the insider

async fn exec(app: &TestApp, sql: &str) {
    app.state.db.conn.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// What a privileged insider does first: switch off every append-only trigger.
async fn drop_triggers(app: &TestApp) {
    let postgres = app.state.db.backend() == DbBackend::Postgres;
    let statements: Vec<String> = if postgres {
        let mut s = vec![
            "DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events".to_string(),
            "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events".to_string(),
        ];
        for table in ["audit_tree_hashes", "audit_checkpoints"] {
            s.push(format!("DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}"));
            s.push(format!("DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"));
        }
        s
    } else {
        ["audit_events", "audit_tree_hashes", "audit_checkpoints"]
            .iter()
            .flat_map(|t| {
                [format!("DROP TRIGGER IF EXISTS {t}_no_update"), format!("DROP TRIGGER IF EXISTS {t}_no_delete")]
            })
            .collect()
    };
    for sql in statements {
        exec(app, &sql).await;
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The insider's rewrite: edits event `target` (none when it is beyond `keep`), deletes
/// everything after `keep`, rehashes the chain from `target` on so that it verifies, moves the head, rebuilds the Merkle tree from
/// the rewritten events and — unless told otherwise — deletes the stored checkpoints. Only a
/// checkpoint kept elsewhere can tell.
async fn rewrite_history(app: &TestApp, target: i64, keep: i64, keep_checkpoints: bool) {
    rewrite(app, target, keep, keep_checkpoints, true).await;
}

/// [`rewrite_history`], optionally leaving the stored tree as it was (then `keep` must be the
/// head: nothing is deleted, only rewritten).
async fn rewrite(app: &TestApp, target: i64, keep: i64, keep_checkpoints: bool, rebuild_tree: bool) {
    use sea_orm::{EntityTrait, QueryOrder};
    drop_triggers(app).await;
    let conn = &app.state.db.conn;
    exec(app, &format!("DELETE FROM audit_events WHERE seq > {keep}")).await;
    let mut events =
        entity::audit_event::Entity::find().order_by_asc(entity::audit_event::Column::Seq).all(conn).await.unwrap();
    let mut prev = if target > 1 { events[target as usize - 2].hash.clone() } else { chain::GENESIS_HASH.to_string() };
    for event in events.iter_mut().skip(target as usize - 1) {
        if event.seq == target {
            event.after = Some(r#"{"rewritten":"by an insider"}"#.into());
        }
        event.prev_hash = prev.clone();
        event.hash = chain::compute_hash(&prev, &chain::hashed_object(event));
        prev = event.hash.clone();
        exec(
            app,
            &format!(
                "UPDATE audit_events SET after = {}, prev_hash = '{}', hash = '{}' WHERE seq = {}",
                event.after.as_deref().map(quote).unwrap_or("NULL".into()),
                event.prev_hash,
                event.hash,
                event.seq
            ),
        )
        .await;
    }
    let last = events.last().unwrap();
    exec(app, &format!("UPDATE audit_head SET seq = {}, hash = '{}', tree_size = {}", last.seq, last.hash, last.seq))
        .await;
    if !keep_checkpoints {
        exec(app, "DELETE FROM audit_checkpoints").await;
    }
    if !rebuild_tree {
        return;
    }
    // The tree, rebuilt with our own library from the rewritten events.
    exec(app, "DELETE FROM audit_tree_hashes").await;
    let mut stored: Vec<merkle::Hash> = Vec::new();
    for (n, event) in events.iter().enumerate() {
        let leaf = hex::decode(&event.hash).unwrap();
        stored.extend(merkle::stored_hashes(n as i64, &leaf, &stored).unwrap());
    }
    let postgres = app.state.db.backend() == DbBackend::Postgres;
    for chunk in stored.iter().enumerate().collect::<Vec<_>>().chunks(200) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(i, h)| {
                if postgres {
                    format!("({i}, decode('{}', 'hex'))", hex::encode(h))
                } else {
                    format!("({i}, x'{}')", hex::encode(h))
                }
            })
            .collect();
        exec(app, &format!("INSERT INTO audit_tree_hashes (idx, hash) VALUES {}", values.join(", "))).await;
    }
}

#[tokio::test]
async fn a_kept_checkpoint_catches_an_insider_who_rewrites_and_rehashes_the_log() {
    let e = evidence_app().await;
    e.departments(&["a", "b", "c", "d"]).await;
    let checkpoint = e.checkpoint().await;
    let size = checkpoint["treeSize"].as_i64().unwrap();
    let kept = temp_file("checkpoint.txt", checkpoint["note"].as_str().unwrap().as_bytes());
    let kept_arg = kept.to_str().unwrap();
    e.departments(&["e", "f"]).await;

    // The honest log extends it.
    let out = e.app.cli(&["audit", "verify", "--checkpoint", kept_arg, "--key", &e.verifier_key]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("checkpoint verified"), "{}", stdout(&out));

    // A forged or foreign checkpoint is refused.
    let forged = checkpoint["note"].as_str().unwrap().replacen(&format!("\n{size}\n"), &format!("\n{}\n", size - 1), 1);
    let forged_file = temp_file("forged.txt", forged.as_bytes());
    let out = e.app.cli(&["audit", "verify", "--checkpoint", forged_file.to_str().unwrap(), "--key", &e.verifier_key]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("checkpoint refused"), "{}", stdout(&out));
    let (_, other_key) = note::generate_key("test.example/audit").unwrap();
    let out = e.app.cli(&["audit", "verify", "--checkpoint", kept_arg, "--key", &other_key]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let out = e.app.cli(&["audit", "verify", "--checkpoint", kept_arg, "--key", "not a key"]);
    assert_eq!(out.status.code(), Some(2), "a malformed key is an error, not a verdict: {}", stdout(&out));

    // The insider rewrites an event under the checkpoint, rehashes the chain, drops the tail,
    // rebuilds the tree and removes the stored checkpoints.
    let head = e.app.audit_head(&e.admin).await;
    rewrite_history(&e.app, size - 2, head - 1, false).await;

    // Everything the database alone can say is fine…
    let out = e.app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "the plain chain holds: {}", stdout(&out));
    let report = e.q("{ verifyAuditChain { valid } }", json!({})).await;
    assert_eq!(report.ok()["verifyAuditChain"]["valid"], true);
    let report = e.verify_from_checkpoint().await;
    assert_eq!(report["valid"], true, "no stored checkpoint left to compare with: {report}");
    // … and the server keeps working on top of it.
    e.departments(&["g"]).await;

    // The checkpoint kept outside catches it.
    let out = e.app.cli(&["audit", "verify", "--checkpoint", kept_arg, "--key", &e.verifier_key]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("checkpoint mismatch at tree size {size}")), "{}", stdout(&out));
    for file in [kept, forged_file] {
        std::fs::remove_file(file).ok();
    }
}

#[tokio::test]
async fn a_kept_checkpoint_is_checked_against_the_events_not_the_stored_tree() {
    let e = evidence_app().await;
    e.departments(&["a", "b", "c"]).await;
    let checkpoint = e.checkpoint().await;
    let size = checkpoint["treeSize"].as_i64().unwrap();
    let kept = temp_file("checkpoint.txt", checkpoint["note"].as_str().unwrap().as_bytes());
    e.departments(&["d"]).await;
    // The events are rewritten and rehashed, the (honest) tree and checkpoints left alone: the
    // stored tree still gives the checkpoint's root, the events do not.
    let head = e.app.audit_head(&e.admin).await;
    rewrite(&e.app, 2, head, true, false).await;
    assert_eq!(e.app.cli(&["audit", "verify"]).status.code(), Some(0));
    let out = e.app.cli(&["audit", "verify", "--checkpoint", kept.to_str().unwrap(), "--key", &e.verifier_key]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("checkpoint mismatch at tree size {size}")), "{}", stdout(&out));
    // From the stored checkpoint, the server notices too: its last event is no longer the leaf.
    let report = e.verify_from_checkpoint().await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["problem"], format!("checkpoint mismatch at tree size {size}"));
    std::fs::remove_file(kept).ok();
}

#[tokio::test]
async fn a_kept_checkpoint_catches_a_truncated_log() {
    let e = evidence_app().await;
    e.departments(&["a", "b", "c"]).await;
    let checkpoint = e.checkpoint().await;
    let size = checkpoint["treeSize"].as_i64().unwrap();
    let kept = temp_file("checkpoint.txt", checkpoint["note"].as_str().unwrap().as_bytes());
    // Cut the last two events the checkpoint covers; nothing needs rehashing.
    rewrite_history(&e.app, size - 1, size - 2, false).await;
    assert_eq!(e.app.cli(&["audit", "verify"]).status.code(), Some(0));
    let out = e.app.cli(&["audit", "verify", "--checkpoint", kept.to_str().unwrap(), "--key", &e.verifier_key]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("checkpoint mismatch at tree size {size}")), "{}", stdout(&out));
    std::fs::remove_file(kept).ok();
}

/// What an insider who knows only the chain does: deletes the events after `keep` and moves the
/// head back, leaving the tree and `audit_head.tree_size` as they were.
async fn truncate_chain(e: &Evidence, keep: i64) {
    drop_triggers(&e.app).await;
    exec(&e.app, &format!("DELETE FROM audit_events WHERE seq > {keep}")).await;
    let events = e.app.audit_events(&e.admin).await;
    let last = events.last().unwrap()["hash"].as_str().unwrap().to_string();
    exec(&e.app, &format!("UPDATE audit_head SET seq = {keep}, hash = '{last}'")).await;
    assert_eq!(e.app.cli(&["audit", "verify"]).status.code(), Some(0), "the chain alone holds");
}

#[tokio::test]
async fn an_insider_who_only_knows_the_chain_truncates_it_and_the_evidence_says_so() {
    let e = evidence_app().await;
    e.departments(&["a", "b", "c"]).await;
    let checkpoint = e.checkpoint().await;
    let size = checkpoint["treeSize"].as_i64().unwrap();
    let kept = temp_file("checkpoint.txt", checkpoint["note"].as_str().unwrap().as_bytes());
    let verify_kept =
        || e.app.cli(&["audit", "verify", "--checkpoint", kept.to_str().unwrap(), "--key", &e.verifier_key]);
    e.departments(&["x", "y", "z"]).await;

    // Events after the checkpoint deleted: what the checkpoint covers is intact, and says so …
    truncate_chain(&e, size + 1).await;
    let out = verify_kept();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // … the business keeps running …
    e.departments(&["d"]).await;
    let plain = e.q("{ verifyAuditChain { valid } }", json!({})).await;
    assert_eq!(plain.ok()["verifyAuditChain"]["valid"], true);
    // … and the server's own evidence reports the deletion and signs nothing over it.
    let report = e.verify_from_checkpoint().await;
    assert_eq!(report["valid"], false);
    assert!(report["problem"].as_str().unwrap().contains("deleted outside the API"), "{report}");
    e.q("mutation { createAuditCheckpoint { treeSize } }", json!({})).await.expect_code("CONFLICT");

    // Events the checkpoint covers deleted: the kept checkpoint catches it.
    truncate_chain(&e, size - 2).await;
    let out = verify_kept();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("checkpoint mismatch at tree size {size}")), "{}", stdout(&out));
    let report = e.verify_from_checkpoint().await;
    assert_eq!(report["problem"], format!("checkpoint mismatch at tree size {size}"));
    std::fs::remove_file(kept).ok();
}

#[tokio::test]
async fn checking_a_pasted_checkpoint_accepts_the_genuine_and_refuses_the_rest() {
    let e = evidence_app().await;
    e.departments(&["a", "b"]).await;
    let checkpoint = e.checkpoint().await;
    let size = checkpoint["treeSize"].as_i64().unwrap();
    e.departments(&["c"]).await;
    let e = &e;
    let check = |text: String| async move {
        e.q(
            "query($n: String!) { checkAuditCheckpoint(note: $n) { valid reason treeSize rootHash currentTreeSize currentRootHash consistencyProof } }",
            json!({"n": text}),
        )
        .await
        .ok()["checkAuditCheckpoint"]
            .clone()
    };
    let text = checkpoint["note"].as_str().unwrap().to_string();
    let ok = check(text.clone()).await;
    assert_eq!(ok["valid"], true, "{ok}");
    assert_eq!(ok["treeSize"], size);
    // The proof handed back verifies independently.
    let events = e.app.audit_events(&e.admin).await;
    let leaves = leaves_of(&events);
    let current = ok["currentTreeSize"].as_i64().unwrap() as usize;
    assert_eq!(b64_hash(ok["currentRootHash"].as_str().unwrap()), mth(&leaves[..current]));
    assert!(verify_consistency(
        size as u64,
        current as u64,
        &mth(&leaves[..size as usize]),
        &mth(&leaves[..current]),
        &proof(&ok["consistencyProof"])
    ));
    // Pasted with Windows line ends and no final newline: still the same checkpoint.
    assert_eq!(check(text.replace('\n', "\r\n").trim_end().to_string()).await["valid"], true);

    let tampered = text.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
    let refused = check(tampered).await;
    assert_eq!(refused["valid"], false);
    assert!(refused["reason"].as_str().unwrap().contains("signature"), "{refused}");
    let garbage = check("hello".into()).await;
    assert_eq!(garbage["valid"], false);

    // A genuine checkpoint of a log that has since been rewritten.
    let head = e.app.audit_head(&e.admin).await;
    rewrite_history(&e.app, 2, head, true).await;
    let refused = check(text).await;
    assert_eq!(refused["valid"], false);
    assert_eq!(refused["reason"], format!("checkpoint mismatch at tree size {size}"));
}

// ------------------------------------------------------------------ the tree under load and upgrades

#[tokio::test]
async fn concurrent_writers_keep_the_tree_equal_to_the_events() {
    let e = evidence_app().await;
    let writes = (0..40).map(|i| {
        let app = e.app.clone_handle();
        let admin = e.admin.clone();
        async move { app.create_department(&admin, &format!("d{i}"), "OTHER").await }
    });
    join_all(writes).await;
    let checkpoint = e.checkpoint().await;
    let events = e.app.audit_events(&e.admin).await;
    assert_eq!(checkpoint["treeSize"], events.len());
    assert_eq!(b64_hash(checkpoint["rootHash"].as_str().unwrap()), mth(&leaves_of(&events)));
    assert_eq!(e.verify_from_checkpoint().await["valid"], true);
}

#[tokio::test]
async fn two_processes_signing_at_once_keep_one_checkpoint_per_size() {
    let (signer, key) = note::generate_key("cluster").unwrap();
    let settings = [("AUDIT_SIGNING_KEY", signer.as_str()), ("AUDIT_CHECKPOINT_INTERVAL_SECS", "86400")];
    let first = spawn_app_with(&settings).await;
    let second = spawn_on(&first.database_url, None, &settings).await;
    let admin = first.admin_token().await;
    let work = (0..12).map(|i| {
        let app = if i % 2 == 0 { first.clone_handle() } else { second.clone_handle() };
        let admin = admin.clone();
        async move {
            app.create_department(&admin, &format!("c{i}"), "OTHER").await;
            let made =
                app.gql(Some(&admin), "mutation { createAuditCheckpoint { treeSize rootHash note } }", json!({})).await;
            made.ok()["createAuditCheckpoint"].clone()
        }
    });
    let made = join_all(work).await;
    let events = first.audit_events(&admin).await;
    let leaves = leaves_of(&events);
    for checkpoint in &made {
        let size = checkpoint["treeSize"].as_u64().unwrap() as usize;
        assert_eq!(b64_hash(checkpoint["rootHash"].as_str().unwrap()), mth(&leaves[..size]), "size {size}");
        assert!(signature_holds(checkpoint["note"].as_str().unwrap(), &key));
    }
    let rows = first
        .state
        .db
        .conn
        .query_all_raw(sea_orm::Statement::from_string(
            first.state.db.backend(),
            "SELECT tree_size FROM audit_checkpoints ORDER BY tree_size",
        ))
        .await
        .unwrap();
    let sizes: Vec<i64> = rows.iter().map(|r| r.try_get::<i64>("", "tree_size").unwrap()).collect();
    let distinct: BTreeSet<i64> = sizes.iter().copied().collect();
    assert_eq!(sizes.len(), distinct.len(), "one row per size: {sizes:?}");
    let report = second
        .gql(Some(&admin), "{ verifyAuditChain(fromCheckpoint: true) { valid checkpointTreeSize } }", json!({}))
        .await;
    assert_eq!(report.ok()["verifyAuditChain"]["valid"], true);
}

#[tokio::test]
async fn a_database_older_than_the_tree_gets_it_built_at_start_up_and_by_the_next_append() {
    let (signer, key) = note::generate_key("upgrade").unwrap();
    let settings = [("AUDIT_SIGNING_KEY", signer.as_str()), ("AUDIT_CHECKPOINT_INTERVAL_SECS", "86400")];
    let app = spawn_app_with(&settings).await;
    let admin = app.admin_token().await;
    for code in ["a", "b", "c", "d", "e"] {
        app.create_department(&admin, code, "OTHER").await;
    }
    // As the database was before migration m0007 filled anything in.
    let forget_the_tree = || async {
        drop_triggers(&app).await;
        exec(&app, "DELETE FROM audit_tree_hashes").await;
        exec(&app, "UPDATE audit_head SET tree_size = 0").await;
    };
    forget_the_tree().await;

    // A new process (the upgraded binary) builds it while starting.
    let second = spawn_on(&app.database_url, None, &settings).await;
    let events = second.audit_events(&admin).await;
    let created = second.gql(Some(&admin), "mutation { createAuditCheckpoint { note rootHash } }", json!({})).await;
    let created = created.ok()["createAuditCheckpoint"].clone();
    assert_eq!(b64_hash(created["rootHash"].as_str().unwrap()), mth(&leaves_of(&events)));
    assert!(signature_holds(created["note"].as_str().unwrap(), &key));

    // An old process appending without the tree: the next append fills the gap in its own
    // transaction.
    forget_the_tree().await;
    exec(&app, "DELETE FROM audit_checkpoints").await;
    app.create_department(&admin, "after", "OTHER").await;
    let events = app.audit_events(&admin).await;
    let created = app.gql(Some(&admin), "mutation { createAuditCheckpoint { rootHash treeSize } }", json!({})).await;
    assert_eq!(created.ok()["createAuditCheckpoint"]["treeSize"], events.len());
    assert_eq!(b64_hash(created.ok()["createAuditCheckpoint"]["rootHash"].as_str().unwrap()), mth(&leaves_of(&events)));
}

#[tokio::test]
async fn the_tree_and_checkpoint_tables_are_append_only() {
    let e = evidence_app().await;
    e.checkpoint().await;
    for sql in [
        "UPDATE audit_tree_hashes SET idx = idx + 1000 WHERE idx = 0",
        "DELETE FROM audit_tree_hashes",
        "UPDATE audit_checkpoints SET note = 'x'",
        "DELETE FROM audit_checkpoints",
    ] {
        assert!(e.app.state.db.conn.execute_unprepared(sql).await.is_err(), "{sql} went through");
    }
    if e.app.state.db.backend() == DbBackend::Postgres {
        for table in ["audit_tree_hashes", "audit_checkpoints"] {
            assert!(e.app.state.db.conn.execute_unprepared(&format!("TRUNCATE {table}")).await.is_err());
        }
    }
}

// ------------------------------------------------------------------ READ events

struct Staff {
    e: Evidence,
    hr: String,
    hr_id: String,
    ids: Vec<String>,
}

async fn staff() -> Staff {
    let e = evidence_app().await;
    e.departments(&["hr", "ops"]).await;
    let mut ids = Vec::new();
    for (i, (dept, national_id)) in
        [("ops", Some("12345678Z")), ("ops", None), ("hr", Some("87654321X"))].iter().enumerate()
    {
        let input = json!({"department": dept, "firstName": "Ana", "lastName": format!("N{i}"), "email": format!("e{i}@example.com"),
            "position": "Analyst", "hireDate": "2025-01-01", "annualSalary": "42000", "currency": "EUR",
            "nationalId": national_id, "bankAccount": null});
        let res = e.q("mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { id } }", json!({"i": input})).await;
        ids.push(res.ok()["hireEmployee"]["id"].as_str().unwrap().to_string());
    }
    let (hr_id, hr) = e.app.user_with_role(&e.admin, "hr@example.com", "HR_OFFICER", "*").await;
    Staff { e, hr, hr_id, ids }
}

impl Staff {
    /// Runs `query` as HR and returns the events it added.
    async fn events_of(&self, token: &str, query: &str, variables: Value) -> (Gql, Vec<Value>) {
        let head = self.e.app.audit_head(&self.e.admin).await;
        let res = self.e.app.gql(Some(token), query, variables).await;
        let events = self.e.app.audit_events(&self.e.admin).await;
        (res, events.into_iter().filter(|ev| ev["seq"].as_i64().unwrap() > head).collect())
    }
}

fn sorted(ids: &[&String]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>().into_iter().collect()
}

#[tokio::test]
async fn returning_sensitive_fields_writes_one_read_event_in_the_chain() {
    let s = staff().await;
    let (res, events) = s
        .events_of(&s.hr, "{ employees(first: 50) { nodes { id firstName annualSalary nationalId } } }", json!({}))
        .await;
    res.ok();
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event["outcome"], "READ");
    assert_eq!(event["action"], "employees");
    assert_eq!(event["entityType"], "Employee");
    assert_eq!(event["entityId"], Value::Null);
    assert_eq!(event["actorId"], s.hr_id.as_str());
    assert_eq!(event["before"], Value::Null);
    assert_eq!(
        event["after"],
        json!({"fields": ["annualSalary", "nationalId"], "employeeIds": sorted(&[&s.ids[0], &s.ids[1], &s.ids[2]])})
    );

    // Aliases of one root field make one event; ids and fields merged, sorted and distinct.
    let query = "query($a: ID!, $b: ID!) { x: employee(id: $a) { bankAccount nationalId } y: employee(id: $b) { annualSalary } z: employee(id: $a) { annualSalary } }";
    let (res, events) = s.events_of(&s.hr, query, json!({"a": s.ids[2], "b": s.ids[0]})).await;
    res.ok();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["action"], "employee");
    assert_eq!(
        events[0]["after"],
        json!({"fields": ["annualSalary", "nationalId"], "employeeIds": sorted(&[&s.ids[0], &s.ids[2]])}),
        "bankAccount was null: not a read"
    );

    // The request id ties the event to the response.
    let res =
        s.e.app
            .client
            .post(s.e.app.url("/graphql"))
            .bearer_auth(&s.hr)
            .header("x-request-id", "read-evidence-1")
            .json(&json!({"query": "{ employees { nodes { annualSalary } } }"}))
            .send()
            .await
            .unwrap();
    assert!(res.status().is_success());
    let reads =
        s.e.q("{ auditLog(filter: {outcome: READ}) { totalCount nodes { requestId outcome } } }", json!({})).await;
    let log = &reads.ok()["auditLog"];
    assert_eq!(log["totalCount"], 3);
    assert_eq!(log["nodes"][0]["requestId"], "read-evidence-1");
    assert!(log["nodes"].as_array().unwrap().iter().all(|n| n["outcome"] == "READ"));

    // In the chain: it verifies, and a checkpoint covers the READ events.
    let report = s.e.q("{ verifyAuditChain { valid } }", json!({})).await;
    assert_eq!(report.ok()["verifyAuditChain"]["valid"], true);
}

#[tokio::test]
async fn reads_without_a_sensitive_value_write_nothing() {
    let s = staff().await;
    let (manager_id, manager) =
        s.e.app.user_with_role(&s.e.admin, "mgr@example.com", "DEPARTMENT_MANAGER", "ops").await;
    let _ = manager_id;
    for (token, query) in [
        // Not selected: lists do not pay for fields they do not ask for.
        (&s.hr, "{ employees { nodes { id firstName lastName email } } }".to_string()),
        // Selected, but null: nothing was revealed.
        (&s.hr, format!("{{ employee(id: \"{}\") {{ nationalId bankAccount }} }}", s.ids[1])),
        // Refused by the guard (null with FORBIDDEN): nothing was revealed.
        (&manager, "{ employees { nodes { id annualSalary } } }".to_string()),
    ] {
        let (_, events) = s.events_of(token, &query, json!({})).await;
        assert!(events.is_empty(), "{query}: {events:#?}");
    }
    let (res, _) = s.events_of(&manager, "{ employees { nodes { annualSalary } } }", json!({})).await;
    assert!(res.codes().iter().all(|c| c == "FORBIDDEN"), "{:?}", res.0);
}

#[tokio::test]
async fn reading_ones_own_salary_and_a_mutation_returning_it_are_reads_too() {
    let s = staff().await;
    s.e.app.create_user_linked(&s.e.admin, "self@example.com", Some(&s.ids[0])).await;
    let me = s.e.app.login("self@example.com", PASSWORD).await;
    let (res, events) = s.events_of(&me, "{ me { employee { annualSalary } } }", json!({})).await;
    assert_eq!(res.ok()["me"]["employee"]["annualSalary"], "42000.00");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "me");
    assert_eq!(events[0]["after"], json!({"fields": ["annualSalary"], "employeeIds": [s.ids[0]]}));

    let hire = json!({"department": "ops", "firstName": "Bo", "lastName": "B", "email": "bo@example.com",
        "position": "Analyst", "hireDate": "2025-01-01", "annualSalary": "30000", "currency": "EUR"});
    let (res, events) = s
        .events_of(
            &s.hr,
            "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { id annualSalary } }",
            json!({"i": hire}),
        )
        .await;
    let id = res.ok()["hireEmployee"]["id"].as_str().unwrap().to_string();
    let outcomes: Vec<(&str, &str)> =
        events.iter().map(|e| (e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
    assert!(outcomes.contains(&("hireEmployee", "READ")), "{outcomes:?}");
    let read = events.iter().find(|e| e["outcome"] == "READ").unwrap();
    assert_eq!(read["after"], json!({"fields": ["annualSalary"], "employeeIds": [id]}));
}

// ------------------------------------------------------------------ explainable access

const ROLES: [&str; 10] = [
    "ADMIN",
    "AUDITOR",
    "FINANCE_MANAGER",
    "FINANCE_CLERK",
    "HR_MANAGER",
    "HR_OFFICER",
    "IT_MANAGER",
    "IT_TECHNICIAN",
    "DEPARTMENT_MANAGER",
    "FRONT_OFFICE",
];

fn perm_name(p: &Perm) -> String {
    format!("{}:{}", p.resource, p.action)
}

#[tokio::test]
async fn explain_access_and_who_can_agree_with_what_the_api_lets_each_user_do() {
    let e = evidence_app().await;
    e.departments(&["fin", "ops"]).await;
    let hire = json!({"department": "fin", "firstName": "Fin", "lastName": "Employee", "email": "fe@example.com",
        "position": "Analyst", "hireDate": "2025-01-01", "annualSalary": "50000", "currency": "EUR"});
    let employee = e.q("mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { id } }", json!({"i": hire})).await;
    let employee = employee.ok()["hireEmployee"]["id"].as_str().unwrap().to_string();

    // Every role, held in the department asked about, in another one, and in "*".
    let mut users = Vec::new();
    for role in ROLES {
        for held in ["fin", "ops", "*"] {
            let email = format!("{}-{}@example.com", role.to_lowercase(), if held == "*" { "all" } else { held });
            let (id, token) = e.app.user_with_role(&e.admin, &email, role, held).await;
            users.push((role, held, id, token));
        }
    }

    let permissions = e.q("{ permissions { name description } }", json!({})).await;
    let permissions = permissions.ok()["permissions"].as_array().unwrap().clone();
    assert_eq!(permissions.len(), Perm::ALL.len());
    assert!(permissions.iter().all(|p| !p["description"].as_str().unwrap().is_empty()));
    let names: Vec<String> = Perm::ALL.iter().map(perm_name).collect();
    assert_eq!(permissions.iter().map(|p| p["name"].as_str().unwrap().to_string()).collect::<Vec<_>>(), names);

    let e = &e;
    let who_can: Vec<BTreeSet<String>> = join_all(names.iter().map(|name| async move {
        let res =
            e.q("query($p: String!) { whoCan(permission: $p, department: \"fin\") { id } }", json!({"p": name})).await;
        res.ok()["whoCan"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect()
    }))
    .await;

    for (role, held, id, token) in &users {
        // The principal this user's own requests load, judged by the enforcer that guards them.
        let principal =
            match api::auth::service::authenticate(&e.app.state, Some(&format!("Bearer {token}"))).await.unwrap() {
                api::kernel::Auth::User(p) => p,
                other => panic!("{other:?}"),
            };
        let explanations = join_all(names.iter().map(|name| async move {
            let query = "query($u: ID!, $p: String!) { explainAccess(userId: $u, permission: $p, department: \"fin\") { allowed reason grantedBy { role department } } }";
            e.q(query, json!({"u": id, "p": name})).await.ok()["explainAccess"].clone()
        }))
        .await;
        for ((perm, explanation), able) in Perm::ALL.iter().zip(&explanations).zip(&who_can) {
            let allowed = e.app.state.authz.allows(&principal, *perm, "fin");
            let context = format!("{role} in {held}, {}: {explanation}", perm_name(perm));
            assert_eq!(explanation["allowed"], allowed, "{context}");
            assert_eq!(able.contains(id), allowed, "whoCan: {context}");
            let granted = explanation["grantedBy"].as_array().unwrap();
            if allowed {
                assert_eq!(granted, &vec![json!({"role": role, "department": held})], "{context}");
            } else {
                assert!(granted.is_empty(), "{context}");
            }
            assert!(!explanation["reason"].as_str().unwrap().is_empty());
        }

        // Spot checks over HTTP: what the explanation says is what the API does.
        let allowed = |perm: &Perm| explanations[Perm::ALL.iter().position(|p| p == perm).unwrap()]["allowed"] == true;
        let res = e.app.gql(Some(token), "{ invoices(filter: {department: \"fin\"}) { totalCount } }", json!({})).await;
        // Front office reads receivables through the same list.
        let reads_invoices = allowed(&Perm::INVOICE_READ) || allowed(&Perm::RECEIVABLE_READ);
        assert_eq!(res.errors().is_empty(), reads_invoices, "{role} in {held}: invoices {:?}", res.0);
        let res = e
            .app
            .gql(Some(token), "query($id: ID!) { employee(id: $id) { annualSalary } }", json!({"id": employee}))
            .await;
        let salary_shown = res.data()["employee"]["annualSalary"].is_string();
        assert_eq!(salary_shown, allowed(&Perm::EMPLOYEE_SENSITIVE_READ), "{role} in {held}: salary {:?}", res.0);
        let res = e.app.gql(Some(token), "{ auditLog(first: 1) { totalCount } }", json!({})).await;
        assert_eq!(res.errors().is_empty(), allowed(&Perm::AUDIT_READ), "{role} in {held}: auditLog {:?}", res.0);
        let asset = json!({"department": "fin", "tag": format!("T-{id}"), "kind": "LAPTOP", "model": "M", "serialNumber": format!("S-{id}")});
        let res = e
            .app
            .gql(
                Some(token),
                "mutation($i: RegisterAssetInput!) { registerAsset(input: $i) { id } }",
                json!({"i": asset}),
            )
            .await;
        assert_eq!(res.errors().is_empty(), allowed(&Perm::ASSET_WRITE), "{role} in {held}: registerAsset {:?}", res.0);
    }

    // Deactivated users can do nothing, and say so.
    let (role, held, id, _) = &users[0];
    assert_eq!((*role, *held), ("ADMIN", "fin"));
    e.q("mutation($id: ID!) { deactivateUser(id: $id) { id } }", json!({"id": id})).await.ok();
    let res = e
        .q(
            "query($u: ID!) { explainAccess(userId: $u, permission: \"invoice:read\", department: \"fin\") { allowed reason } }",
            json!({"u": id}),
        )
        .await;
    assert_eq!(res.ok()["explainAccess"]["allowed"], false);
    assert!(res.ok()["explainAccess"]["reason"].as_str().unwrap().contains("deactivated"));
    let res = e.q("{ whoCan(permission: \"invoice:read\", department: \"fin\") { id } }", json!({})).await;
    assert!(!res.ok()["whoCan"].as_array().unwrap().iter().any(|u| u["id"] == id.as_str()));
}

#[tokio::test]
async fn explain_access_refuses_unknown_permissions_users_and_departments() {
    let e = evidence_app().await;
    e.departments(&["fin"]).await;
    let (id, _) = e.app.user_with_role(&e.admin, "c@example.com", "FINANCE_CLERK", "fin").await;
    let query = "query($u: ID!, $p: String!, $d: String!) { explainAccess(userId: $u, permission: $p, department: $d) { allowed reason grantedBy { role department } } }";
    let err = e.q(query, json!({"u": id, "p": "invoice:fly", "d": "fin"})).await.expect_code("BAD_USER_INPUT");
    assert_eq!(err["extensions"]["field"], "permission");
    let err = e.q(query, json!({"u": id, "p": "invoice:read", "d": "nowhere"})).await.expect_code("BAD_USER_INPUT");
    assert_eq!(err["extensions"]["field"], "department");
    e.q(query, json!({"u": uuid::Uuid::now_v7().to_string(), "p": "invoice:read", "d": "fin"}))
        .await
        .expect_code("NOT_FOUND");
    e.q(query, json!({"u": "not-an-id", "p": "invoice:read", "d": "fin"})).await.expect_code("NOT_FOUND");
    let err = e
        .q("{ whoCan(permission: \"nope\", department: \"fin\") { id } }", json!({}))
        .await
        .expect_code("BAD_USER_INPUT");
    assert_eq!(err["extensions"]["field"], "permission");

    let res = e.q(query, json!({"u": id, "p": "invoice:approve", "d": "fin"})).await;
    let explained = &res.ok()["explainAccess"];
    assert_eq!(explained["allowed"], true);
    assert_eq!(explained["grantedBy"], json!([{"role": "FINANCE_CLERK", "department": "fin"}]));
    assert!(explained["reason"].as_str().unwrap().contains("FINANCE_CLERK in fin"), "{explained}");
    // Organisation-wide rights are asked about "*", whatever the department named.
    let res = e.q(query, json!({"u": id, "p": "audit:read", "d": "fin"})).await;
    assert_eq!(res.ok()["explainAccess"]["allowed"], false);
    assert!(res.ok()["explainAccess"]["reason"].as_str().unwrap().contains("organisation-wide"));
}

// ------------------------------------------------------------------ the console and the export

#[tokio::test]
async fn the_console_is_one_offline_page_under_a_strict_policy() {
    let e = evidence_app().await;
    let res = e.app.client.get(e.app.url("/console")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let policy = headers["content-security-policy"].to_str().unwrap().to_string();
    for directive in ["default-src 'none'", "script-src 'sha256-", "connect-src 'self'", "frame-ancestors 'none'"] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "{policy}");
    let page = res.text().await.unwrap();
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "no CDN");
    // The script the policy allows is the page's own.
    let script = page.split("<script>").nth(1).unwrap().split("</script>").next().unwrap();
    let digest = STANDARD.encode(Sha256::digest(script.as_bytes()));
    assert!(policy.contains(&format!("'sha256-{digest}'")), "{policy}");
}

#[tokio::test]
async fn the_console_export_is_the_cli_export_for_auditors_only() {
    let e = evidence_app().await;
    e.departments(&["fin"]).await;
    let (_, clerk) = e.app.user_with_role(&e.admin, "clerk@example.com", "FINANCE_CLERK", "fin").await;
    let (_, auditor) = e.app.user_with_role(&e.admin, "aud@example.com", "AUDITOR", "*").await;
    let url = e.app.url("/console/export.jsonl");
    assert_eq!(e.app.client.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(e.app.client.get(&url).bearer_auth("forged").send().await.unwrap().status(), 401);
    assert_eq!(e.app.client.get(&url).bearer_auth(&clerk).send().await.unwrap().status(), 403);
    let res = e.app.client.get(&url).bearer_auth(&auditor).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let downloaded = res.text().await.unwrap();
    let out = e.app.cli(&["audit", "export"]);
    assert!(out.status.success());
    assert_eq!(downloaded, String::from_utf8(out.stdout).unwrap());
    assert_eq!(downloaded.lines().count() as i64, e.app.audit_head(&e.admin).await);
}

// ------------------------------------------------------------------ the CLI and the docs' verifier

#[tokio::test]
async fn keygen_prints_a_signer_key_and_its_verifier_key_that_the_server_uses() {
    let out = Command::new(env!("CARGO_BIN_EXE_trastienda"))
        .args(["audit", "keygen", "--name", "acme.example/log"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("PRIVATE+KEY+acme.example/log+"));
    assert!(lines[1].starts_with("acme.example/log+"));
    let signer = note::Signer::new(lines[0]).unwrap();
    assert_eq!(signer.verifier().to_string(), lines[1]);

    let app = spawn_app_with(&[("AUDIT_SIGNING_KEY", lines[0])]).await;
    let admin = app.admin_token().await;
    let key = app.gql(Some(&admin), "{ auditVerifierKey }", json!({})).await;
    assert_eq!(key.ok()["auditVerifierKey"], lines[1]);
    let made = app.gql(Some(&admin), "mutation { createAuditCheckpoint { note } }", json!({})).await;
    assert!(signature_holds(made.ok()["createAuditCheckpoint"]["note"].as_str().unwrap(), lines[1]));

    let bad =
        Command::new(env!("CARGO_BIN_EXE_trastienda")).args(["audit", "keygen", "--name", "a+b"]).output().unwrap();
    assert!(!bad.status.success());
}

#[tokio::test]
async fn the_python_verifier_of_the_docs_checks_a_real_checkpoint() {
    let e = evidence_app().await;
    e.departments(&["a", "b", "c"]).await;
    let checkpoint = e.checkpoint().await;
    e.departments(&["d"]).await;
    let kept = temp_file("checkpoint.txt", checkpoint["note"].as_str().unwrap().as_bytes());
    let export = e.app.cli(&["audit", "export"]);
    assert!(export.status.success());
    let exported = temp_file("export.jsonl", &export.stdout);
    let python = |checkpoint: &std::path::Path, export: &std::path::Path| {
        Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/verify_checkpoint.py"))
            .arg(checkpoint)
            .arg(&e.verifier_key)
            .arg(export)
            .output()
            .expect("python3 runs")
    };
    let ok = python(&kept, &exported);
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("checkpoint verified"), "{}", stdout(&ok));

    // A rewritten export (the hash of an event the checkpoint covers) does not give its root.
    let text = String::from_utf8(export.stdout.clone()).unwrap();
    let second: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    let rewritten = text.replacen(second["hash"].as_str().unwrap(), &"ab".repeat(32), 1);
    let rewritten = temp_file("rewritten.jsonl", rewritten.as_bytes());
    let bad = python(&kept, &rewritten);
    assert_eq!(bad.status.code(), Some(1));
    let size = checkpoint["treeSize"].as_i64().unwrap();
    assert!(stdout(&bad).contains(&format!("checkpoint mismatch at tree size {size}")), "{}", stdout(&bad));

    // A checkpoint whose root was edited no longer carries a valid signature.
    let root = checkpoint["rootHash"].as_str().unwrap();
    let forged_root = STANDARD.encode([0u8; 32]);
    let forged =
        temp_file("forged.txt", checkpoint["note"].as_str().unwrap().replacen(root, &forged_root, 1).as_bytes());
    let bad = python(&forged, &exported);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).contains("bad signature"), "{}", stdout(&bad));
    for file in [kept, exported, rewritten, forged] {
        std::fs::remove_file(file).ok();
    }
}

#[tokio::test]
async fn serve_demo_logs_the_verifier_key_and_never_the_signer_key() {
    let (url, file) = fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join("trastienda-evidence-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_trastienda"))
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}"), "--database-url", &url])
        .current_dir(&dir)
        .env_remove("JWT_SECRET")
        .env_remove("AUDIT_SIGNING_KEY")
        .env("RUST_LOG", "info")
        .env("AUDIT_CHECKPOINT_INTERVAL_SECS", "86400")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while client.get(format!("{base}/health")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(120), "the demo server did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let login = client
        .post(format!("{base}/graphql"))
        .json(&json!({"query": "mutation { login(email: \"auditor@demo.trastienda\", password: \"demo-password-auditor\") { accessToken } }"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let token = login["data"]["login"]["accessToken"].as_str().expect("the demo auditor signs in").to_string();
    let key = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": "{ auditVerifierKey }"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["data"]["auditVerifierKey"]
        .as_str()
        .unwrap()
        .to_string();
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    let logs = stdout(&output);
    assert!(logs.contains(&key), "the verifier key is logged: {logs}");
    assert!(!logs.contains("PRIVATE+KEY"), "the signer key is never logged");
    if let Some(file) = file {
        for suffix in ["", "-wal", "-shm"] {
            std::fs::remove_file(format!("{}{suffix}", file.display())).ok();
        }
    }
}
