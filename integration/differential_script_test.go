//go:build integration

package integration

import (
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// The exchanges of the differential test, per configuration.

func post(name, path, body string) step {
	return step{name: name, method: "POST", path: path, body: body}
}
func get(name, path string) step { return step{name: name, method: "GET", path: path} }

func (s step) by(session string) step        { s.bearer = session; return s }
func (s step) viaCookie(session string) step { s.cookie = session; return s }
func (s step) saving(f func(*target, *answer)) step {
	s.save = f
	return s
}
func (s step) times(n int) step { s.repeat = n; return s }
func (s step) after(d time.Duration) step {
	s.wait = d
	return s
}
func (s step) with(kv ...string) step {
	h := map[string]string{}
	for k, v := range s.hdr {
		h[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	s.hdr = h
	return s
}

const (
	pw      = "password1234"
	urlsOK  = `"successUrl":"https://app.example/ok","cancelUrl":"https://app.example/cancel"`
	aliceIn = `{"email":"alice@example.com","password":"` + pw + `"}`
)

func signUpStep(name, email string) step {
	return post("sign-up "+name, "/sign-up/email", `{"email":"`+email+`","password":"`+pw+`","name":"`+name+`"}`).saving(saveSession(name))
}

func diffConfigs() []diffConfig {
	return []diffConfig{
		{name: "default", steps: defaultSteps()},
		{name: "production", env: map[string]string{"NODE_ENV": "production"},
			opts: []guapocadotest.Option{guapocadotest.WithRateLimit(100, 10*time.Second)}, steps: productionSteps()},
		{name: "https", env: map[string]string{"BA_BASE_URL_SCHEME": "https"},
			opts: []guapocadotest.Option{guapocadotest.WithHTTPS()}, steps: httpsSteps()},
		{name: "cors", env: map[string]string{"BA_CORS_ORIGINS": pageOrigin},
			opts: []guapocadotest.Option{guapocadotest.WithCORS(pageOrigin), guapocadotest.WithTrustedOrigins(pageOrigin)}, steps: corsSteps()},
		{name: "team", env: map[string]string{"GUAP_CUSTOMER_SOURCE": "team"},
			opts: []guapocadotest.Option{guapocadotest.WithCustomerSource("team")}, steps: teamSteps()},
		{name: "webhook", env: map[string]string{"GUAP_WEBHOOK_SECRET": diffWebhookSecret},
			opts: []guapocadotest.Option{guapocadotest.WithWebhookSecret(diffWebhookSecret)}, steps: webhookSteps()},
		{name: "device", opts: []guapocadotest.Option{guapocadotest.WithDeviceTiming(time.Second, 30*time.Minute)}, steps: deviceSteps()},
	}
}

// defaultSteps: sign-up, sign-in both ways, organizations and teams, every
// billing action and its errors, sign-out and dead sessions.
func defaultSteps() []step {
	return []step{
		// sign-up and sign-in
		signUpStep("alice", "alice@example.com"),
		post("sign-up taken", "/sign-up/email", `{"email":"alice@example.com","password":"`+pw+`","name":"A"}`),
		post("sign-up invalid email", "/sign-up/email", `{"email":"nope","password":"`+pw+`","name":"N"}`),
		post("sign-up short password", "/sign-up/email", `{"email":"short@example.com","password":"short","name":"S"}`),
		post("sign-up no name", "/sign-up/email", `{"email":"noname@example.com","password":"`+pw+`"}`),
		signUpStep("bob", "bob@example.com"),
		post("sign-in wrong password", "/sign-in/email", `{"email":"alice@example.com","password":"wrong-password"}`),
		post("sign-in unknown user", "/sign-in/email", `{"email":"nobody@example.com","password":"`+pw+`"}`),
		post("sign-in invalid email", "/sign-in/email", `{"email":"nope","password":"`+pw+`"}`),
		post("sign-in", "/sign-in/email", aliceIn).saving(saveSession("alice2")),
		post("sign-in not remembered", "/sign-in/email", `{"email":"alice@example.com","password":"`+pw+`","rememberMe":false}`).saving(saveSession("alice3")),
		post("has not remembered, no organization", "/guapocado/has", `{"key":"csv-export"}`).by("alice3"),
		post("sign-in with callbackURL", "/sign-in/email", `{"email":"alice@example.com","password":"`+pw+`","callbackURL":"/dashboard"}`),
		post("sign-in untrusted callbackURL", "/sign-in/email", `{"email":"alice@example.com","password":"`+pw+`","callbackURL":"https://evil.example/x"}`),
		post("sign-in untrusted Origin", "/sign-in/email", aliceIn).with("Origin", "https://evil.example"),
		post("sign-in trusted Origin", "/sign-in/email", aliceIn).with("Origin", "{{base}}"),
		get("get-session bearer", "/get-session").by("alice"),
		get("get-session cookie", "/get-session").viaCookie("alice"),
		get("get-session not remembered", "/get-session").by("alice3"),
		get("get-session none", "/get-session"),

		// no organization yet
		post("has without organization", "/guapocado/has", `{"key":"csv-export"}`).by("alice"),
		get("customer without organization", "/guapocado/customer").by("alice"),
		get("plans without organization", "/guapocado/plans").by("alice"),

		// organizations and teams
		post("organization/create", "/organization/create", `{"name":"Acme","slug":"acme"}`).by("alice").saving(saveField("org:acme", "id")),
		post("organization/create taken slug", "/organization/create", `{"name":"Acme","slug":"acme"}`).by("alice"),
		post("organization/create keep active", "/organization/create", `{"name":"Beta","slug":"beta","keepCurrentActiveOrganization":true}`).by("alice").saving(saveField("org:beta", "id")),
		get("get-session after create", "/get-session").by("alice").saving(saveField("team:acme", "session.activeTeamId")),
		get("organization/list", "/organization/list").by("alice"),
		get("organization/list-teams", "/organization/list-teams").by("alice"),
		post("organization/create-team", "/organization/create-team", `{"name":"Eng"}`).by("alice").saving(saveField("team:eng", "id")),
		post("set-active-team not a member", "/organization/set-active-team", `{"teamId":"{{team:eng}}"}`).by("alice"),
		post("add-team-member", "/organization/add-team-member", `{"teamId":"{{team:eng}}","userId":"{{user:alice}}"}`).by("alice"),
		post("set-active-team", "/organization/set-active-team", `{"teamId":"{{team:eng}}"}`).by("alice"),
		post("set-active-team unknown", "/organization/set-active-team", `{"teamId":"nope"}`).by("alice"),
		post("set-active beta by cookie", "/organization/set-active", `{"organizationId":"{{org:beta}}"}`).viaCookie("alice"),
		post("set-active by slug", "/organization/set-active", `{"organizationSlug":"acme"}`).by("alice"),
		post("set-active unknown slug", "/organization/set-active", `{"organizationSlug":"nope"}`).by("alice"),
		post("set-active null", "/organization/set-active", `{"organizationId":null}`).by("alice"),
		get("get-session after set-active null", "/get-session").by("alice"),
		post("set-active-team null", "/organization/set-active-team", `{"teamId":null}`).by("alice"),
		post("has after clearing both", "/guapocado/has", `{"key":"csv-export"}`).by("alice"),
		post("set-active acme", "/organization/set-active", `{"organizationId":"{{org:acme}}"}`).by("alice"),
		post("set-active not a member", "/organization/set-active", `{"organizationId":"{{org:acme}}"}`).by("bob"),
		post("create-team other organization", "/organization/create-team", `{"name":"X","organizationId":"{{org:acme}}"}`).by("bob"),

		// Origin, Content-Type and body checks
		post("cookie without Origin", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("alice").with("Origin", ""),
		post("cookie with untrusted Origin", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("alice").with("Origin", "https://evil.example"),
		post("cookie with Referer", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("alice").with("Origin", "", "Referer", "{{base}}/page"),
		post("cookie with null Origin", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("alice").with("Origin", "null"),
		post("text/plain", "/guapocado/has", `{"key":"csv-export"}`).by("alice").with("Content-Type", "text/plain"),
		post("invalid JSON", "/guapocado/has", `{"key":`).by("alice"),
		post("no body", "/guapocado/has", "").by("alice"),
		post("array body", "/guapocado/has", `[]`).by("alice"),
		get("unknown path", "/guapocado/nope").by("alice"),
		get("wrong method", "/guapocado/has").by("alice"),
		post("trailing slash", "/guapocado/has/", `{"key":"csv-export"}`).by("alice"),

		// billing
		get("customer", "/guapocado/customer").by("alice"),
		post("customer sync", "/guapocado/customer", `{}`).by("alice"),
		post("context", "/guapocado/context", `{"features":["csv-export","advanced-analytics","seats","nope"],"usage":["api-calls","ai-credits","nope"],"limits":["seats","projects"],"includePlans":false}`).by("alice"),
		post("context defaults", "/guapocado/context", `{}`).by("alice"),
		post("context debug", "/guapocado/context", `{"includePlans":false,"includeSubscription":false,"debug":true}`).by("alice"),
		post("context usage of a limit", "/guapocado/context", `{"usage":["seats"]}`).by("alice"),
		post("context limits of a meter", "/guapocado/context", `{"limits":["api-calls"]}`).by("alice"),
		post("context invalid lists", "/guapocado/context", `{"features":"csv-export","usage":[""],"limits":[1]}`).by("alice"),
		post("has feature", "/guapocado/has", `{"key":"csv-export"}`).by("alice"),
		post("has feature off", "/guapocado/has", `{"key":"advanced-analytics"}`).by("alice"),
		post("has meter", "/guapocado/has", `{"key":"api-calls"}`).by("alice"),
		post("has limit", "/guapocado/has", `{"key":"seats"}`).by("alice"),
		post("has unknown", "/guapocado/has", `{"key":"nope"}`).by("alice"),
		post("has blank key", "/guapocado/has", `{"key":"  "}`).by("alice"),
		post("has empty key", "/guapocado/has", `{"key":""}`).by("alice"),
		post("has no key", "/guapocado/has", `{}`).by("alice"),
		post("has other customer", "/guapocado/has", `{"key":"csv-export","customerId":"cus_other"}`).by("alice"),
		post("limit", "/guapocado/limit", `{"key":"seats"}`).by("alice"),
		post("limit of a meter", "/guapocado/limit", `{"key":"api-calls"}`).by("alice"),
		post("limit unknown", "/guapocado/limit", `{"key":"nope"}`).by("alice"),
		post("limit/settings purchase on free", "/guapocado/limit/settings", `{"key":"seats","purchased":2}`).by("alice"),
		post("limit/settings auto on free", "/guapocado/limit/settings", `{"key":"seats","autoExpansionEnabled":true}`).by("alice"),
		post("limit/settings auto off", "/guapocado/limit/settings", `{"key":"seats","autoExpansionEnabled":false}`).by("alice"),
		post("limit/settings negative", "/guapocado/limit/settings", `{"key":"seats","purchased":-1}`).by("alice"),
		post("limit/settings of a meter", "/guapocado/limit/settings", `{"key":"ai-credits","purchased":0}`).by("alice"),
		post("usage/balance", "/guapocado/usage/balance", `{"key":"api-calls"}`).by("alice"),
		post("usage/balance never resets", "/guapocado/usage/balance", `{"key":"ai-credits"}`).by("alice"),
		post("usage/balance of a limit", "/guapocado/usage/balance", `{"key":"seats"}`).by("alice"),
		post("usage/balance of a feature", "/guapocado/usage/balance", `{"key":"csv-export"}`).by("alice"),
		post("consume", "/guapocado/usage/consume", `{"key":"api-calls","amount":5}`).by("alice"),
		post("consume default amount", "/guapocado/usage/consume", `{"key":"api-calls"}`).by("alice"),
		post("consume by cookie", "/guapocado/usage/consume", `{"key":"api-calls","amount":2}`).viaCookie("alice"),
		post("consume zero", "/guapocado/usage/consume", `{"key":"api-calls","amount":0}`).by("alice"),
		post("consume fraction", "/guapocado/usage/consume", `{"key":"api-calls","amount":1.5}`).by("alice"),
		post("consume string amount", "/guapocado/usage/consume", `{"key":"api-calls","amount":"2"}`).by("alice"),
		post("consume beyond balance", "/guapocado/usage/consume", `{"key":"ai-credits","amount":11}`).by("alice"),
		post("consume all", "/guapocado/usage/consume", `{"key":"ai-credits","amount":10}`).by("alice"),
		post("has empty meter", "/guapocado/has", `{"key":"ai-credits"}`).by("alice"),
		post("consume a limit", "/guapocado/usage/consume", `{"key":"seats"}`).by("alice"),
		post("consume unknown", "/guapocado/usage/consume", `{"key":"nope"}`).by("alice"),
		post("refund", "/guapocado/usage/refund", `{"key":"api-calls","amount":2}`).by("alice"),
		post("refund more than consumed", "/guapocado/usage/refund", `{"key":"api-calls","amount":500}`).by("alice"),
		post("refund a limit", "/guapocado/usage/refund", `{"key":"projects"}`).by("alice"),
		post("usage/settings", "/guapocado/usage/settings", `{"key":"api-calls","overageEnabled":true}`).by("alice"),
		post("usage/settings missing flag", "/guapocado/usage/settings", `{"key":"api-calls"}`).by("alice"),
		post("usage/settings of a limit", "/guapocado/usage/settings", `{"key":"seats","overageEnabled":true}`).by("alice"),
		post("consume past included, overage not allowed", "/guapocado/usage/consume", `{"key":"api-calls","amount":100}`).by("alice"),
		get("plans", "/guapocado/plans").by("alice"),
		post("subscription none", "/guapocado/subscription", `{}`).by("alice"),
		post("subscription/change pro", "/guapocado/subscription/change", `{"planKey":"pro"}`).by("alice"),
		post("subscription/change pro again", "/guapocado/subscription/change", `{"planKey":"pro"}`).by("alice"),
		post("subscription/change enterprise", "/guapocado/subscription/change", `{"planKey":"enterprise"}`).by("alice"),
		post("subscription/change one-time", "/guapocado/subscription/change", `{"planKey":"credits-pack"}`).by("alice"),
		post("subscription/change unknown", "/guapocado/subscription/change", `{"planKey":"nope"}`).by("alice"),
		post("subscription/change no plan", "/guapocado/subscription/change", `{}`).by("alice"),
		post("subscription", "/guapocado/subscription", `{}`).by("alice"),
		post("limit/settings purchase on pro", "/guapocado/limit/settings", `{"key":"seats","purchased":2,"autoExpansionEnabled":true}`).by("alice"),
		post("limit/settings projects on pro", "/guapocado/limit/settings", `{"key":"projects","autoExpansionEnabled":true}`).by("alice"),
		post("usage/settings overage on pro", "/guapocado/usage/settings", `{"key":"api-calls","overageEnabled":true}`).by("alice"),
		post("consume into overage", "/guapocado/usage/consume", `{"key":"api-calls","amount":10000}`).by("alice"),
		post("has meter in overage", "/guapocado/has", `{"key":"api-calls"}`).by("alice"),
		post("checkout", "/guapocado/checkout", `{"productKey":"credits-pack",`+urlsOK+`}`).by("alice"),
		post("checkout planKey", "/guapocado/checkout", `{"planKey":"pro",`+urlsOK+`}`).by("alice"),
		post("checkout custom pricing", "/guapocado/checkout", `{"productKey":"enterprise",`+urlsOK+`}`).by("alice"),
		post("checkout unknown", "/guapocado/checkout", `{"productKey":"nope",`+urlsOK+`}`).by("alice"),
		post("checkout relative URL", "/guapocado/checkout", `{"productKey":"pro","successUrl":"/ok","cancelUrl":"https://app.example/c"}`).by("alice"),
		post("checkout no product", "/guapocado/checkout", `{`+urlsOK+`}`).by("alice"),
		post("checkout no cancelUrl", "/guapocado/checkout", `{"productKey":"pro","successUrl":"https://app.example/ok"}`).by("alice"),
		post("has without organization, bob", "/guapocado/has", `{"key":"csv-export"}`).by("bob"),

		// the webhook receiver without a secret
		get("guap status disabled", "/guap"),

		// sign-out and dead sessions
		post("sign-out", "/sign-out", "").by("alice2"),
		get("get-session signed out", "/get-session").by("alice2"),
		post("has signed out", "/guapocado/has", `{"key":"csv-export"}`).by("alice2"),
		post("organization/create signed out", "/organization/create", `{"name":"Z","slug":"z"}`).by("alice2"),
		post("sign-out again", "/sign-out", "").by("alice2"),
		post("sign-out without session", "/sign-out", ""),
		post("sign-out by cookie", "/sign-out", "{}").viaCookie("alice3"),
		get("get-session dead cookie", "/get-session").viaCookie("alice3"),
		post("has unknown bearer", "/guapocado/has", `{"key":"csv-export"}`).with("Authorization", "Bearer unknownunknownunknownunknown1234"),
		post("has badly signed bearer", "/guapocado/has", `{"key":"csv-export"}`).with("Authorization", "Bearer abc.def"),
		get("get-session badly signed cookie", "/get-session").with("Cookie", "better-auth.session_token=abc.def"),
		post("has no credentials", "/guapocado/has", `{"key":"csv-export"}`),
		post("organization/create no credentials", "/organization/create", `{"name":"Z","slug":"z"}`),
		post("create-team no credentials", "/organization/create-team", `{"name":"Z"}`),
		get("list-teams no credentials", "/organization/list-teams"),
		get("plans no credentials", "/guapocado/plans"),
	}
}

// productionSteps: NODE_ENV=production turns the rate limiter on (100 per
// 10 s per client address and path, 3 per 10 s on sign-in and sign-up).
func productionSteps() []step {
	xff := func(s step, ip string) step { return s.with("X-Forwarded-For", ip) }
	wrong := `{"email":"pat@example.com","password":"wrong-password"}`
	return []step{
		xff(signUpStep("pat", "pat@example.com"), "203.0.113.1"),
		get("session ipAddress", "/get-session").by("pat"),
		xff(post("sign-in wrong x3", "/sign-in/email", wrong), "203.0.113.2").times(3),
		xff(post("sign-in 4th", "/sign-in/email", wrong), "203.0.113.2"),
		xff(post("sign-in other address", "/sign-in/email", wrong), "203.0.113.3"),
		xff(post("sign-in IPv4-mapped address", "/sign-in/email", wrong), "::ffff:203.0.113.2"),
		xff(post("sign-in address list", "/sign-in/email", wrong), "203.0.113.4, 10.0.0.1").times(3),
		xff(post("sign-in address list 4th", "/sign-in/email", wrong), "203.0.113.5, 10.0.0.2"),
		xff(post("sign-up x3", "/sign-up/email", `{"email":"nope","password":"`+pw+`","name":"N"}`), "203.0.113.6").times(3),
		xff(post("sign-up 4th", "/sign-up/email", `{"email":"nope","password":"`+pw+`","name":"N"}`), "203.0.113.6"),
		xff(post("sign-in other address after", "/sign-in/email", `{"email":"pat@example.com","password":"`+pw+`"}`), "203.0.113.7").saving(saveSession("pat2")),
		xff(get("session ipAddress IPv6", "/get-session").by("pat2"), "2001:db8::1"),
		post("organization/create", "/organization/create", `{"name":"Pat","slug":"pat"}`).by("pat"),
		xff(post("has x100", "/guapocado/has", `{"key":"csv-export"}`).by("pat"), "203.0.113.8").times(100),
		xff(post("has 101st", "/guapocado/has", `{"key":"csv-export"}`).by("pat"), "203.0.113.8"),
		xff(post("has other address", "/guapocado/has", `{"key":"csv-export"}`).by("pat"), "203.0.113.9"),
		xff(post("consume other path", "/guapocado/usage/consume", `{"key":"api-calls"}`).by("pat"), "203.0.113.8"),
		xff(get("unknown path limited", "/guapocado/nope"), "203.0.113.8"),
	}
}

// httpsSteps: Better Auth's baseURL is https://, the listener plain HTTP
// (a TLS proxy in front): __Secure- cookies and the https Origin.
func httpsSteps() []step {
	return []step{
		signUpStep("sam", "sam@example.com"),
		post("sign-in not remembered", "/sign-in/email", `{"email":"sam@example.com","password":"`+pw+`","rememberMe":false}`).saving(saveSession("sam2")),
		post("organization/create by cookie", "/organization/create", `{"name":"Sam","slug":"sam"}`).viaCookie("sam"),
		get("get-session by cookie", "/get-session").viaCookie("sam"),
		post("has by cookie", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("sam"),
		post("has by cookie, http Origin", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("sam").with("Origin", "{{app}}"),
		post("has unprefixed cookie", "/guapocado/has", `{"key":"csv-export"}`).with("Cookie", "better-auth.session_token=x", "Origin", "{{base}}"),
		post("set-active by cookie", "/organization/set-active", `{"organizationSlug":"sam"}`).viaCookie("sam"),
		post("sign-in https callbackURL", "/sign-in/email", `{"email":"sam@example.com","password":"`+pw+`","callbackURL":"{{base}}/home"}`),
		post("sign-out by cookie", "/sign-out", "{}").viaCookie("sam"),
		get("get-session signed out", "/get-session").viaCookie("sam"),
		post("has signed out", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("sam"),
		post("sign-out not remembered", "/sign-out", "").by("sam2"),
	}
}

// corsSteps: a front end on another origin (pageOrigin), trusted and
// answered with CORS headers; another origin gets neither.
func corsSteps() []step {
	page := func(s step) step { return s.with("Origin", pageOrigin) }
	return []step{
		page(signUpStep("cora", "cora@example.com")),
		page(post("organization/create", "/organization/create", `{"name":"Cora","slug":"cora"}`).by("cora")),
		page(step{name: "preflight", method: "OPTIONS", path: "/guapocado/has"}.with("Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")),
		step{name: "preflight other origin", method: "OPTIONS", path: "/guapocado/has"}.with("Origin", "https://other.example", "Access-Control-Request-Method", "POST"),
		step{name: "OPTIONS without request method", method: "OPTIONS", path: "/guapocado/has"}.with("Origin", pageOrigin),
		post("has by cookie from the page", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("cora").with("Origin", pageOrigin),
		post("has by cookie from another origin", "/guapocado/has", `{"key":"csv-export"}`).viaCookie("cora").with("Origin", "https://other.example"),
		page(get("get-session from the page", "/get-session").by("cora")),
		page(post("sign-in from the page", "/sign-in/email", `{"email":"cora@example.com","password":"`+pw+`"}`)),
		page(post("sign-in wrong password from the page", "/sign-in/email", `{"email":"cora@example.com","password":"wrong-password"}`)),
		post("sign-in from another origin", "/sign-in/email", `{"email":"cora@example.com","password":"`+pw+`"}`).with("Origin", "https://other.example"),
		get("get-session no Origin", "/get-session").by("cora"),
		page(get("unknown path from the page", "/guapocado/nope")),
	}
}

// teamSteps: the team is the customer.
func teamSteps() []step {
	return []step{
		signUpStep("tia", "tia@example.com"),
		post("has without team", "/guapocado/has", `{"key":"csv-export"}`).by("tia"),
		post("organization/create", "/organization/create", `{"name":"Tia","slug":"tia"}`).by("tia"),
		get("customer", "/guapocado/customer").by("tia"),
		post("consume", "/guapocado/usage/consume", `{"key":"api-calls","amount":3}`).by("tia"),
		post("set-active null", "/organization/set-active", `{"organizationId":null}`).by("tia"),
		post("balance after set-active null", "/guapocado/usage/balance", `{"key":"api-calls"}`).by("tia"),
		post("set-active-team null", "/organization/set-active-team", `{"teamId":null}`).by("tia"),
		post("balance without team", "/guapocado/usage/balance", `{"key":"api-calls"}`).by("tia"),
		get("customer without team", "/guapocado/customer").by("tia"),
	}
}

// webhookSteps: the receiver with a signing secret.
func webhookSteps() []step {
	event := `{"id":"evt_000001","type":"usage.updated","createdAt":"2026-12-01T00:00:00.000Z","data":{"customerId":"cus_1"}}`
	return []step{
		get("guap status", "/guap"),
		get("guap status again", "/guap"),
		post("guap signed", "/guap", event).with("guapocado-signature", signWebhook(diffWebhookSecret, event)),
		post("guap wrong secret", "/guap", event).with("guapocado-signature", signWebhook("whsec_other", event)),
		post("guap no signature", "/guap", event),
		post("guap stale", "/guap", event).with("guapocado-signature", "t=1000000000,v1=00"),
		post("guap empty body", "/guap", "").with("Content-Type", "application/json"),
		post("guap not JSON", "/guap", "not json").with("guapocado-signature", signWebhook(diffWebhookSecret, "not json")),
	}
}

// deviceSteps: the device authorization flow (RFC 8628), polling interval 1 s.
func deviceSteps() []step {
	token := func(name string) step {
		return post(name, "/device/token", `{"grant_type":"urn:ietf:params:oauth:grant-type:device_code","device_code":"{{device}}","client_id":"cli"}`)
	}
	return []step{
		signUpStep("dee", "dee@example.com"),
		post("device/code", "/device/code", `{"client_id":"cli","scope":"openid"}`).saving(saveAll(
			saveField("device", "device_code"), saveField("usercode", "user_code"))),
		post("device/code no client", "/device/code", `{}`),
		token("token pending"),
		token("token too fast"),
		get("verify unknown code", "/device?user_code=NOPE1234").by("dee"),
		get("verify", "/device?user_code={{usercode}}").by("dee"),
		get("verify without session", "/device?user_code={{usercode}}"),
		post("approve", "/device/approve", `{"userCode":"{{usercode}}"}`).by("dee"),
		token("token approved").after(1100 * time.Millisecond).saving(saveField("access", "access_token")),
		token("token used again"),
		get("get-session with the access token", "/get-session").with("Authorization", "Bearer {{access}}"),
		post("token wrong grant type", "/device/token", `{"grant_type":"password","device_code":"x","client_id":"cli"}`),
		post("token unknown device code", "/device/token", `{"grant_type":"urn:ietf:params:oauth:grant-type:device_code","device_code":"nope","client_id":"cli"}`),
		post("approve unknown code", "/device/approve", `{"userCode":"NOPE1234"}`).by("dee"),
		post("deny without session", "/device/deny", `{"userCode":"{{usercode}}"}`),
	}
}
