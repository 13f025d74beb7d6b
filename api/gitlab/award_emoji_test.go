package gitlab_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
)

type awardJSON struct {
	ID            int64    `json:"id"`
	Name          string   `json:"name"`
	User          userJSON `json:"user"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
	AwardableID   int64    `json:"awardable_id"`
	AwardableType string   `json:"awardable_type"`
}

// awardFixture is a project with an issue, a merge request, a comment on each, and a user of
// each role.
type awardFixture struct {
	*repoFixture
	tokens map[string]string
	// issue and mr are the API paths (below the project) of the issue and the merge request;
	// issueNote and mrNote those of a comment on each.
	issue, mr, issueNote, mrNote string
	issueID, mrID                int64
	issueNoteID, mrNoteID        int64
}

func newAwardFixture(t *testing.T, visibility string) *awardFixture {
	t.Helper()
	f := &awardFixture{repoFixture: newRepoFixture(t, map[string]any{"name": "demo", "initialize_with_readme": true,
		"visibility": visibility})}
	f.tokens = f.roles()
	is := createIssue(t, f.s, f.token, f.url("/issues"), map[string]any{"title": "Bug"})
	f.branch("feature", create("a.txt", "a\n"))
	m := f.openMR("feature", "Fix")
	f.issue, f.mr = "/issues/"+itoa(is.IID), "/merge_requests/"+itoa(m.IID)
	f.issueID, f.mrID = is.ID, m.ID
	comment := func(on string) int64 {
		var n struct{ ID int64 }
		mustDo(t, f.s, 201, "POST", f.url(on+"/notes"), f.token, map[string]any{"body": "a comment"}).JSON(t, &n)
		return n.ID
	}
	f.issueNoteID, f.mrNoteID = comment(f.issue), comment(f.mr)
	f.issueNote, f.mrNote = f.issue+"/notes/"+itoa(f.issueNoteID), f.mr+"/notes/"+itoa(f.mrNoteID)
	return f
}

// award awards name to the awardable at path (below the project) as token's user.
func (f *awardFixture) award(path, token, name string) awardJSON {
	f.t.Helper()
	return decode[awardJSON](f.t,
		mustDo(f.t, f.s, 201, "POST", f.url(path+"/award_emoji"), token, map[string]any{"name": name}))
}

// Emoji are awarded to issues, merge requests and the comments on both, and read back, in
// GitLab's shape: the awardable is named by its global id and its type.
func TestAwardEmojiOnEveryAwardable(t *testing.T) {
	t.Parallel()
	f := newAwardFixture(t, "private")
	for _, c := range []struct {
		path, typ string
		id        int64
	}{
		{f.issue, "Issue", f.issueID},
		{f.mr, "MergeRequest", f.mrID},
		{f.issueNote, "Note", f.issueNoteID},
		{f.mrNote, "Note", f.mrNoteID},
	} {
		t.Run(c.typ+" "+c.path, func(t *testing.T) {
			a := f.award(c.path, f.tokens["developer"], "tada")
			if a.Name != "tada" || a.AwardableID != c.id || a.AwardableType != c.typ ||
				a.User.Username != "developer" ||
				a.CreatedAt == "" || a.CreatedAt != a.UpdatedAt {
				t.Fatalf("award: %+v", a)
			}
			r := mustDo(t, f.s, 200, "GET", f.url(c.path+"/award_emoji/"+itoa(a.ID)), f.tokens["reporter"], nil)
			var fields map[string]json.RawMessage
			r.JSON(t, &fields)
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			want := []string{"awardable_id", "awardable_type", "created_at", "id", "name", "updated_at", "url", "user"}
			if !reflect.DeepEqual(keys, want) {
				t.Errorf("fields %v, want %v", keys, want)
			}
			if got := decode[awardJSON](t, r); got != a {
				t.Errorf("read back %+v, want %+v", got, a)
			}
			// Guests of a private project see its issues, not its merge requests.
			reader := f.tokens["guest"]
			if strings.HasPrefix(c.path, f.mr) {
				reader = f.tokens["reporter"]
			}
			list := decode[[]awardJSON](t, mustDo(t, f.s, 200, "GET", f.url(c.path+"/award_emoji"), reader, nil))
			if len(list) != 1 || list[0] != a {
				t.Errorf("list %+v, want [%+v]", list, a)
			}
		})
	}
}

// An award is refused as GitLab refuses it: a user awards each emoji once, names must be
// emoji's (aliases are stored under their emoji's name), and only the awarder or an
// administrator takes one back.
func TestAwardEmojiRules(t *testing.T) {
	t.Parallel()
	f := newAwardFixture(t, "private")
	dev, rep := f.tokens["developer"], f.tokens["reporter"]
	up := f.award(f.issue, dev, "thumbsup")
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		code                      int
		want                      string
	}{
		{"the same emoji twice", "POST", f.issue + "/award_emoji", dev, map[string]any{"name": "thumbsup"},
			404, `{"message":"404 Award Emoji Name has already been taken Not Found"}`},
		{"the same emoji by its alias", "POST", f.issue + "/award_emoji", dev, map[string]any{"name": "+1"},
			404, `{"message":"404 Award Emoji Name has already been taken Not Found"}`},
		{"a name that is no emoji's", "POST", f.issue + "/award_emoji", dev, map[string]any{"name": "gitlab-rules"},
			404, `{"message":"404 Award Emoji Name is not a valid emoji name Not Found"}`},
		{"an empty name", "POST", f.issue + "/award_emoji", dev, map[string]any{"name": ""},
			404, `{"message":"404 Award Emoji Name can't be blank Not Found"}`},
		{"no name", "POST", f.issue + "/award_emoji", dev, map[string]any{}, 400, `{"error":"name is missing"}`},
		{"another's award", "DELETE", f.issue + "/award_emoji/" + itoa(up.ID), rep, nil, 401, bodyUnauthorized},
		{"another awardable's award", "GET", f.mr + "/award_emoji/" + itoa(up.ID), rep, nil, 404,
			`{"message":"404 Not found"}`},
		{"an award id that is no number", "GET", f.issue + "/award_emoji/x", rep, nil, 400,
			`{"error":"award_id is invalid"}`},
		{"a note of another issue", "GET", "/issues/99/notes/" + itoa(f.issueNoteID) + "/award_emoji", rep, nil,
			404, `{"message":"404 Not found"}`},
		{"a note of another target", "GET", f.issue + "/notes/" + itoa(f.mrNoteID) + "/award_emoji", rep, nil,
			404, `{"message":"404 Not found"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantJSON(t, f.do(c.method, c.path, c.token, c.body), c.code, c.want)
		})
	}

	// Another user's thumbs up by its alias is a thumbs up.
	if a := f.award(f.issue, rep, "+1"); a.Name != "thumbsup" {
		t.Errorf("+1 awarded as %q, want thumbsup", a.Name)
	}
	wantStatus(t, f.do("DELETE", f.issue+"/award_emoji/"+itoa(up.ID), dev, nil), 204)
	wantJSON(t, f.do("GET", f.issue+"/award_emoji/"+itoa(up.ID), dev, nil), 404, `{"message":"404 Not found"}`)
	wantJSON(t, f.do("DELETE", f.issue+"/award_emoji/"+itoa(up.ID), dev, nil), 404, `{"message":"404 Not found"}`)
	// Once taken back, it may be awarded again.
	f.award(f.issue, dev, "thumbsup")

	// A read-only token lists awards and awards none.
	readerID, reader := f.s.CreateUser(t, "reader", "read_api")
	addMember(t, f.s, f.token, "projects", f.id, readerID, 30)
	mustDo(t, f.s, 200, "GET", f.url(f.issue+"/award_emoji"), reader, nil)
	wantJSON(t, f.do("POST", f.issue+"/award_emoji", reader, map[string]any{"name": "heart"}), 403,
		bodyInsufficientScope("api"))

	// An administrator takes back anyone's.
	other := f.award(f.mr, rep, "rocket")
	wantStatus(t, f.do("DELETE", f.mr+"/award_emoji/"+itoa(other.ID), f.token, nil), 204)
}

