package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cairn-forge/cairn/forge"
)

func TestCredentialsFromEveryCarrier(t *testing.T) {
	basic := func(user, pass string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(user, pass)
		return r.Header.Get("Authorization")
	}
	tests := []struct {
		name    string
		header  [2]string
		query   string
		want    string
		present bool
		bad     bool
	}{
		{name: "none"},
		{name: "private token header", header: [2]string{"PRIVATE-TOKEN", "abc"}, want: "abc", present: true},
		{name: "bearer", header: [2]string{"Authorization", "Bearer abc"}, want: "abc", present: true},
		{name: "token scheme", header: [2]string{"Authorization", "token abc"}, want: "abc", present: true},
		{name: "basic with token as password", header: [2]string{"Authorization", basic("oauth2", "abc")},
			want: "abc", present: true},
		{name: "basic with token as user", header: [2]string{"Authorization", basic("abc", "")}, want: "abc",
			present: true},
		{name: "private_token query", query: "private_token=abc", want: "abc", present: true},
		{name: "access_token query", query: "access_token=abc", want: "abc", present: true},
		{name: "unknown scheme", header: [2]string{"Authorization", "Digest x"}, present: true, bad: true},
		{name: "basic not base64", header: [2]string{"Authorization", "Basic !!!"}, present: true, bad: true},
		{name: "basic without colon", header: [2]string{"Authorization", "Basic YWJj"}, present: true, bad: true},
		{name: "control characters", header: [2]string{"PRIVATE-TOKEN", "a\x01b"}, present: true, bad: true},
		{name: "empty bearer", header: [2]string{"Authorization", "Bearer "}, present: true, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/?"+tt.query, nil)
			if tt.header[0] != "" {
				r.Header.Set(tt.header[0], tt.header[1])
			}
			got, present, err := Credentials(r)
			if present != tt.present || (err != nil) != tt.bad || got != tt.want {
				t.Fatalf("Credentials = %q, %v, %v; want %q, %v, bad=%v", got, present, err, tt.want,
					tt.present, tt.bad)
			}
		})
	}
}

func FuzzCredentials(f *testing.F) {
	for _, s := range []string{"Bearer abc", "Basic b2F1dGgyOmFiYw==", "Basic !!", "token x", "", "Bearer",
		"BASIC Og=="} {
		f.Add(s, "", "")
	}
	f.Add("", "cairn_pat_abc", "private_token=x&access_token=y")
	f.Fuzz(func(t *testing.T, authorization, privateToken, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		r.Header.Set("Authorization", authorization)
		r.Header.Set("Private-Token", privateToken)
		secret, present, err := Credentials(r)
		if err != nil {
			if !present || forge.ErrorCode(err) != forge.EUnauthorized {
				t.Fatalf("malformed credentials must be present and unauthorized: %v, %v", present, err)
			}
			return
		}
		if present && (secret == "" || len(secret) > maxTokenLength) {
			t.Fatalf("accepted token %q", secret)
		}
		for i := 0; i < len(secret); i++ {
			if secret[i] < 0x21 || secret[i] > 0x7e {
				t.Fatalf("accepted token with byte %#x", secret[i])
			}
		}
	})
}

func FuzzParsePage(f *testing.F) {
	for _, q := range []string{"", "page=2&per_page=3", "per_page=1000", "page=-1", "page=abc",
		"page=99999999999999999999", "per_page=0"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		for _, parse := range []func(*http.Request) (forge.Page, error){ParsePage, ParsePageStrictly} {
			pg, err := parse(r)
			if err != nil {
				if forge.ErrorCode(err) != forge.EInvalid {
					t.Fatalf("error is not invalid: %v", err)
				}
				continue
			}
			if pg.Page < 1 || pg.Page > maxPage || pg.PerPage < 1 || pg.PerPage > MaxPerPage {
				t.Fatalf("page out of range: %+v", pg)
			}
		}
		// The strict form accepts only what the lenient one reads alike.
		if strict, err := ParsePageStrictly(r); err == nil {
			if lenient, _ := ParsePage(r); lenient != strict {
				t.Fatalf("strict %+v, lenient %+v", strict, lenient)
			}
		}
	})
}

