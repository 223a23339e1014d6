#!/usr/bin/env bash
# smoke.sh: checks the harness server against the contract's transcripts with
# curl. Starts its own servers (default, https baseURL, NODE_ENV=production,
# team and user customer sources), stops them on exit, and exits non-zero on
# any mismatch. Needs bash, curl and node, and `npm ci` done in this folder.
#
#   bash integration/smoke.sh
#
# Tokens and cookies are never printed: a failing check shows its status and
# body with every known credential replaced by <redacted>.

set -uo pipefail
cd "$(dirname "$0")"

TMP=$(mktemp -d)
PASS=0
FAIL=0
SERVER_PID=""
SERVER_FD=""
SECRETS=()

stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
  if [[ -n $SERVER_FD ]]; then
    exec {SERVER_FD}>&-
    SERVER_FD=""
  fi
}
cleanup() {
  stop_server
  # SMOKE_KEEP_LOGS=<dir> keeps each server's stderr (<name>.err) there.
  if [[ -n ${SMOKE_KEEP_LOGS:-} ]]; then cp "$TMP"/*.err "$SMOKE_KEEP_LOGS"/ 2>/dev/null; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME [VAR=value…]: starts server.mjs with that environment
# (NODE_ENV and the harness variables cleared first) and sets URL (what to
# dial), BASEURL (Better Auth's baseURL) and API ($URL/api/auth).
start_server() {
  local name=$1
  shift
  stop_server
  local fifo="$TMP/$name.stdin"
  mkfifo "$fifo"
  # Opened read-write so that opening does not block; the server's stdin
  # reaches EOF when this shell (the only writer) goes away.
  exec {SERVER_FD}<>"$fifo"
  env -u NODE_ENV -u PORT -u BA_BASE_URL_SCHEME -u GUAP_CUSTOMER_SOURCE -u GUAP_WEBHOOK_SECRET \
    "$@" node server.mjs <"$fifo" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SERVER_PID=$!
  local line="" i
  for ((i = 0; i < 300; i++)); do
    line=$(head -n 1 "$TMP/$name.out" 2>/dev/null)
    [[ $line == LISTENING* ]] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [[ $line =~ ^LISTENING\ (http://127\.0\.0\.1:[0-9]+)\ BASEURL\ (https?://127\.0\.0\.1:[0-9]+)$ ]]; then
    URL=${BASH_REMATCH[1]}
    BASEURL=${BASH_REMATCH[2]}
    API=$URL/api/auth
    echo "== $name: listening on $URL, baseURL $BASEURL"
  else
    echo "FATAL: server '$name' did not start; stderr:" >&2
    cat "$TMP/$name.err" >&2
    exit 1
  fi
}

redact() {
  local s=$1 v
  for v in "${SECRETS[@]}"; do
    [[ -n $v ]] && s=${s//"$v"/<redacted>}
  done
  printf '%s' "$s"
}

# call METHOD PATH [curl args…]: one request to $API$PATH; sets STATUS, BODY
# and HEADERS (lower-cased names, CR stripped).
call() {
  local method=$1 path=$2
  shift 2
  STATUS=$(curl -sS -X "$method" -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "$API$path" "$@")
  BODY=$(cat "$TMP/b")
  HEADERS=$(tr -d '\r' <"$TMP/h" | sed -E 's/^([^:]+):/\L\1:/')
}

header() { # header NAME: the first value of response header NAME
  printf '%s\n' "$HEADERS" | sed -n "s/^$1: //p" | head -n 1
}

pass() { PASS=$((PASS + 1)); }
fail() {
  FAIL=$((FAIL + 1))
  echo "FAIL: $1"
  echo "      got $STATUS $(redact "${BODY:0:400}")"
  [[ -n ${2:-} ]] && echo "      want $(redact "$2")"
}

# expect NAME STATUS BODY: exact status and body.
expect() {
  if [[ $STATUS == "$2" && $BODY == "$3" ]]; then pass; else fail "$1" "$2 $3"; fi
}
# expect_match NAME STATUS REGEX: exact status, body matching an ERE.
expect_match() {
  if [[ $STATUS == "$2" && $BODY =~ $3 ]]; then pass; else fail "$1" "$2 /$3/"; fi
}
# expect_header NAME HEADER REGEX
expect_header() {
  local v
  v=$(header "$2")
  if [[ $v =~ $3 ]]; then pass; else fail "$1: header $2 ($(redact "$v")) !~ /$3/"; fi
}

json() { # json EXPR: evaluates EXPR on the JSON in $BODY (as d)
  node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); const v = eval(process.argv[1]); process.stdout.write(v === undefined || v === null ? "" : String(v));' "$1" <<<"$BODY"
}
uri() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }
hmac() { SMOKE_KEY=$1 node -e 'process.stdout.write(require("crypto").createHmac("sha256", process.env.SMOKE_KEY).update(process.argv[1]).digest("hex"))' "$2"; }

JSON='Content-Type: application/json'

# sign_up EMAIL NAME: signs up; sets TOKEN (the set-auth-token value) and
# COOKIE (the session cookie pair, name=value).
sign_up() {
  call POST /sign-up/email -H "$JSON" -d "{\"email\":\"$1\",\"password\":\"password1234\",\"name\":\"$2\"}"
  TOKEN=$(header set-auth-token)
  COOKIE=$(header set-cookie | sed -E 's/;.*//')
  SECRETS+=("$TOKEN" "${COOKIE#*=}" "${TOKEN%%.*}")
}