// Who may read and award emoji follows who may see the awardable: on a private project its
// members (merge requests from reporters on), everyone signed in on a public one; reading one
// award or awarding needs a signed-in user, listing does not.
func TestAwardEmojiByRole(t *testing.T) {
	t.Parallel()
	for _, visibility := range []string{"private", "public"} {
		t.Run(visibility, func(t *testing.T) {
			t.Parallel()
			f := newAwardFixture(t, visibility)
			issueAward := f.award(f.issue, f.token, "eyes")
			mrAward := f.award(f.mr, f.token, "eyes")
			private := visibility == "private"
			pick := func(ifPrivate, ifPublic int) int {
				if private {
					return ifPrivate
				}
				return ifPublic
			}
			for _, c := range []struct {
				method, path string
				want         map[string]int
			}{
				{"GET", f.issue + "/award_emoji",
					map[string]int{"anonymous": pick(404, 200), "outsider": pick(404, 200),
						"guest": 200, "reporter": 200, "developer": 200, "maintainer": 200, "owner": 200,
						"admin": 200}},
				{"GET", f.issue + "/award_emoji/" + itoa(issueAward.ID), map[string]int{"anonymous": 401,
					"outsider": pick(404, 200), "guest": 200, "owner": 200, "admin": 200}},
				{"POST", f.issue + "/award_emoji", map[string]int{"anonymous": 401, "outsider": pick(404, 201),
					"guest": 201, "reporter": 201, "developer": 201, "maintainer": 201, "owner": 201, "admin": 201}},
				{"POST", f.issueNote + "/award_emoji", map[string]int{"anonymous": 401, "outsider": pick(404, 201),
					"guest": 201, "owner": 201}},
				{"GET", f.mr + "/award_emoji", map[string]int{"anonymous": pick(404, 200), "outsider": pick(404, 200),
					"guest": pick(404, 200), "reporter": 200, "admin": 200}},
				{"GET", f.mr + "/award_emoji/" + itoa(mrAward.ID), map[string]int{"anonymous": 401,
					"outsider": pick(404, 200), "guest": pick(404, 200), "reporter": 200}},
				{"POST", f.mr + "/award_emoji", map[string]int{"anonymous": 401, "outsider": pick(404, 201),
					"guest": pick(404, 201), "reporter": 201, "developer": 201, "maintainer": 201,
					"owner": 201, "admin": 201}},
				{"POST", f.mrNote + "/award_emoji",
					map[string]int{"anonymous": 401, "guest": pick(404, 201), "reporter": 201}},
				// Only the awarder or an administrator takes an award back; the owner is neither.
				{"DELETE", f.issue + "/award_emoji/" + itoa(issueAward.ID), map[string]int{"anonymous": 401,
					"outsider": pick(404, 401), "guest": 401, "maintainer": 401, "owner": 401}},
			} {
				wantStatuses(t, f.repoFixture, f.tokens, c.method, c.path, func(string) any {
					return map[string]any{"name": "thumbsup"}
				}, c.want)
			}
		})
	}
}

