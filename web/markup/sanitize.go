package markup

import (
	"bytes"
	"net/url"
	"path"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The sanitiser keeps of an HTML fragment only what the allowlists below name, and writes it
// out again from the parsed tree: the browser's own parser (HTML5's, in x/net/html) decides
// what the fragment is, and what comes out is serialised from that tree, so that no markup
// can hide in text or attributes. Elements that carry script, styles, frames, forms or
// foreign content (SVG, MathML) go with everything inside them; other unknown elements give
// up their tag and keep their text. URLs keep only http, https and mailto schemes (images:
// http and https), or none.

// dropped are the elements removed with their content.
var dropped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Svg: true, atom.Math: true, atom.Template: true, atom.Noscript: true, atom.Textarea: true,
	atom.Title: true, atom.Xmp: true, atom.Noembed: true, atom.Noframes: true, atom.Plaintext: true,
	atom.Select: true, atom.Option: true, atom.Button: true, atom.Form: true, atom.Frame: true,
	atom.Frameset: true, atom.Head: true, atom.Meta: true, atom.Link: true, atom.Base: true,
	atom.Audio: true, atom.Video: true, atom.Canvas: true, atom.Applet: true, atom.Param: true,
	atom.Source: true, atom.Track: true, atom.Dialog: true, atom.Slot: true,
}

// kept are the elements kept, with the attributes each may carry besides the global ones.
var kept = map[atom.Atom][]string{
	atom.A: {"href", "title", "name"}, atom.Abbr: {"title"}, atom.B: nil, atom.Blockquote: nil, atom.Br: nil,
	atom.Caption: nil, atom.Center: nil, atom.Cite: nil, atom.Code: {"class"}, atom.Col: {"span"},
	atom.Colgroup: {"span"}, atom.Dd: nil, atom.Del: nil, atom.Details: {"open"}, atom.Dfn: nil,
	atom.Div: {"align"}, atom.Dl: nil, atom.Dt: nil, atom.Em: nil, atom.Figcaption: nil, atom.Figure: nil,
	atom.H1: {"id", "align"}, atom.H2: {"id", "align"}, atom.H3: {"id", "align"}, atom.H4: {"id"},
	atom.H5: {"id"}, atom.H6: {"id"}, atom.Hr: nil, atom.I: nil, atom.Img: {"src", "alt", "title", "width", "height", "align"},
	atom.Input: {"type", "checked", "disabled", "aria-label"}, atom.Ins: nil, atom.Kbd: nil, atom.Li: nil,
	atom.Mark: nil, atom.Ol: {"start"}, atom.P: {"align"}, atom.Pre: {"class"}, atom.Q: nil, atom.Rp: nil,
	atom.Rt: nil, atom.Ruby: nil, atom.S: nil, atom.Samp: nil, atom.Small: nil, atom.Span: {"class"},
	atom.Strike: nil, atom.Strong: nil, atom.Sub: nil, atom.Summary: nil, atom.Sup: nil, atom.Table: nil,
	atom.Tbody: nil, atom.Td: {"colspan", "rowspan", "align"}, atom.Tfoot: nil, atom.Th: {"colspan", "rowspan", "align"},
	atom.Thead: nil, atom.Time: {"datetime"}, atom.Tr: nil, atom.Tt: nil, atom.U: nil, atom.Ul: nil, atom.Var: nil,
	atom.Wbr: nil,
}

// global attributes any kept element may carry.
var global = []string{"title", "lang", "dir"}

// The checks of attribute values are plain functions, not regular expressions: those would
// be compiled when the program starts, page or no page.

