package main

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	guapocado "github.com/guapocado/guapocado-go"
)

// newClient is a session client for the app at base, with the options
// every command shares: --insecure-http, and the test transport.
func (a *app) newClient(base string, opts ...guapocado.Option) (*guapocado.Client, error) {
	if a.insecureHTTP {
		opts = append(opts, guapocado.WithInsecureHTTP())
	}
	if a.transport != nil {
		opts = append(opts, guapocado.WithHTTPClient(&http.Client{Transport: a.transport}))
	}
	return guapocado.NewClient(base, opts...)
}

// transportOrDefault is the transport of the CLI's own requests (device
// sign-in, doctor).
func (a *app) transportOrDefault() http.RoundTripper {
	if a.transport != nil {
		return a.transport
	}
	return http.DefaultTransport.(*http.Transport).Clone()
}

// refuseCleartext refuses, before any request, to send what (the
// password, a device code, the session token) to base over plain http
// when its host is not loopback, unless --insecure-http says the network
// is trusted. Every command that sends a credential to the app asks it.
func (a *app) refuseCleartext(base, what string) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || a.insecureHTTP || isLoopback(u.Hostname()) {
		return nil
	}
	return failf(exitUsage, "insecure_http", "plain http to %s would send %s in clear text: use https, or pass --insecure-http on a private network you trust", u.Hostname(), what)
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
