package api

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/cairn-forge/cairn/forge"
)

// maxTokenLength bounds a presented token; longer ones are refused without a lookup.
const maxTokenLength = 1024

// Credentials finds the token a request presents, from any of the carriers cairn accepts:
// the PRIVATE-TOKEN header, "Authorization: Bearer T" (or "token T"), HTTP Basic with the
// token as password (or as user name when the password is empty), and the private_token or
// access_token query parameters. present is false when the request carries none; err is an
// unauthorized error when it carries something malformed.
func Credentials(r *http.Request) (secret string, present bool, err error) {
	if v := r.Header.Get("Private-Token"); v != "" {
		return checkToken(v)
	}
	if v := r.Header.Get("Authorization"); v != "" {
		return parseAuthorization(v)
	}
	q := r.URL.Query()
	for _, k := range []string{"private_token", "access_token"} {
		if v := q.Get(k); v != "" {
			return checkToken(v)
		}
	}
	return "", false, nil
}

// parseAuthorization reads an Authorization header value.
func parseAuthorization(v string) (string, bool, error) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "bearer", "token":
		return checkToken(rest)
	case "basic":
		if len(rest) > 4*maxTokenLength {
			return "", true, forge.Unauthorized("")
		}
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", true, forge.Unauthorized("")
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return "", true, forge.Unauthorized("")
		}
		if pass == "" {
			pass = user
		}
		return checkToken(pass)
	}
	return "", true, forge.Unauthorized("")
}

func checkToken(t string) (string, bool, error) {
	t = strings.TrimSpace(t)
	if t == "" || len(t) > maxTokenLength {
		return "", true, forge.Unauthorized("")
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x21 || t[i] > 0x7e {
			return "", true, forge.Unauthorized("")
		}
	}
	return t, true, nil
}
