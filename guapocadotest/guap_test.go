package guapocadotest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// guapSign computes a guapocado-signature header (test-local helper).
func guapSign(secret, jsonObj string, ts int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "." + jsonObj))
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestGuapReceiver(t *testing.T) {
	t.Parallel()
	const secret = "whsec_test"
	srv := guapocadotest.NewServer(guapocadotest.WithWebhookSecret(secret))
	defer srv.Close()
	srv.SetNow(transcriptNow)
	now := transcriptNow.Unix()
	event := `{"type":"subscription.updated","data":{"customerId":"c1","planKey":"pro"}}`
	wrong := guapSign("other-secret", event, now)
	rows := []struct {
		name, body string
		hdr        []string
		status     int
		want       string
	}{
		{"3.29 valid signature", event, []string{"guapocado-signature", guapSign(secret, event, now), "guapocado-endpoint-id", "we_000001"}, 200, `{"received":true}`},
		{"3.30 bad signature", event, []string{"guapocado-signature", "t=" + strconv.FormatInt(now, 10) + ",v1=00ff"}, 401, `{"message":"Invalid webhook signature"}`},
		{"wrong secret", event, []string{"guapocado-signature", wrong}, 401, `{"message":"Invalid webhook signature"}`},
		{"no signature", event, nil, 401, `{"message":"Invalid webhook signature"}`},
		{"299 s old", event, []string{"guapocado-signature", guapSign(secret, event, now-299)}, 200, `{"received":true}`},
		{"301 s old", event, []string{"guapocado-signature", guapSign(secret, event, now-301)}, 401, `{"message":"Invalid webhook signature"}`},
		{"301 s ahead", event, []string{"guapocado-signature", guapSign(secret, event, now+301)}, 401, `{"message":"Invalid webhook signature"}`},
		{"signed over other bytes", `{"type":"subscription.updated","data":{"planKey":"pro","customerId":"c1"}}`,
			[]string{"guapocado-signature", guapSign(secret, event, now)}, 401, `{"message":"Invalid webhook signature"}`},
		{"rotated keys: one v1 matches", event, []string{"guapocado-signature", wrong + ",v1=" + guapSign(secret, event, now)[len("t=1795732075,v1="):]}, 200, `{"received":true}`},
		{"unknown event type accepted", `{"id":"evt_1","type":"brand.new","data":{}}`,
			[]string{"guapocado-signature", guapSign(secret, `{"id":"evt_1","type":"brand.new","data":{}}`, now)}, 200, `{"received":true}`},
		{"3.31 no body", "", []string{"Content-Type", "application/json"}, 400, `{"message":"Missing webhook payload"}`},
		{"no Content-Type: body ignored", event, []string{"Content-Type", "-", "guapocado-signature", guapSign(secret, event, now)}, 400, `{"message":"Missing webhook payload"}`},
		{"JSON null", "null", nil, 400, `{"message":"[body] Expected object, received null","code":"VALIDATION_ERROR"}`},
		{"type not a string", `{"type":5}`, nil, 400, `{"message":"[body.type] Expected string, received number","code":"VALIDATION_ERROR"}`},
	}
	for _, r := range rows {
		expectAnswer(t, r.name, rawDo(t, srv, "POST", "/guap", r.body, r.hdr...), r.status, r.want)
	}
	expectAnswer(t, "GET /guap", rawDo(t, srv, "GET", "/guap", ""), 200,
		`{"enabled":true,"id":"we_000001","status":"pending_approval","url":"`+srv.URL+`/api/auth/guap","events":"*","relay":null}`)
}

func TestGuapDisabled(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithHTTPS())
	defer srv.Close()
	expectAnswer(t, "GET /guap", rawDo(t, srv, "GET", "/guap", ""), 200, `{"enabled":false}`)
	expectAnswer(t, "POST /guap", rawDo(t, srv, "POST", "/guap", `{"type":"x"}`), 404, `{"message":"Webhook disabled"}`)
}
