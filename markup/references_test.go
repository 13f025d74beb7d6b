package markup

import (
	"reflect"
	"strings"
	"testing"
)

func TestReferencesAreFoundAsGitLabWritesThem(t *testing.T) {
	tests := []struct {
		text string
		want []Reference
	}{
		{"fixes #12", []Reference{{Kind: RefIssue, Name: "12"}}},
		{"see !3.", []Reference{{Kind: RefMergeRequest, Name: "3"}}},
		{"(#1, #2)", []Reference{{Kind: RefIssue, Name: "1"}, {Kind: RefIssue, Name: "2"}}},
		{"cc @alice.", []Reference{{Kind: RefUser, Name: "alice"}}},
		{"cc @web-team/infra", []Reference{{Kind: RefUser, Name: "web-team/infra"}}},
		{"in site#4 and acme/site!5", []Reference{{Kind: RefIssue, Project: "site", Name: "4"},
			{Kind: RefMergeRequest, Project: "acme/site", Name: "5"}}},
		{"landed in 1a2b3c4d", []Reference{{Kind: RefCommit, Name: "1a2b3c4d"}}},
		{"landed in acme/site@1A2B3C4D5E", []Reference{{Kind: RefCommit, Project: "acme/site", Name: "1a2b3c4d5e"}}},
		// Not references: inside words, e-mail addresses, too short or too long ids, anchors.
		{"mail ann@example.com", nil},
		{"abc#12x", nil},
		{"x1a2b3c4d", nil},
		{"1a2b3c", nil},
		{strings.Repeat("a", 41), nil},
		{"https://example.com/a#12", nil},
		{"C#", nil},
		{"deadbeef1@x", nil},
	}
	for _, tt := range tests {
		var got []Reference
		for _, m := range findReferences(tt.text) {
			got = append(got, m.ref)
			if tt.text[m.start:m.end] == "" {
				t.Errorf("%q: an empty match", tt.text)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: found %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

// resolveOnly links the references of a fixed table, as forge would for a reader.
func resolveOnly(known map[Reference]ReferenceLink) (Resolver, *[][]Reference) {
	var calls [][]Reference
	return func(refs []Reference) map[Reference]ReferenceLink {
		calls = append(calls, refs)
		out := map[Reference]ReferenceLink{}
		for _, r := range refs {
			if l, ok := known[r]; ok {
				out[r] = l
			}
		}
		return out
	}, &calls
}

func TestReferencesLinkWhatTheResolverAnswers(t *testing.T) {
	var r Renderer
	resolve, calls := resolveOnly(map[Reference]ReferenceLink{
		{Kind: RefIssue, Name: "1"}: {URL: "/acme/site/-/issues/1", Title: `Fix "<b>" & more`,
			State: "closed"},
		{Kind: RefMergeRequest, Name: "2"}:        {URL: "/acme/site/-/merge_requests/2", Title: "Login"},
		{Kind: RefUser, Name: "ann"}:              {URL: "/ann", Title: "Ann"},
		{Kind: RefCommit, Name: "1a2b3c4d"}:       {URL: "/acme/site/-/commit/1a2b3c4d00", Title: "Add"},
		{Kind: RefIssue, Project: "x", Name: "9"}: {URL: "/acme/x/-/issues/9"},
	})
	src := "Fixes #1 and !2, thanks @ann (1a2b3c4d); not #404 nor secret#1.\n\n" +
		"`#1` in code, [#1](https://example.com) in a link, x#9 across.\n\n```\n#1\n```\n"
	out := string(r.RenderLinked(src, nil, resolve))
	for _, want := range []string{
		`<a href="/acme/site/-/issues/1" class="gfm gfm-issue" title="Fix &#34;&lt;b&gt;&#34; &amp; more" rel="nofollow noreferrer">#1 (closed)</a>`,
		`<a href="/acme/site/-/merge_requests/2" class="gfm gfm-merge_request" title="Login" rel="nofollow noreferrer">!2</a>`,
		`<a href="/ann" class="gfm gfm-project_member" title="Ann" rel="nofollow noreferrer">@ann</a>`,
		`(<a href="/acme/site/-/commit/1a2b3c4d00" class="gfm gfm-commit" title="Add" rel="nofollow noreferrer">1a2b3c4d</a>)`,
		`<a href="/acme/x/-/issues/9" class="gfm gfm-issue" rel="nofollow noreferrer">x#9</a>`,
		"not #404 nor secret#1.", "<code>#1</code>", `<a href="https://example.com" rel="nofollow noreferrer">#1</a>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if len(*calls) != 1 || len((*calls)[0]) != 7 {
		t.Errorf("the resolver was called %d times with %v, want once with each of the 7 references",
			len(*calls), *calls)
	}
	inert(t, out)
}

func TestReferencesOfRelativeLinksStayInTheRepository(t *testing.T) {
	// A README's relative links point into the repository; the links of its references are
	// pages, and are not pointed anywhere else.
	var r Renderer
	resolve, _ := resolveOnly(map[Reference]ReferenceLink{{Kind: RefIssue, Name: "1"}: {URL: "/acme/site/-/issues/1"}})
	out := string(r.RenderLinked("See [guide](guide.md) and #1.\n", &Links{Blob: "/acme/site/-/blob/main/",
		Raw: "/acme/site/-/raw/main/"}, resolve))
	for _, want := range []string{`href="/acme/site/-/blob/main/guide.md"`, `href="/acme/site/-/issues/1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s: %s", want, out)
		}
	}
}

func TestATextWithoutReferencesAsksNothing(t *testing.T) {
	var r Renderer
	resolve, calls := resolveOnly(nil)
	r.RenderLinked("# Title\n\nPlain words, `#1` in code.\n", nil, resolve)
	if len(*calls) != 0 {
		t.Errorf("resolver called with %v", *calls)
	}
}

func FuzzReferencesAreInert(f *testing.F) {
	for _, s := range append(
		[]string{"#1 !2 @a b@c 1a2b3c4d g/p#3 p@1a2b3c4", "<a>#1</a> `#1` <code>#1</code>"}, hostile...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, m := range findReferences(src) {
			if m.start < 0 || m.end > len(src) || m.start >= m.end {
				t.Fatalf("match %d..%d out of %q", m.start, m.end, src)
			}
		}
		var r Renderer
		resolve := func(refs []Reference) map[Reference]ReferenceLink {
			out := map[Reference]ReferenceLink{}
			for _, ref := range refs {
				out[ref] = ReferenceLink{URL: "/p/-/" + ref.Kind + "/" + ref.Name, Title: src, State: ref.Project}
			}
			return out
		}
		inert(t, string(r.RenderLinked(src, nil, resolve)))
	})
}
