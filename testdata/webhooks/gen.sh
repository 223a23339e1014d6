#!/bin/sh
# gen.sh writes vectors.json: webhook signature test vectors whose expected
# values are computed by OpenSSL, not by Go, so the Go tests check our HMAC
# against an independent implementation.
#
# Regenerate (needs openssl and sh; output is deterministic):
#   sh testdata/webhooks/gen.sh > testdata/webhooks/vectors.json
#
# Each vector: secret(s), unix timestamp, the payload in base64 (exact
# bytes, including a trailing newline or non-ASCII), the signature(s) as
# hex(HMAC-SHA256(secret, "<t>.<payload>")) and the full
# guapocado-signature header "t=<t>,v1=<sig>[,v1=<sig2>]".
# The secrets are made up for these vectors; none is a real key.
set -eu

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# hmac SECRET FILE -> lowercase hex HMAC-SHA256 of the file's bytes
hmac() {
	openssl dgst -sha256 -hmac "$1" -r <"$2" | cut -d' ' -f1
}

b64() {
	openssl base64 -A <"$1"
}

first=1
# vector NAME TIMESTAMP PAYLOADFILE SECRET [SECRET2]
vector() {
	name=$1 ts=$2 file=$3
	shift 3
	printf '%s.' "$ts" >"$tmp/signed"
	cat "$file" >>"$tmp/signed"
	header="t=$ts" secrets="" sigs=""
	for s in "$@"; do
		sig=$(hmac "$s" "$tmp/signed")
		header="$header,v1=$sig"
		secrets="$secrets${secrets:+, }\"$s\""
		sigs="$sigs${sigs:+, }\"$sig\""
	done
	[ "$first" = 1 ] || printf ',\n'
	first=0
	printf '  {\n'
	printf '    "name": "%s",\n' "$name"
	printf '    "secrets": [%s],\n' "$secrets"
	printf '    "timestamp": %s,\n' "$ts"
	printf '    "payloadBase64": "%s",\n' "$(b64 "$file")"
	printf '    "signatures": [%s],\n' "$sigs"
	printf '    "header": "%s"\n' "$header"
	printf '  }'
}

# The body of transcript 3.29 (its real secret is not recorded; this one is made up).
printf '%s' '{"type":"subscription.updated","data":{"customerId":"ERpKczkC4SWrd9Dek30UN9O1U8beGEn5","planKey":"pro"}}' >"$tmp/p1"
# A full envelope as CONTRACT.md section 5 describes it.
printf '%s' '{"id":"evt_0001","type":"subscription.updated","createdAt":"2026-11-27T09:57:00.000Z","source":{"provider":"stripe","eventId":"evt_1Q2w3E","objectId":"sub_123","objectType":"subscription"},"data":{"subscription":{"id":"sub_01","customerId":"org_acme","stripeSubscriptionId":"sub_123","planKey":"pro","status":"active","currentPeriodStart":"2026-11-01T00:00:00.000Z","currentPeriodEnd":"2026-12-01T00:00:00.000Z","cancelAtPeriodEnd":false}}}' >"$tmp/p2"
printf '%s' '{}' >"$tmp/p3"
# A body ending in a newline: the newline is signed too.
printf '%s\n' '{"id":"evt_0002","type":"customer.updated","data":{"customer":{"id":"org_acme","metadata":{}}}}' >"$tmp/p4"
# Non-ASCII (UTF-8) body.
printf '%s' '{"id":"evt_0003","type":"customer.updated","data":{"customer":{"id":"c1","name":"Zoë Aguacate 🥑","metadata":{"note":"ñandú"}}}}' >"$tmp/p5"
# Exactly 1024 bytes: {"pad":"xxx…"}.
printf '{"pad":"%s"}' "$(head -c 1014 /dev/zero | tr '\0' 'x')" >"$tmp/p6"
# Dots and a fake header inside the body, to catch a wrong "<t>.<body>" join.
printf '%s' '1795732077.t=1,v1=00.{"type":"x.y.z"}' >"$tmp/p7"
# Empty body: the signed string is just "<t>.".
: >"$tmp/p8"

printf '[\n'
vector "transcript-3.29-body" 1795732077 "$tmp/p1" "whsec_transcript_demo_7f3a"
vector "full-envelope" 1795732077 "$tmp/p2" "whsec_full_envelope_4b1c"
vector "empty-object" 1700000000 "$tmp/p3" "whsec_empty_object_9d2e"
vector "trailing-newline" 1795732077 "$tmp/p4" "whsec_newline_1a5f"
vector "utf8-body" 1795732077 "$tmp/p5" "whsec_utf8_6c0b"
vector "1KiB-body" 1795732077 "$tmp/p6" "whsec_one_kib_3e8d"
vector "dots-in-body" 1795732077 "$tmp/p7" "whsec_dots_0f9a"
vector "empty-body" 1795732077 "$tmp/p8" "whsec_empty_body_2b7c"
vector "secret-with-spaces-and-symbols" 1795732077 "$tmp/p1" 's3cr3t with spaces & symbols !$%*+,-./:;<=>?@[]^_{|}~'
# HMAC hashes keys longer than SHA-256's 64-byte block; 64 bytes exactly is not hashed.
vector "secret-64-bytes" 1795732077 "$tmp/p1" "whsec_sixty_four_bytes_exactly_0123456789abcdefghijklmnopqrstuvw"
vector "secret-65-bytes" 1795732077 "$tmp/p1" "whsec_sixty_five_bytes_exactly_0123456789abcdefghijklmnopqrstuvwx"
vector "secret-1-byte" 1795732077 "$tmp/p1" "k"
# Rotation: one header carrying the signatures of the new and the old secret.
vector "rotation-two-v1" 1795732077 "$tmp/p2" "whsec_rotation_new_8e4d" "whsec_rotation_old_5a6b"
printf '\n]\n'