// Emoji are awarded only where their awardable may be seen: a confidential issue to its
// author, assignees and reporters; an internal comment to reporters. System notes take none.
func TestAwardEmojiHiddenAwardables(t *testing.T) {
	t.Parallel()
	f := newAwardFixture(t, "public")
	guest, rep := f.tokens["guest"], f.tokens["reporter"]
	secret := createIssue(t, f.s, f.token, f.url("/issues"), map[string]any{"title": "Leak", "confidential": true})
	secretPath := "/issues/" + itoa(secret.IID)
	var internal struct{ ID int64 }
	mustDo(t, f.s, 201, "POST", f.url(f.issue+"/notes"), f.token,
		map[string]any{"body": "psst", "internal": true}).JSON(t, &internal)
	internalPath := f.issue + "/notes/" + itoa(internal.ID)
	for _, path := range []string{secretPath, internalPath} {
		wantJSON(t, f.do("GET", path+"/award_emoji", guest, nil), 404, `{"message":"404 Not found"}`)
		wantJSON(t, f.do("POST", path+"/award_emoji", guest, map[string]any{"name": "eyes"}), 404,
			`{"message":"404 Not found"}`)
		f.award(path, rep, "eyes")
	}

	mustDo(t, f.s, 200, "PUT", f.url(f.issue), f.token, map[string]any{"state_event": "close"})
	var notes []struct {
		ID     int64
		System bool
	}
	mustDo(t, f.s, 200, "GET", f.url(f.issue+"/notes"), f.token, nil).JSON(t, &notes)
	var system int64
	for _, n := range notes {
		if n.System {
			system = n.ID
		}
	}
	if system == 0 {
		t.Fatalf("closing the issue left no system note: %+v", notes)
	}
	wantJSON(t, f.do("POST", f.issue+"/notes/"+itoa(system)+"/award_emoji", rep, map[string]any{"name": "eyes"}),
		404, `{"message":"404 Award Emoji Awardable cannot be awarded emoji Not Found"}`)
}

