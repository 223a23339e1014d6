package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// deviceAnswer is POST /device/code's answer, or /device/token's.
type deviceAnswer struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`

	AccessToken string `json:"access_token"`

	Error       string `json:"error"`
	Description string `json:"error_description"`
	Message     string `json:"message"`
}

// devicePost sends one device-flow request, bounded by --timeout.
func (a *app) devicePost(hc *http.Client, url string, body any) (int, *deviceAnswer, error) {
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(a.parent, a.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil && a.parent.Err() == nil {
			return 0, nil, failf(exitUnavailable, "timeout", "the server did not answer in time (see --timeout)")
		}
		if a.parent.Err() != nil {
			return 0, nil, failf(exitUnavailable, "interrupted", "interrupted")
		}
		return 0, nil, failf(exitUnavailable, "network", "%v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ans deviceAnswer
	if len(bytes.TrimSpace(raw)) > 0 && json.Unmarshal(raw, &ans) != nil {
		return resp.StatusCode, nil, fmt.Errorf("POST %s: %d with a body that is not JSON", req.URL.Path, resp.StatusCode)
	}
	return resp.StatusCode, &ans, nil
}

// deviceLogin runs Better Auth's device authorization flow (RFC 8628):
// it asks for a code, shows the page and the code to approve, and polls
// until the user approved (returning the session token, to be sent as a
// bearer token), denied, or the code expired. Each request is bounded by
// --timeout; the wait by the code's lifetime and Ctrl-C.
func (a *app) deviceLogin(base, clientID string) (string, error) {
	hc := &http.Client{Transport: a.transportOrDefault()}
	defer hc.CloseIdleConnections()
	api := base + "/api/auth"
	status, start, err := a.devicePost(hc, api+"/device/code", map[string]string{"client_id": clientID})
	if err != nil {
		return "", err
	}
	switch {
	case status == http.StatusNotFound:
		return "", failf(exitMisconfigured, "device_flow_unavailable", "%s does not offer device sign-in (Better Auth's deviceAuthorization plugin is not enabled): sign in with: guapocado login --email EMAIL", base)
	case status != http.StatusOK || start.DeviceCode == "" || start.UserCode == "":
		return "", failf(exitFailure, "device_flow_refused", "the server refused to start device sign-in: %d %s", status, start.describe())
	}
	page := start.VerificationURIComplete
	if page == "" {
		page = start.VerificationURI
	}
	fmt.Fprintf(a.stderr, "To sign in, open this page in a browser where you are signed in:\n\n  %s\n\nand approve the code %s. Waiting...\n", page, start.UserCode)

	interval := time.Duration(start.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second
	}
	expires := time.Duration(start.ExpiresIn) * time.Second
	if expires <= 0 {
		expires = 30 * time.Minute
	}
	deadline := time.NewTimer(expires)
	defer deadline.Stop()
	for {
		wait := time.NewTimer(interval)
		select {
		case <-a.parent.Done():
			wait.Stop()
			return "", failf(exitUnavailable, "interrupted", "interrupted")
		case <-deadline.C:
			wait.Stop()
			return "", failf(exitNotSignedIn, "device_code_expired", "the code %s expired before it was approved: run: guapocado login --device", start.UserCode)
		case <-wait.C:
		}
		status, ans, err := a.devicePost(hc, api+"/device/token", map[string]string{
			"grant_type":  "urn:ietf:params:oauth:grant-type:device_code",
			"device_code": start.DeviceCode,
			"client_id":   clientID,
		})
		if err != nil {
			return "", err
		}
		if status == http.StatusOK && ans.AccessToken != "" {
			return ans.AccessToken, nil
		}
		switch ans.Error {
		case "authorization_pending":
		case "slow_down":
			interval += 5 * time.Second
		case "expired_token":
			return "", failf(exitNotSignedIn, "device_code_expired", "the code %s expired before it was approved: run: guapocado login --device", start.UserCode)
		case "access_denied":
			return "", failf(exitNotSignedIn, "device_access_denied", "the sign-in was denied in the browser")
		default:
			return "", failf(exitFailure, "device_flow_refused", "the server refused the device token request: %d %s", status, ans.describe())
		}
	}
}

func (d *deviceAnswer) describe() string {
	switch {
	case d == nil:
		return ""
	case d.Error != "":
		return d.Error + ": " + d.Description
	}
	return d.Message
}