########################################################################
start_server default GUAP_WEBHOOK_SECRET=whsec_smoke_only

# 1. sign-up / sign-in / session
sign_up alice@example.com Alice
ENC=$(uri "$TOKEN")
if [[ $STATUS == 200 ]]; then pass; else fail "sign-up status"; fi
expect_header "sign-up set-auth-token" set-auth-token '^[A-Za-z0-9]{32}\.[A-Za-z0-9+/]{43}=$'
expect_header "sign-up expose-headers" access-control-expose-headers '^set-auth-token$'
if [[ $(header set-cookie) == "better-auth.session_token=$ENC; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax" ]]; then pass; else fail "sign-up cookie is the URL-encoded set-auth-token"; fi
USER_ID=$(json d.user.id)

call POST /sign-up/email -H "$JSON" -d '{"email":"alice@example.com","password":"password1234","name":"Alice"}'
expect "sign-up again" 422 '{"message":"User already exists. Use another email.","code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}'

call POST /sign-in/email -H "$JSON" -d '{"email":"alice@example.com","password":"wrong-password"}'
expect "sign-in wrong password" 401 '{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}'

call POST /sign-in/email -H "$JSON" -d '{"email":"alice@example.com","password":"password1234"}'
expect_match "sign-in" 200 '^\{"redirect":false,"token":"[A-Za-z0-9]{32}","user":\{'
expect_header "sign-in set-auth-token" set-auth-token '^[A-Za-z0-9]{32}\.'
SECRETS+=("$(header set-auth-token)")

call POST /sign-in/email -H "$JSON" -d '{"email":"alice@example.com","password":"password1234","rememberMe":false}'
SECRETS+=("$(header set-auth-token)")
if printf '%s\n' "$HEADERS" | grep -q '^set-cookie: better-auth.session_token=[^;]*; Path=/; HttpOnly; SameSite=Lax$' &&
  printf '%s\n' "$HEADERS" | grep -q '^set-cookie: better-auth.dont_remember=true\.'; then pass; else fail "rememberMe:false cookies"; fi

call GET /get-session -H "Authorization: Bearer $TOKEN"
if [[ $STATUS == 200 && $(json d.user.id) == "$USER_ID" ]]; then pass; else fail "get-session with Bearer"; fi
call GET /get-session -H "Cookie: $COOKIE"
if [[ $STATUS == 200 && $(json d.user.id) == "$USER_ID" ]]; then pass; else fail "get-session with cookie"; fi
call GET /get-session -H "Authorization: Bearer garbage"
expect "get-session, Bearer garbage" 200 'null'