// An archived project's awards are read-only: GitLab refuses new ones as it refuses what may
// not be awarded, and cairn refuses taking one back as it refuses every change there.
func TestArchivedProjectAwardEmojiAreReadOnly(t *testing.T) {
	t.Parallel()
	f := newAwardFixture(t, "private")
	dev := f.tokens["developer"]
	a := f.award(f.issue, dev, "thumbsup")
	mustDo(t, f.s, 200, "PUT", f.url(""), f.token, map[string]any{"archived": true})
	wantJSON(t, f.do("POST", f.issue+"/award_emoji", dev, map[string]any{"name": "heart"}), 404,
		`{"message":"404 Award Emoji Not Found"}`)
	wantJSON(t, f.do("DELETE", f.issue+"/award_emoji/"+itoa(a.ID), dev, nil), 403, bodyForbidden)
	if list := decode[[]awardJSON](t,
		mustDo(t, f.s, 200, "GET", f.url(f.issue+"/award_emoji"), dev, nil)); len(list) != 1 {
		t.Fatalf("after refused changes: %+v", list)
	}
}

// Award lists are paginated as every GitLab list, oldest first.
func TestAwardEmojiPagination(t *testing.T) {
	t.Parallel()
	f := newAwardFixture(t, "private")
	names := []string{"one", "two", "three", "four", "five"}
	for _, n := range names {
		f.award(f.issueNote, f.tokens["developer"], n)
	}
	r := mustDo(t, f.s, 200, "GET", f.url(f.issueNote+"/award_emoji?per_page=2&page=3"), f.token, nil)
	for h, want := range map[string]string{"X-Total": "5", "X-Total-Pages": "3", "X-Page": "3", "X-Per-Page": "2",
		"X-Prev-Page": "2", "X-Next-Page": ""} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if r.Header.Get("Link") == "" {
		t.Error("no Link header")
	}
	if list := decode[[]awardJSON](t, r); len(list) != 1 || list[0].Name != "five" {
		t.Fatalf("page 3: %+v", list)
	}
	list := decode[[]awardJSON](t,
		mustDo(t, f.s, 200, "GET", f.url(f.issueNote+"/award_emoji?per_page=2"), f.token, nil))
	if len(list) != 2 || list[0].Name != "one" || list[1].Name != "two" {
		t.Fatalf("page 1: %+v", list)
	}
}

