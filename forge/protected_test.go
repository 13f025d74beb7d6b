package forge

import (
	"testing"

	"github.com/cairn-forge/cairn/gitstore"
	"github.com/go-git/go-git/v5/plumbing"
)

func TestMatchesBranch(t *testing.T) {
	tests := []struct {
		pattern, branch string
		want            bool
	}{
		{"main", "main", true},
		{"main", "main2", false},
		{"release-*", "release-1.0", true},
		{"release-*", "release-", true},
		{"release-*", "hotfix-1", false},
		{"*-stable", "2-0-stable", true},
		{"*-stable", "2-0-stable-x", false},
		{"feat/*/x", "feat/a/b/x", true},
		{"*", "anything/at/all", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
	}
	for _, tt := range tests {
		if got := matchesBranch(tt.pattern, tt.branch); got != tt.want {
			t.Errorf("matchesBranch(%q, %q) = %v, want %v", tt.pattern, tt.branch, got, tt.want)
		}
	}
}

func TestMostPermissiveRuleApplies(t *testing.T) {
	rules := []ProtectedBranch{
		{Name: "release-*", PushAccessLevel: Maintainer, MergeAccessLevel: Maintainer},
		{Name: "release-1", PushAccessLevel: Developer, MergeAccessLevel: NoOne, AllowForcePush: true},
	}
	p := protectionOf(rules, "release-1")
	if !p.Protected || p.PushAccessLevel != Developer || p.MergeAccessLevel != Maintainer || !p.AllowForcePush {
		t.Fatalf("protection = %+v", p)
	}
	if q := protectionOf(rules, "main"); q.Protected || !q.AllowsPush(Developer) || q.AllowsPush(Reporter) {
		t.Fatalf("unprotected branch: %+v", q)
	}
}

func TestJudgePushUpdates(t *testing.T) {
	h := func(s string) plumbing.Hash { return plumbing.NewHash(s) }
	a, b := h("1111111111111111111111111111111111111111"), h("2222222222222222222222222222222222222222")
	rules := []ProtectedBranch{{Name: "main", PushAccessLevel: Developer, MergeAccessLevel: Maintainer},
		{Name: "locked", PushAccessLevel: NoOne}}
	protection := func(branch string) BranchProtection { return protectionOf(rules, branch) }
	upd := func(name string, old, new plumbing.Hash, ff bool) gitstore.PendingUpdate {
		return gitstore.PendingUpdate{RefUpdate: gitstore.RefUpdate{Name: name, Old: old, New: new}, FastForward: ff}
	}
	var zero plumbing.Hash
	tests := []struct {
		name   string
		access int
		u      gitstore.PendingUpdate
		reject bool
	}{
		{"fast-forward to protected default", Developer, upd("refs/heads/main", a, b, true), false},
		{"force-push to protected default", Maintainer, upd("refs/heads/main", a, b, false), true},
		{"delete default branch", Owner, upd("refs/heads/main", a, zero, false), true},
		{"force-push to a topic branch", Developer, upd("refs/heads/topic", a, b, false), false},
		{"delete a topic branch", Developer, upd("refs/heads/topic", a, zero, false), false},
		{"push where no one may", AdminAccess, upd("refs/heads/locked", a, b, true), true},
		{"reporter pushes", Reporter, upd("refs/heads/topic", zero, b, false), true},
		{"tag", Developer, upd("refs/tags/v1", zero, b, false), false},
		{"hidden ref", Owner, upd("refs/merge-requests/1/head", zero, b, false), true},
	}
	for _, tt := range tests {
		v := ProjectView{Access: tt.access}
		v.DefaultBranch = "main"
		d := judgeUpdate(v, protection, tt.u)
		if d.Reject != tt.reject {
			t.Errorf("%s: reject = %v (%s), want %v", tt.name, d.Reject, d.Message, tt.reject)
		}
		if d.Reject && d.Message == "" {
			t.Errorf("%s: rejected without a message for the pusher", tt.name)
		}
	}
}