# 2. not signed in / no active organization
call POST /guapocado/has -H "$JSON" -d '{"key":"csv-export"}'
expect "has, no session" 401 '{"message":"Unauthorized","code":"UNAUTHORIZED"}'
call POST /guapocado/has -H "$JSON" -H "Authorization: Bearer nope.nope" -d '{"key":"csv-export"}'
expect "has, invalid token" 401 '{"message":"Unauthorized","code":"UNAUTHORIZED"}'
call POST /guapocado/has -H "$JSON" -H "Authorization: Bearer $TOKEN" -d '{"key":"csv-export"}'
expect "has, no active organization" 401 '{"message":"Sign in first"}'
call GET /guapocado/customer -H "Authorization: Bearer $TOKEN"
expect "GET customer, no active organization" 200 'null'
call POST /guapocado/usage/consume -H "$JSON" -H "Authorization: Bearer $TOKEN" -d '{"key":"api-calls"}'
expect "consume, no active organization" 401 '{"message":"Sign in first"}'

# 3. organization (Bearer), then the plugin
call POST /organization/create -H "$JSON" -H "Authorization: Bearer $TOKEN" -d '{"name":"Acme","slug":"acme"}'
ORG=$(json d.id)
expect_match "organization/create" 200 '^\{"name":"Acme","slug":"acme",'
AUTH="Authorization: Bearer $TOKEN"

call POST /guapocado/has -H "$JSON" -H "$AUTH" -d '{"key":"csv-export"}'
expect "has csv-export" 200 "{\"customerId\":\"$ORG\",\"allowed\":true}"
call POST /guapocado/has -H "$JSON" -H "$AUTH" -d '{"key":"advanced-analytics"}'
expect "has advanced-analytics (free)" 200 "{\"customerId\":\"$ORG\",\"allowed\":false}"
call GET /guapocado/customer -H "$AUTH"
expect "GET customer" 200 "{\"customerId\":\"$ORG\"}"
call POST /guapocado/customer -H "$JSON" -H "$AUTH" -d '{}'
expect "sync customer" 200 "{\"customerId\":\"$ORG\",\"customer\":{\"id\":\"$ORG\",\"name\":\"Alice\",\"email\":\"alice@example.com\"}}"
call GET /guapocado/plans -H "$AUTH"
expect "plans (transcripts 3.18)" 200 "$(cat testdata/plans.json)"