// GitLab 8.9 had award emoji on /api/v3, where issues and merge requests are named by their
// global ids.
func TestAwardEmojiOnV3UsesGlobalIDs(t *testing.T) {
	t.Parallel()
	f := newAwardFixture(t, "private")
	v3 := "/api/v3/projects/" + itoa(f.id)
	var a awardJSON
	mustDo(t, f.s, http.StatusCreated, "POST", v3+"/issues/"+itoa(f.issueID)+"/award_emoji", f.token,
		map[string]any{"name": "thumbsup"}).JSON(t, &a)
	if a.AwardableID != f.issueID || a.AwardableType != "Issue" {
		t.Fatalf("v3 award: %+v", a)
	}
	list := decode[[]awardJSON](t, mustDo(t, f.s, 200, "GET", f.url(f.issue+"/award_emoji"), f.token, nil))
	if len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("v4 list after a v3 award: %+v", list)
	}
	mustDo(t, f.s, 200, "GET", v3+"/merge_requests/"+itoa(f.mrID)+"/notes/"+itoa(f.mrNoteID)+"/award_emoji",
		f.token, nil)
	wantStatus(t, f.s.Do(t, "DELETE", v3+"/issues/"+itoa(f.issueID)+"/award_emoji/"+itoa(a.ID), f.token, nil), 200)
}

// A deleted user's awards pass to the Ghost User, who may hold the same award twice, as
// GitLab's do; a hard deletion takes them along.
func TestDeletedUsersAwardEmojiPassToTheGhostUser(t *testing.T) {
	t.Parallel()
	f := newAwardFixture(t, "public")
	var ids []int64
	for _, name := range []string{"ann", "ben", "cy"} {
		id, token := f.s.CreateUser(t, name)
		f.award(f.issue, token, "thumbsup")
		ids = append(ids, id)
	}
	mustDo(t, f.s, 204, "DELETE", "/api/v4/users/"+itoa(ids[0]), f.token, nil)
	mustDo(t, f.s, 204, "DELETE", "/api/v4/users/"+itoa(ids[1]), f.token, nil)
	mustDo(t, f.s, 204, "DELETE", "/api/v4/users/"+itoa(ids[2])+"?hard_delete=true", f.token, nil)
	list := decode[[]awardJSON](t, mustDo(t, f.s, 200, "GET", f.url(f.issue+"/award_emoji"), f.token, nil))
	var got []string
	for _, a := range list {
		got = append(got, a.User.Username+":"+a.Name)
	}
	if want := []string{"ghost:thumbsup", "ghost:thumbsup"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("awards after their users were deleted: %v, want %v", got, want)
	}
	// An administrator takes back the Ghost User's.
	mustDo(t, f.s, 204, "DELETE", f.url(f.issue+"/award_emoji/"+itoa(list[0].ID)), f.token, nil)
}

// TestVotesCountThumbs: an issue's and a merge request's upvotes and downvotes count the
// thumbsup and thumbsdown awarded to them, in the single answer and in lists; other emoji
// and the comments' awards do not count.
func TestVotesCountThumbs(t *testing.T) {
	f := newAwardFixture(t, "public")
	f.award(f.issue, f.token, "thumbsup")
	f.award(f.issue, f.tokens["developer"], "+1")
	f.award(f.issue, f.tokens["guest"], "thumbsdown")
	f.award(f.issue, f.token, "tada")
	f.award(f.issueNote, f.token, "thumbsdown")
	f.award(f.mr, f.token, "thumbsdown")
	type votes struct {
		IID       int64 `json:"iid"`
		Upvotes   int   `json:"upvotes"`
		Downvotes int   `json:"downvotes"`
	}
	for _, c := range []struct {
		path     string
		up, down int
	}{
		{f.issue, 2, 1},
		{f.mr, 0, 1},
	} {
		got := decode[votes](t, mustDo(t, f.s, 200, "GET", f.url(c.path), f.token, nil))
		if got.Upvotes != c.up || got.Downvotes != c.down {
			t.Errorf("%s: upvotes %d, downvotes %d; want %d, %d", c.path, got.Upvotes, got.Downvotes, c.up, c.down)
		}
		list := decode[[]votes](t, mustDo(t, f.s, 200, "GET", f.url(c.path[:strings.LastIndexByte(c.path, '/')]), f.token, nil))
		if len(list) != 1 || list[0].Upvotes != c.up || list[0].Downvotes != c.down {
			t.Errorf("list of %s: %+v; want upvotes %d, downvotes %d", c.path, list, c.up, c.down)
		}
	}
}
