package markup

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// The kinds of references a text makes, as GitLab names them.
const (
	RefIssue        = "issue"
	RefMergeRequest = "merge_request"
	RefUser         = "user"
	RefCommit       = "commit"
)

// A Reference is a thing a text names in GitLab's reference syntax: "#12" (an issue), "!3"
// (a merge request), "@alice" (a user or group), "group/project#12" and "project!3" (in
// another project), "a1b2c3d" and "project@a1b2c3d" (a commit).
type Reference struct {
	Kind string
	// Project is the project path written before the marker; "" for the text's own project.
	Project string
	// Name is the iid, the username or group path, or the commit id.
	Name string
}

// A ReferenceLink is where a reference points and what it shows.
type ReferenceLink struct {
	// URL is the page of the thing named ("/acme/site/-/issues/12").
	URL string
	// Title is shown on hover: the issue's title, the user's name, the commit's title.
	Title string
	// State, when not "", follows the reference in brackets, as GitLab shows "#12 (closed)".
	State string
}

// A Resolver says what the references of a text link to, for the reader of the page: those
// absent from its answer stay text. It is called once per text, with each reference once.
type Resolver func(refs []Reference) map[Reference]ReferenceLink

// RenderLinked is Render with the references of the text linked as resolve answers; a nil
// resolve links none.
func (r *Renderer) RenderLinked(src string, links *Links, resolve Resolver) template.HTML {
	return r.render(src, links, resolve)
}

// segment and pathPattern are the project and namespace paths GitLab allows: segments of letters,
// digits, "_", "-" and ".", starting with a letter, digit or "_".
const (
	segment     = `[A-Za-z0-9_][A-Za-z0-9_.\-]*`
	pathPattern = segment + `(?:/` + segment + `)*`
)

// referencePattern finds candidate references; the characters around each are checked after
// (Go's expressions look neither behind nor ahead).
var referencePattern = regexp.MustCompile(
	`(` + pathPattern + `)?([#!])([0-9]{1,18})` + // 1 project, 2 marker, 3 iid
		`|@(` + pathPattern + `)` + // 4 user or group
		`|(?:(` + pathPattern + `)@)?([0-9a-fA-F]{7,40})`) // 5 project, 6 commit

// referenceMatch is a reference found in a text, at text[start:end].
type referenceMatch struct {
	start, end int
	ref        Reference
}

// isWordByte reports whether b may be part of a word, which a reference may not touch.
func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// findReferences lists the references of a text, in order.
func findReferences(text string) []referenceMatch {
	if !strings.ContainsAny(text, "#!@0123456789abcdefABCDEF") {
		return nil
	}
	var out []referenceMatch
	for _, m := range referencePattern.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[0], m[1]
		if start > 0 && (isWordByte(text[start-1]) || strings.IndexByte("/.-@#!&", text[start-1]) >= 0) {
			continue
		}
		group := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return text[m[2*i]:m[2*i+1]]
		}
		var ref Reference
		switch {
		case m[4] >= 0:
			ref = Reference{Kind: RefIssue, Project: group(1), Name: group(3)}
			if group(2) == "!" {
				ref.Kind = RefMergeRequest
			}
		case m[8] >= 0:
			// A sentence's full stop or dash after a name is not part of it.
			name := strings.TrimRight(group(4), ".-")
			end = m[8] + len(name)
			ref = Reference{Kind: RefUser, Name: name}
		default:
			ref = Reference{Kind: RefCommit, Project: group(5), Name: strings.ToLower(group(6))}
		}
		if end < len(text) && (isWordByte(text[end]) || ref.Kind != RefUser && text[end] == '@') {
			continue
		}
		if ref.Project != "" && (strings.HasSuffix(ref.Project, ".") || strings.HasSuffix(ref.Project, "-")) {
			continue
		}
		out = append(out, referenceMatch{start: start, end: end, ref: ref})
	}
	return out
}

// skippedElements hold text that is not scanned for references: links already, code, and what
// the sanitiser drops anyway.
var skippedElements = map[string]bool{
	"a":        true,
	"code":     true,
	"pre":      true,
	"kbd":      true,
	"script":   true,
	"style":    true,
	"textarea": true,
	"title":    true,
}

// linkReferences links the references in the text of an HTML fragment that resolve answers
// for; text inside links and code is left alone.
func linkReferences(doc []byte, resolve Resolver) []byte {
	var refs []Reference
	seen := map[Reference]bool{}
	eachText(doc, func(text string) {
		for _, m := range findReferences(text) {
			if !seen[m.ref] {
				seen[m.ref] = true
				refs = append(refs, m.ref)
			}
		}
	}, nil)
	if len(refs) == 0 {
		return doc
	}
	found := resolve(refs)
	if len(found) == 0 {
		return doc
	}
	var out bytes.Buffer
	eachText(doc, func(text string) {
		last := 0
		for _, m := range findReferences(text) {
			l, ok := found[m.ref]
			if !ok {
				continue
			}
			out.WriteString(html.EscapeString(text[last:m.start]))
			writeReferenceLink(&out, m.ref, l, text[m.start:m.end])
			last = m.end
		}
		out.WriteString(html.EscapeString(text[last:]))
	}, &out)
	return out.Bytes()
}

// eachText calls fn with the unescaped text of each text node outside skipped elements;
// everything else is copied to out as it came, when out is not nil.
func eachText(doc []byte, fn func(string), out *bytes.Buffer) {
	z := html.NewTokenizer(bytes.NewReader(doc))
	skipped := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return
		case html.TextToken:
			if skipped == 0 {
				fn(string(z.Text()))
				continue
			}
		case html.StartTagToken, html.EndTagToken:
			name, _ := z.TagName()
			if skippedElements[string(name)] {
				if tt == html.StartTagToken {
					skipped++
				} else if skipped > 0 {
					skipped--
				}
			}
		}
		if out != nil {
			out.Write(z.Raw())
		}
	}
}

// referenceClasses are GitLab's classes of reference links.
var referenceClasses = map[string]string{RefIssue: "gfm gfm-issue", RefMergeRequest: "gfm gfm-merge_request",
	RefUser: "gfm gfm-project_member", RefCommit: "gfm gfm-commit"}

func writeReferenceLink(out *bytes.Buffer, ref Reference, l ReferenceLink, text string) {
	out.WriteString(`<a href="`)
	out.WriteString(html.EscapeString(l.URL))
	out.WriteString(`" class="`)
	out.WriteString(referenceClasses[ref.Kind])
	out.WriteString(`"`)
	if l.Title != "" {
		out.WriteString(` title="`)
		out.WriteString(html.EscapeString(l.Title))
		out.WriteString(`"`)
	}
	out.WriteString(`>`)
	out.WriteString(html.EscapeString(text))
	if l.State != "" {
		out.WriteString(" (" + html.EscapeString(l.State) + ")")
	}
	out.WriteString(`</a>`)
}