RESETS=$(node -e 'const n = new Date(); process.stdout.write(new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + 1, 1)).toISOString())')
U() { printf '{"customerId":"%s","balance":%s,"included":%s,"consumed":%s,"overage":%s,"overageAllowed":%s,"overageEnabled":%s,"resets":%s}' "$ORG" "$@"; }
call POST /guapocado/usage/balance -H "$JSON" -H "$AUTH" -d '{"key":"api-calls"}'
expect "balance api-calls" 200 "$(U 100 100 0 0 false false "\"$RESETS\"")"
call POST /guapocado/usage/balance -H "$JSON" -H "$AUTH" -d '{"key":"ai-credits"}'
expect "balance ai-credits (never resets)" 200 "$(U 10 10 0 0 false false null)"
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":5}'
expect "consume 5" 200 "$(U 95 100 5 0 false false "\"$RESETS\"")"
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"api-calls"}'
expect "consume default 1" 200 "$(U 94 100 6 0 false false "\"$RESETS\"")"
call POST /guapocado/usage/refund -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":2}'
expect "refund 2" 200 "$(U 96 100 4 0 false false "\"$RESETS\"")"
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":1,"idempotencyKey":"job-42"}'
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":1,"idempotencyKey":"job-42"}'
expect "idempotencyKey ignored (consumed twice)" 200 "$(U 94 100 6 0 false false "\"$RESETS\"")"
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"ai-credits","amount":11}'
expect "insufficient balance" 429 '{"message":"Insufficient balance"}'
if [[ -z $(header retry-after) && -z $(header x-retry-after) ]]; then pass; else fail "insufficient balance carries no retry header"; fi
call POST /guapocado/usage/settings -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","overageEnabled":true}'
expect "usage settings" 200 "$(U 94 100 6 0 false true "\"$RESETS\"")"
call POST /guapocado/limit -H "$JSON" -H "$AUTH" -d '{"key":"seats"}'
expect "limit seats" 200 "{\"customerId\":\"$ORG\",\"limit\":3,\"included\":3,\"purchased\":0,\"expansionAllowed\":false,\"autoExpansionEnabled\":false}"
call POST /guapocado/limit/settings -H "$JSON" -H "$AUTH" -d '{"key":"seats","purchased":2}'
expect "limit settings on free" 400 '{"message":"Limit expansion is not allowed for seats on this plan"}'
call POST /guapocado/subscription -H "$JSON" -H "$AUTH" -d '{}'
expect "subscription none" 200 "{\"customerId\":\"$ORG\",\"subscription\":null}"
call POST /guapocado/subscription/change -H "$JSON" -H "$AUTH" -d '{"planKey":"pro"}'
expect_match "subscription change" 200 "^\\{\"customerId\":\"$ORG\",\"subscription\":\\{\"id\":\"sub_[0-9]{6}\",\"customerId\":\"$ORG\",\"planKey\":\"pro\",\"status\":\"active\",\"stripeSubscriptionId\":null,\"currentPeriodStart\":\"[^\"]+\",\"currentPeriodEnd\":\"$RESETS\",\"createdAt\":\"[^\"]+\",\"updatedAt\":\"[^\"]+\",\"changed\":true\\}\\}$"
call POST /guapocado/subscription/change -H "$JSON" -H "$AUTH" -d '{"planKey":"pro"}'
expect_match "subscription change again" 200 '"planKey":"pro".*"changed":false\}\}$'
call POST /guapocado/subscription/change -H "$JSON" -H "$AUTH" -d '{"planKey":"gold"}'
expect "subscription change unknown" 404 '{"message":"Unknown plan: gold"}'
call POST /guapocado/subscription/change -H "$JSON" -H "$AUTH" -d '{"planKey":"credits-pack"}'
expect "subscription change one-time" 400 '{"message":"Plan credits-pack is not a recurring plan"}'
call POST /guapocado/subscription -H "$JSON" -H "$AUTH" -d '{}'
expect_match "subscription current" 200 '"planKey":"pro","status":"active".*"updatedAt":"[^"]+"\}\}$'
call POST /guapocado/limit/settings -H "$JSON" -H "$AUTH" -d '{"key":"seats","purchased":2,"autoExpansionEnabled":true}'
expect "limit settings on pro" 200 "{\"customerId\":\"$ORG\",\"limit\":12,\"included\":10,\"purchased\":2,\"expansionAllowed\":true,\"autoExpansionEnabled\":true}"
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":10050}'
expect "consume into overage" 200 "$(U 0 10000 10056 56 true true "\"$RESETS\"")"
call POST /guapocado/checkout -H "$JSON" -H "$AUTH" -d '{"productKey":"credits-pack","successUrl":"https://app.example.test/billing/ok","cancelUrl":"https://app.example.test/billing"}'
expect_match "checkout" 200 "^\\{\"customerId\":\"$ORG\",\"url\":\"https://checkout\\.fake-guapocado\\.test/c/cs_[0-9]{6}\"\\}$"
call POST /guapocado/checkout -H "$JSON" -H "$AUTH" -d '{"planKey":"pro","successUrl":"https://a.test/ok","cancelUrl":"https://a.test/no"}'
expect_match "checkout planKey alias" 200 'cs_[0-9]{6}"\}$'
call POST /guapocado/checkout -H "$JSON" -H "$AUTH" -d '{"successUrl":"https://a.test/ok","cancelUrl":"https://a.test/no"}'
expect "checkout no product" 400 '{"message":"productKey, successUrl, and cancelUrl are required"}'
call POST /guapocado/checkout -H "$JSON" -H "$AUTH" -d '{"productKey":"pro","successUrl":"/ok","cancelUrl":"/no"}'
expect "checkout relative URLs" 400 '{"message":"successUrl must be an absolute URL"}'
call POST /guapocado/checkout -H "$JSON" -H "$AUTH" -d '{"productKey":"gold","successUrl":"https://a.test/ok","cancelUrl":"https://a.test/no"}'
expect "checkout unknown product" 404 '{"message":"Unknown product: gold"}'
call POST /guapocado/checkout -H "$JSON" -H "$AUTH" -d '{}'
expect "checkout {}" 400 '{"message":"[body.successUrl] Required; [body.cancelUrl] Required","code":"VALIDATION_ERROR"}'
call POST /guapocado/context -H "$JSON" -H "$AUTH" -d '{"features":["nope"],"usage":["nope"],"limits":["nope"],"includePlans":false}'
expect_match "context unknown keys" 200 "^\\{\"customerId\":\"$ORG\",\"customer\":\\{\"id\":\"$ORG\",\"name\":\"Alice\",\"email\":\"alice@example.com\"\\},\"features\":\\{\"nope\":false\\},\"usage\":\\{\\},\"limits\":\\{\\},\"plans\":\\[\\],\"subscription\":\\{\"id\":\"sub_"
call POST /guapocado/context -H "$JSON" -H "$AUTH" -d '{"usage":["ai-credits"],"debug":true,"includePlans":false,"includeSubscription":false}'
expect_match "context debug" 200 '"usage":\{"ai-credits":\{"balance":500,"included":500,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null\}\},"limits":\{\},"plans":\[\],"subscription":null,"_debug":\{"totalMs":[0-9]+,"timings":\{"platform.context":[0-9]+\}\}\}$'
call POST /guapocado/usage/balance -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","customerId":"anything-at-all"}'
expect "customerId override" 200 '{"customerId":"anything-at-all","balance":100,"included":100,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"'"$RESETS"'"}'

