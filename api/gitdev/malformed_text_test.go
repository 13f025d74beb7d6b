package gitdev_test

import (
	"testing"
)

func TestMalformedTextIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := "/v1/repositories/" + f.frontendID + "/deployments"
	tests := []struct {
		name, ctype, body, message string
	}{
		{"a NUL in JSON", "application/json", `{"ref": "main", "environment": "prod\u0000"}`,
			"environment cannot contain null bytes"},
		{"a byte that is not UTF-8 in JSON", "application/json",
			"{\"ref\": \"main\", \"description\": \"\xff\"}", "description must be valid UTF-8"},
		{"a NUL in a form", "application/x-www-form-urlencoded", "ref=main&environment=a%00b",
			"environment cannot contain null bytes"},
		{"a NUL in a variable", "application/json", `{"ref": "main", "variables": {"KEY": "a\u0000"}}`,
			"variables[KEY] cannot contain null bytes"},
		{"a ref git would refuse", "application/json", `{"ref": "a..b"}`, "ref is not a valid git reference name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.s.Do(t, "POST", path, "", []byte(tt.body), "Authorization", "Bearer "+f.alice,
				"Content-Type", tt.ctype)
			var e struct {
				Error struct{ Code, Message, RequestID string } `json:"error"`
			}
			r.JSON(t, &e)
			wantCode := "invalid_parameter"
			if tt.message == "ref is not a valid git reference name" {
				wantCode = "invalid_ref"
			}
			if r.StatusCode != 400 || e.Error.Code != wantCode || e.Error.Message != tt.message {
				t.Fatalf("%d %s, want 400 %s %q", r.StatusCode, r.Body, wantCode, tt.message)
			}
		})
	}
	var list struct{ Data []any }
	f.s.Do(t, "GET", path, "", nil, "Authorization", "Bearer "+f.alice).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("refused deployments were recorded: %+v", list.Data)
	}
}
