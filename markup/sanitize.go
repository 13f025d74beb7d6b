package markup

import (
	"bytes"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// The policy is bluemonday's for user content (no script, handler, style, frame, form or
// foreign content; URLs relative, http, https or mailto), widened by what the renderer itself
// writes: highlighting classes, task list check boxes, and headings' anchors. It is built on
// first use, so that a server that shows no page pays nothing for it.
var (
	policyOnce sync.Once
	policy     *bluemonday.Policy
)

func sanitizer() *bluemonday.Policy {
	policyOnce.Do(func() {
		p := bluemonday.UGCPolicy()
		// chroma's token classes ("k", "nf", "s2") on spans; a code block's language.
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^[a-z0-9]{1,3}$`)).OnElements("span")
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[\p{L}\p{N}_+#.-]{1,40}$`)).OnElements("code")
		p.AllowAttrs("class").Matching(regexp.MustCompile(`^code$`)).OnElements("pre")
		// Task lists: disabled check boxes, named for screen readers.
		p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
		p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^(|checked|disabled)$`)).OnElements("input")
		p.AllowAttrs("aria-label").Matching(regexp.MustCompile(`^(done|to do)$`)).OnElements("input")
		// READMEs centre their logos and titles.
		p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("p", "div",
			"h1", "h2", "h3", "img")
		p.AllowElements("kbd")
		// References to issues, merge requests, users and commits, with GitLab's classes.
		p.AllowAttrs("class").Matching(
			regexp.MustCompile(`^gfm gfm-(issue|merge_request|project_member|commit)$`)).OnElements("a")
		// Their titles are what users named things (an issue's "Why does <b> fail?"): any text.
		p.AllowAttrs("title").OnElements("a")
		p.RequireNoFollowOnLinks(true)
		p.RequireNoReferrerOnLinks(true)
		policy = p
	})
	return policy
}

// sanitize returns the safe part of an HTML fragment; links, when not nil, first points its
// relative links and images into the repository.
func sanitize(doc []byte, links *Links) []byte {
	if links != nil {
		doc = pointIntoRepository(doc, links)
	}
	return sanitizer().SanitizeBytes(doc)
}

// pointIntoRepository rewrites the relative href of links and src of images in doc to the
// repository's files; everything else is written as it came, for the sanitiser to judge.
func pointIntoRepository(doc []byte, links *Links) []byte {
	var out bytes.Buffer
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.Bytes()
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			out.Write(z.Raw())
			continue
		}
		t := z.Token()
		key, base := "", ""
		switch t.Data {
		case "a":
			key, base = "href", links.Blob
		case "img":
			key, base = "src", links.Raw
		}
		changed := false
		for i, a := range t.Attr {
			if key != "" && a.Namespace == "" && a.Key == key {
				if r, ok := resolveRelative(strings.TrimSpace(a.Val), base, links.Dir); ok {
					t.Attr[i].Val, changed = r, true
				}
			}
		}
		if changed {
			out.WriteString(t.String())
		} else {
			out.Write(z.Raw())
		}
	}
}

// resolveRelative resolves a relative reference of a file in directory dir against base;
// ok is false for absolute URLs, fragments and queries, which stay as they are.
func resolveRelative(ref, base, dir string) (string, bool) {
	if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "?") || strings.HasPrefix(ref, "//") {
		return "", false
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" {
		return "", false
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + dir + p
	}
	clean := strings.TrimPrefix(path.Clean(p), "/")
	if clean == "" || clean == "." {
		return "", false
	}
	out := base + EscapePath(clean)
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	return out, true
}

// EscapePath escapes each segment of a slash-separated path (a project's full path, a
// branch, a file's path) for a URL, keeping the slashes between them.
func EscapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