# 4. validation matrix, POST /guapocado/usage/consume (transcripts section 4)
V() { printf '{"message":"%s","code":"VALIDATION_ERROR"}' "$1"; }
while IFS='|' read -r name body status want; do
  call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d "$body"
  expect "consume: $name" "$status" "$want"
done <<EOF
missing key|{"amount":1}|400|$(V '[body.key] Required')
empty JSON object|{}|400|$(V '[body.key] Required')
key empty string|{"key":"","amount":1}|400|$(V '[body.key] String must contain at least 1 character(s)')
key whitespace|{"key":"   ","amount":1}|400|{"message":"key is required"}
key number|{"key":5,"amount":1}|400|$(V '[body.key] Expected string, received number')
unknown key|{"key":"no-such-key","amount":1}|404|{"message":"Unknown entitlement: no-such-key"}
amount 0|{"key":"api-calls","amount":0}|400|$(V '[body.amount] Number must be greater than 0')
amount -1|{"key":"api-calls","amount":-1}|400|$(V '[body.amount] Number must be greater than 0')
amount 1.5|{"key":"api-calls","amount":1.5}|400|$(V '[body.amount] Expected integer, received float')
amount "1"|{"key":"api-calls","amount":"1"}|400|$(V '[body.amount] Expected number, received string')
amount "abc"|{"key":"api-calls","amount":"abc"}|400|$(V '[body.amount] Expected number, received string')
amount null|{"key":"api-calls","amount":null}|400|$(V '[body.amount] Expected number, received null')
amount true|{"key":"api-calls","amount":true}|400|$(V '[body.amount] Expected number, received boolean')
customerId not a string|{"key":"api-calls","amount":1,"customerId":123}|400|$(V '[body.customerId] Expected string, received number')
customerId empty string|{"key":"api-calls","amount":1,"customerId":""}|401|{"message":"Sign in first"}
JSON null|null|400|$(V '[body] Expected object, received null')
JSON array|[]|400|$(V '[body] Expected object, received array')
invalid JSON|{"key":|400|{"message":"Invalid JSON in request body","code":"BAD_REQUEST"}
EOF
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":1e2}'
expect "consume: amount 1e2" 200 "$(U 0 10000 10156 156 true true "\"$RESETS\"")"
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":2.0}'
expect "consume: amount 2.0" 200 "$(U 0 10000 10158 158 true true "\"$RESETS\"")"
call POST /guapocado/usage/consume -H "$JSON" -H "$AUTH"
expect "consume: empty body" 400 "$(V '[body] Required')"
call POST /guapocado/usage/consume -H "$AUTH" -H 'Content-Type:' -d '{"key":"api-calls","amount":1}'
expect "consume: no Content-Type header" 400 "$(V '[body] Required')"
call POST /guapocado/usage/consume -H "$AUTH" -d '{"key":"api-calls","amount":1}'
expect "consume: form Content-Type" 415 '{"message":"Content-Type \"application/x-www-form-urlencoded\" is not allowed. Allowed types: application/json","code":"UNSUPPORTED_MEDIA_TYPE"}'
call POST /guapocado/usage/consume -H "$AUTH" -H 'Content-Type: text/plain' -d '{"key":"api-calls","amount":1}'
expect "consume: text/plain" 415 '{"message":"Content-Type \"text/plain\" is not allowed. Allowed types: application/json","code":"UNSUPPORTED_MEDIA_TYPE"}'
call POST /guapocado/usage/consume -H "$AUTH" -H 'Content-Type: APPLICATION/JSON; charset=utf-8' -d '{"key":"api-calls","amount":1}'
expect_match "consume: Content-Type case and parameters" 200 '"consumed":10159,'
call GET /guapocado/usage/consume -H "$AUTH"
expect "consume: wrong method GET" 404 ''
call PUT /guapocado/usage/consume -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":1}'
expect "consume: wrong method PUT" 404 ''
call POST /guapocado/usage/consume/ -H "$JSON" -H "$AUTH" -d '{"key":"api-calls","amount":1}'
expect "consume: trailing slash" 404 ''
call POST /guapocado/limit/settings -H "$JSON" -H "$AUTH" -d '{"key":"seats","purchased":-1}'
expect "limit settings purchased -1" 400 "$(V '[body.purchased] Number must be greater than or equal to 0')"
call POST /guapocado/usage/settings -H "$JSON" -H "$AUTH" -d '{}'
expect "usage settings {}" 400 "$(V '[body.key] Required; [body.overageEnabled] Required')"
call POST /guapocado/context -H "$JSON" -H "$AUTH" -d '{"features":[""]}'
expect "context features [\"\"]" 400 "$(V '[body.features.0] String must contain at least 1 character(s)')"

