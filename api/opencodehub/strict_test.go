package opencodehub_test

import (
	"testing"

	"github.com/cairn-forge/cairn/server/servertest"
)

// The seed types its fields: a value of the wrong type is refused with 400 naming the field,
// not converted ({"name": 42} used to make a repository named "42"), and nothing is written.
func TestValuesOfTheWrongTypeAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	ok[repoJSON](t, call(t, s, "POST", "/api/repos", token, `{"name": "x", "auto_init": true}`), 201)
	tests := []struct {
		name, path, body, field string
	}{
		{"a number for a name", "/api/repos", `{"name": 42}`, "name"},
		{"a boolean for a description", "/api/repos", `{"name": "y", "description": true}`, "description"},
		{"a string for auto_init", "/api/repos", `{"name": "y", "auto_init": "yes"}`, "auto_init"},
		{"a number for auto_init", "/api/repos", `{"name": "y", "auto_init": 1}`, "auto_init"},
		{"a number for a title", "/api/repos/alice/x/pulls", `{"title": 5, "head": "main", "base": "main"}`, "title"},
		{"a number for a branch", "/api/repos/alice/x/pulls", `{"title": "t", "head": 1, "base": "main"}`, "head"},
		{"a string for draft", "/api/repos/alice/x/pulls",
			`{"title": "t", "head": "main", "base": "main", "draft": "true"}`, "draft"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fails(t, call(t, s, "POST", tt.path, token, tt.body, "Content-Type", "application/json"),
				400, "VALIDATION_ERROR", tt.field, "invalid")
		})
	}
	if r := call(t, s, "GET", "/api/repos/alice/42", token, ""); r.StatusCode != 404 {
		t.Errorf("a repository was made from a number: %d %s", r.StatusCode, r.Body)
	}
	// Forms carry text: their booleans are words.
	r := call(t, s, "POST", "/api/repos", token, "name=formed&auto_init=true", "Content-Type",
		"application/x-www-form-urlencoded")
	if got := ok[repoJSON](t, r, 201).Data; got.Name != "formed" || got.Empty {
		t.Errorf("a form's repository: %+v", got)
	}
}

// Paging outside its bounds is refused naming the parameter, as the .git dialect does,
// instead of quietly becoming the defaults.
func TestPagingOutsideItsBoundsIsRefused(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	ok[repoJSON](t, call(t, s, "POST", "/api/repos", token, `{"name": "x"}`), 201)
	for _, path := range []string{"/api/repos", "/api/repos/alice/x/pulls"} {
		for _, q := range []struct{ query, field string }{
			{"per_page=-1", "per_page"}, {"per_page=0", "per_page"}, {"per_page=101", "per_page"},
			{"per_page=ten", "per_page"}, {"page=0", "page"}, {"page=-3", "page"}, {"page=1.5", "page"},
		} {
			fails(t, call(t, s, "GET", path+"?"+q.query, token, ""), 400, "VALIDATION_ERROR", q.field, "invalid")
		}
		wantStatus(t, call(t, s, "GET", path+"?page=2&per_page=100", token, ""), 200)
	}
}

// A pull request path whose number is no number names a pull request that is not found,
// in the repository it names; it is not read as a repository's path.
func TestAPullRequestThatIsNoNumberIsNotFoundAsAPullRequest(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	_, token := s.CreateUser(t, "alice")
	ok[repoJSON](t, call(t, s, "POST", "/api/repos", token, `{"name": "x"}`), 201)
	tests := []struct{ path, message string }{
		{"/api/repos/alice/x/pulls/abc", "Pull request not found"},
		{"/api/repos/alice/x/pulls/-1", "Pull request not found"},
		{"/api/repos/alice/nothing/pulls/abc", "Repository not found"},
	}
	for _, tt := range tests {
		e := fails(t, call(t, s, "GET", tt.path, token, ""), 404, "NOT_FOUND", "", "")
		if e.Error.Message != tt.message {
			t.Errorf("GET %s: %q, want %q", tt.path, e.Error.Message, tt.message)
		}
	}
}