func isNumber(v string) bool {
	if v == "" || len(v) > 4 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// isWord reports whether v has 1 to max characters, each a letter, a digit or one of extra.
func isWord(v string, max int, lettersAndDigits bool, extra string) bool {
	n := 0
	for _, r := range v {
		n++
		switch {
		case n > max:
			return false
		case lettersAndDigits && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		case !lettersAndDigits && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
		case strings.ContainsRune(extra, r):
		default:
			return false
		}
	}
	return n > 0
}

func isOneOf(v string, values ...string) bool {
	for _, w := range values {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

// attrValue checks attribute key of element a: the value to keep, or ok false to drop it.
func attrValue(a atom.Atom, key, val string) (string, bool) {
	switch key {
	case "title", "alt", "name", "datetime":
		return val, true
	case "href":
		return safeURL(val, true)
	case "src":
		return safeURL(val, false)
	case "width", "height", "colspan", "rowspan", "span", "start":
		return val, isNumber(val)
	case "align":
		return val, isOneOf(val, "left", "center", "right")
	case "dir":
		return val, isOneOf(val, "ltr", "rtl", "auto")
	case "lang":
		return val, isWord(val, 35, true, "-")
	case "id":
		return val, isWord(val, 100, true, "_-")
	case "open", "checked", "disabled":
		return "", true
	case "type":
		return val, a == atom.Input && val == "checkbox"
	case "aria-label":
		return val, a == atom.Input && isOneOf(val, "done", "to do")
	case "class":
		switch a {
		case atom.Span:
			return val, isWord(val, 3, false, "")
		case atom.Code:
			lang, ok := strings.CutPrefix(val, "language-")
			return val, ok && isWord(lang, 40, true, "_+#.-")
		case atom.Pre:
			return val, val == "code"
		}
	}
	return "", false
}

// safeURL returns a URL an href (or, when not link, an image's src) may hold: relative, a
// fragment, or http(s) (and for links mailto); ok is false for anything else.
func safeURL(raw string, link bool) (string, bool) {
	v := strings.TrimSpace(raw)
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "", false // browsers drop tabs and newlines, or read \ as /: "java\tscript:"
		}
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "":
		if strings.HasPrefix(v, "//") {
			return v, u.Host != "" // protocol-relative: the same schemes as the page
		}
		return v, true
	case "http", "https":
		return v, u.Host != ""
	case "mailto":
		return v, link
	}
	return "", false
}

// sanitize returns the safe part of an HTML fragment; links, when not nil, points its
// relative links and images into the repository.
func sanitize(doc []byte, links *Links) []byte {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(bytes.NewReader(doc), body)
	if err != nil {
		return []byte(html.EscapeString(string(doc)))
	}
	out := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	for _, n := range nodes {
		clean(n, out, links)
	}
	var buf bytes.Buffer
	for c := out.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&buf, c); err != nil {
			return []byte(html.EscapeString(string(doc)))
		}
	}
	return buf.Bytes()
}

// clean appends to parent what of n the allowlists keep.
func clean(n, parent *html.Node, links *Links) {
	switch n.Type {
	case html.TextNode:
		parent.AppendChild(&html.Node{Type: html.TextNode, Data: n.Data})
		return
	case html.ElementNode:
	default:
		return // comments, doctypes
	}
	if n.Namespace != "" || dropped[n.DataAtom] {
		return
	}
	allowed, ok := kept[n.DataAtom]
	if !ok {
		// An unknown element gives up its tag, and its content stays.
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			clean(c, parent, links)
		}
		return
	}
	e := &html.Node{Type: html.ElementNode, Data: n.DataAtom.String(), DataAtom: n.DataAtom}
	for _, a := range n.Attr {
		if a.Namespace != "" || !contains(allowed, a.Key) && !contains(global, a.Key) {
			continue
		}
		v, ok := attrValue(n.DataAtom, a.Key, a.Val)
		if !ok {
			continue
		}
		if links != nil && (a.Key == "href" || a.Key == "src") {
			base := links.Blob
			if a.Key == "src" {
				base = links.Raw
			}
			if r, ok := resolveRelative(v, base, links.Dir); ok {
				v = r
			}
		}
		e.Attr = append(e.Attr, html.Attribute{Key: a.Key, Val: v})
	}
	if n.DataAtom == atom.Input && !hasAttr(e, "type") {
		return // only check boxes are inputs here
	}
	if n.DataAtom == atom.A && hasAttr(e, "href") {
		e.Attr = append(e.Attr, html.Attribute{Key: "rel", Val: "nofollow noopener noreferrer"})
	}
	parent.AppendChild(e)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		clean(c, e, links)
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
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
	segs := strings.Split(clean, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	out := base + strings.Join(segs, "/")
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	return out, true
}