# 5. Origin (CSRF) checks with the session cookie
call POST /guapocado/has -H "$JSON" -H "Cookie: $COOKIE" -d '{"key":"csv-export"}'
expect "cookie, no Origin" 403 '{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}'
call POST /guapocado/has -H "$JSON" -H "Cookie: $COOKIE" -H "Origin: $BASEURL" -d '{"key":"csv-export"}'
expect "cookie, Origin = baseURL" 200 "{\"customerId\":\"$ORG\",\"allowed\":true}"
call POST /guapocado/has -H "$JSON" -H "Cookie: $COOKIE" -H "Origin: ${BASEURL/127.0.0.1/localhost}" -d '{"key":"csv-export"}'
expect "cookie, Origin localhost" 403 '{"message":"Invalid origin","code":"INVALID_ORIGIN"}'
call POST /guapocado/has -H "$JSON" -H "Cookie: $COOKIE" -H "Origin: null" -d '{"key":"csv-export"}'
expect "cookie, Origin null" 403 '{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}'
call POST /guapocado/has -H "$JSON" -H "Cookie: $COOKIE" -H "Referer: $BASEURL/page" -d '{"key":"csv-export"}'
expect "cookie, Referer = baseURL/page" 200 "{\"customerId\":\"$ORG\",\"allowed\":true}"
call POST /guapocado/usage/consume -H "$JSON" -H "Cookie: $COOKIE" -H "Origin: https://evil.example" -d '{"key":"ai-credits","amount":1}'
expect "consume, cookie, foreign Origin" 403 '{"message":"Invalid origin","code":"INVALID_ORIGIN"}'
call POST /guapocado/has -H "$JSON" -H "$AUTH" -H "Cookie;" -d '{"key":"csv-export"}'
expect "Bearer + empty Cookie header" 403 '{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}'
call POST /guapocado/has -H "$JSON" -H "$AUTH" -H "Origin: https://evil.example" -d '{"key":"csv-export"}'
expect "Bearer, foreign Origin" 200 "{\"customerId\":\"$ORG\",\"allowed\":true}"
call GET /guapocado/customer -H "Cookie: $COOKIE" -H "Origin: https://evil.example"
expect "GET with cookie, foreign Origin" 200 "{\"customerId\":\"$ORG\"}"
call POST /sign-in/email -H "$JSON" -H "Origin: https://evil.example" -d '{"email":"alice@example.com","password":"password1234"}'
expect "sign-in, foreign Origin" 403 '{"message":"Invalid origin","code":"INVALID_ORIGIN"}'
call POST /organization/set-active -H "$JSON" -H "Cookie: $COOKIE" -H "Origin: $BASEURL" -d "{\"organizationId\":\"$ORG\"}"
expect_match "set-active, cookie" 200 "\"id\":\"$ORG\"\\}$"
expect_header "set-active set-auth-token" set-auth-token '^[A-Za-z0-9]{32}\.'