func FuzzReadInput(f *testing.F) {
	f.Add("application/json", `{"name":"x","scopes":["api"],"n":1,"b":true,"z":null}`, "name")
	f.Add("application/x-www-form-urlencoded", "name=x&scopes[]=api&scopes[]=read_api", "scopes")
	f.Add("", "name=x", "name")
	f.Add("application/json", `{"a":`, "a")
	f.Fuzz(func(t *testing.T, ctype, body, key string) {
		r := httptest.NewRequest("POST", "/?"+url.Values{key: {"q"}}.Encode(), bytes.NewBufferString(body))
		r.Header.Set("Content-Type", ctype)
		in, err := ReadInput(r)
		if err != nil {
			if forge.ErrorCode(err) != forge.EInvalid {
				t.Fatalf("error is not invalid: %v", err)
			}
			return
		}
		in.String(key)
		in.Strings(key)
		if _, _, err := in.Bool(key); err != nil && forge.ErrorCode(err) != forge.EInvalid {
			t.Fatal(err)
		}
		if _, _, err := in.Int(key); err != nil && forge.ErrorCode(err) != forge.EInvalid {
			t.Fatal(err)
		}
		if _, err := in.Date(key); err != nil && forge.ErrorCode(err) != forge.EInvalid {
			t.Fatal(err)
		}
		// The strict readers accept a subset of what the lenient ones do, read alike.
		if v, err := in.StrictString(key); err != nil && forge.ErrorCode(err) != forge.EInvalid {
			t.Fatal(err)
		} else if lenient := in.StringPtr(key); v != nil && (lenient == nil || *lenient != *v) {
			t.Fatalf("StrictString %q, String %v", *v, lenient)
		}
		if v, err := in.StrictBool(key); err != nil && forge.ErrorCode(err) != forge.EInvalid {
			t.Fatal(err)
		} else if lenient, _ := in.BoolPtr(key); v != nil && (lenient == nil || *lenient != *v) {
			t.Fatalf("StrictBool %v, Bool %v", *v, lenient)
		}
	})
}

// FuzzMalformedJSONText holds the scan for text that cannot be stored against what
// encoding/json decodes: every NUL it decodes, and every invalid byte or lone surrogate it
// would turn into U+FFFD, is found and named, and nothing else is.
func FuzzMalformedJSONText(f *testing.F) {
	for _, s := range []string{`{"title":"ok"}`, `{"a":"\u0000"}`, `{"a":["x",{"b":"\ud800"}]}`, "{\"a\":\"\xff\"}",
		`{"a":"\ud83d\ude80"}`, `{"a\u0000":1}`, `["\udc00"]`, `{"a":"\\u0000"}`,
		`{"n":1.5e3,"t":true,"z":null}`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		field, reason := malformedJSONText(data)
		nul, replaced := false, false
		var walk func(any)
		walk = func(x any) {
			switch x := x.(type) {
			case string:
				nul = nul || strings.IndexByte(x, 0) >= 0
				replaced = replaced || strings.ContainsRune(x, utf8.RuneError)
			case []any:
				for _, e := range x {
					walk(e)
				}
			case map[string]any:
				for k, e := range x {
					walk(k)
					walk(e)
				}
			}
		}
		walk(v)
		switch {
		case reason == "" && (nul || !utf8.Valid(data)):
			t.Fatalf("%q: nothing found, but it decodes to a NUL (%v) or holds bytes that are not UTF-8", data, nul)
		case reason == forge.ReasonNullByte && !nul:
			t.Fatalf("%q: a NUL found in %q, but none decodes", data, field)
		case reason == forge.ReasonInvalidUTF8 && !replaced:
			t.Fatalf("%q: bad UTF-8 found in %q, but nothing decodes to U+FFFD", data, field)
		case reason != "" && field == "":
			t.Fatalf("%q: %s found in no field", data, reason)
		}
	})
}
