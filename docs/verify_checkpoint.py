#!/usr/bin/env python3
"""Checks a Trastienda audit checkpoint against an export, without Trastienda's code.

Usage: verify_checkpoint.py CHECKPOINT_FILE VERIFIER_KEY EXPORT.jsonl
The checkpoint's Ed25519 signature needs `pip install cryptography`; the Merkle root (RFC 6962)
of the export's first N events is recomputed with hashlib alone. Verify the export's chain too
(docs/auditors.md): then the events themselves are the ones the checkpoint signed."""
import base64, hashlib, json, sys

note, vkey, export = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2].strip(), sys.argv[3]
text, _, signatures = note.rpartition("\n\n")
text += "\n"  # the signed text ends with the newline before the blank line
origin, size, root = text.splitlines()[:3]
name, key_id, key = vkey.split("+", 2)
public = base64.b64decode(key)  # 0x01 (Ed25519), then the 32-byte public key
if public[0] != 1 or hashlib.sha256(name.encode() + b"\n" + public).digest()[:4].hex() != key_id:
    sys.exit("malformed verifier key")
sigs = [base64.b64decode(s.split(" ")[-1]) for s in signatures.splitlines() if s.split(" ")[1:2] == [name]]
sig = next((s[4:] for s in sigs if s[:4].hex() == key_id), None) or sys.exit(f"checkpoint refused: not signed by {name}")
try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        Ed25519PublicKey.from_public_bytes(public[1:]).verify(sig, text.encode())
    except InvalidSignature:
        sys.exit("checkpoint refused: bad signature")
except ImportError:
    print("WARNING: signature not checked (pip install cryptography)")

def mth(leaves):  # RFC 6962 §2.1: leaf SHA-256(0x00 ‖ leaf), node SHA-256(0x01 ‖ left ‖ right)
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)  # the largest power of two below len
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

events = [json.loads(line) for line in open(export, encoding="utf-8") if line.strip()][: int(size)]
if any(event["seq"] != i + 1 for i, event in enumerate(events)):
    sys.exit("the export must be complete, from seq 1 (trastienda audit export)")
leaves = [bytes.fromhex(event["hash"]) for event in events]
computed = mth(leaves) if leaves else hashlib.sha256(b"").digest()
if len(leaves) < int(size) or base64.b64encode(computed).decode() != root:
    sys.exit(f"checkpoint mismatch at tree size {size}")
print(f"checkpoint verified: {origin}, the first {size} events have root {root}")