# 6. webhooks
call GET /guap
expect_match "GET /guap" 200 "^\\{\"enabled\":true,\"id\":\"we_[0-9]{6}\",\"status\":\"pending_approval\",\"url\":\"$BASEURL/api/auth/guap\",\"events\":\"\\*\",\"relay\":null\\}$"
FIRST=$BODY
call GET /guap
if [[ $BODY == "$FIRST" ]]; then pass; else fail "GET /guap again keeps the id"; fi
EVENT='{"id":"evt_1","type":"subscription.updated","createdAt":"2026-11-26T22:27:55.800Z","data":{},"source":{"provider":"guapocado"}}'
TS=$(date +%s)
call POST /guap -H "$JSON" -H "guapocado-signature: t=$TS,v1=00ff,v1=$(hmac whsec_smoke_only "$TS.$EVENT")" -d "$EVENT"
expect "webhook, valid signature (rotated list)" 200 '{"received":true}'
call POST /guap -H "$JSON" -H "guapocado-signature: t=$TS,v1=00ff" -d "$EVENT"
expect "webhook, bad signature" 401 '{"message":"Invalid webhook signature"}'
OLD=$((TS - 301))
call POST /guap -H "$JSON" -H "guapocado-signature: t=$OLD,v1=$(hmac whsec_smoke_only "$OLD.$EVENT")" -d "$EVENT"
expect "webhook, stale timestamp" 401 '{"message":"Invalid webhook signature"}'
call POST /guap -H "$JSON"
expect "webhook, no body" 400 '{"message":"Missing webhook payload"}'

########################################################################
start_server https BA_BASE_URL_SCHEME=https
[[ $BASEURL == https://* ]] && pass || fail "https baseURL announced"
sign_up sam@example.com Sam
if [[ $(header set-cookie) == "__Secure-better-auth.session_token=$(uri "$TOKEN"); Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax" ]]; then pass; else fail "https: __Secure- session cookie"; fi
call GET /get-session -H "Cookie: ${COOKIE#__Secure-}"
expect "https: unprefixed cookie ignored" 200 'null'
call POST /organization/create -H "$JSON" -H "Cookie: $COOKIE" -H "Origin: $BASEURL" -d '{"name":"SecureCo","slug":"secureco"}'
ORG=$(json d.id)
expect_match "https: organization/create with cookie" 200 '"slug":"secureco"'
call POST /guapocado/has -H "$JSON" -H "Cookie: $COOKIE" -H "Origin: $URL" -d '{"key":"csv-export"}'
expect "https: Origin http (scheme differs)" 403 '{"message":"Invalid origin","code":"INVALID_ORIGIN"}'
call POST /guapocado/has -H "$JSON" -H "Cookie: $COOKIE" -H "Origin: $BASEURL" -d '{"key":"csv-export"}'
expect "https: cookie, Origin https" 200 "{\"customerId\":\"$ORG\",\"allowed\":true}"
call GET /guap
expect "GET /guap without a webhook secret" 200 '{"enabled":false}'

########################################################################
start_server production NODE_ENV=production
sign_up pat@example.com Pat
call POST /organization/create -H "$JSON" -H "Authorization: Bearer $TOKEN" -d '{"name":"Prod","slug":"prod"}'
ORG=$(json d.id)
# One curl process sends the 100 requests over one connection, well inside
# the limiter's 10 s window.
BURST=()
for ((i = 1; i <= 100; i++)); do BURST+=(-o /dev/null "$API/guapocado/has"); done
OK=$(curl -sS -X POST -H "$JSON" -H "Authorization: Bearer $TOKEN" -d '{"key":"csv-export"}' -w '%{http_code}\n' "${BURST[@]}" | grep -c '^200$')
if [[ $OK == 100 ]]; then pass; else fail "production: 100 requests within the limit ($OK ok)"; fi
call POST /guapocado/has -H "$JSON" -H "Authorization: Bearer $TOKEN" -d '{"key":"csv-export"}'
expect "production: request 101 rate limited" 429 '{"message":"Too many requests. Please try again later."}'
expect_header "production: x-retry-after" x-retry-after '^10$'
if [[ -z $(header retry-after) ]]; then pass; else fail "production: no standard Retry-After"; fi

########################################################################
start_server team GUAP_CUSTOMER_SOURCE=team
sign_up tina@example.com Tina
AUTH="Authorization: Bearer $TOKEN"
call POST /guapocado/has -H "$JSON" -H "$AUTH" -d '{"key":"csv-export"}'
expect "team: no org/team yet" 401 '{"message":"Sign in first"}'
call POST /organization/create -H "$JSON" -H "$AUTH" -d '{"name":"TeamCo","slug":"teamco"}'
call GET /get-session -H "$AUTH"
TEAM=$(json d.session.activeTeamId)
[[ -n $TEAM ]] && pass || fail "team: organization/create activates a default team"
call POST /guapocado/has -H "$JSON" -H "$AUTH" -d '{"key":"csv-export"}'
expect "team: customer is the active team" 200 "{\"customerId\":\"$TEAM\",\"allowed\":true}"
call POST /organization/create-team -H "$JSON" -H "$AUTH" -d '{"name":"Platform"}'
TEAM2=$(json d.id)
call POST /organization/set-active-team -H "$JSON" -H "$AUTH" -d "{\"teamId\":\"$TEAM2\"}"
expect "team: set-active-team before membership" 403 '{"message":"User is not a member of the team","code":"USER_IS_NOT_A_MEMBER_OF_THE_TEAM"}'
call GET /get-session -H "$AUTH"
TINA=$(json d.user.id)
call POST /organization/add-team-member -H "$JSON" -H "$AUTH" -d "{\"teamId\":\"$TEAM2\",\"userId\":\"$TINA\"}"
[[ $STATUS == 200 ]] && pass || fail "team: add-team-member"
call POST /organization/set-active-team -H "$JSON" -H "$AUTH" -d "{\"teamId\":\"$TEAM2\"}"
expect_header "team: set-active-team set-auth-token" set-auth-token '^[A-Za-z0-9]{32}\.'
call GET /guapocado/customer -H "$AUTH"
expect "team: customer follows set-active-team" 200 "{\"customerId\":\"$TEAM2\"}"

########################################################################
start_server user GUAP_CUSTOMER_SOURCE=user
sign_up uma@example.com Uma
UMA=$(json d.user.id)
call POST /guapocado/customer -H "$JSON" -H "Authorization: Bearer $TOKEN" -d '{}'
expect "user: customer is the user, no organization needed" 200 "{\"customerId\":\"$UMA\",\"customer\":{\"id\":\"$UMA\",\"name\":\"Uma\",\"email\":\"uma@example.com\"}}"
call POST /guapocado/usage/consume -H "$JSON" -H "Authorization: Bearer $TOKEN" -d '{"key":"api-calls","amount":2}'
expect "user: consume" 200 "{\"customerId\":\"$UMA\",\"balance\":98,\"included\":100,\"consumed\":2,\"overage\":0,\"overageAllowed\":false,\"overageEnabled\":false,\"resets\":\"$RESETS\"}"

stop_server
echo "smoke: $PASS passed, $FAIL failed"
[[ $FAIL == 0 ]]
