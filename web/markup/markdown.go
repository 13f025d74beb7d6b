// Package markup renders what users write for the pages: Markdown (GitHub Flavored, by
// goldmark), sanitised (by bluemonday) so that no script, handler or foreign style survives,
// and source code highlighted with CSS classes (by chroma's lexers).
package markup

import (
	"bytes"
	"html/template"
	"io"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// maxMarkdown bounds the text rendered as Markdown; longer texts are shown as they are.
const maxMarkdown = 2 << 20

// Renderer renders Markdown to safe HTML. It is safe for concurrent use and builds its parser
// and sanitiser on first use, so that a server that shows no page pays nothing for them.
type Renderer struct {
	Highlighter *Highlighter

	once   sync.Once
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// Links says where the relative links and images of a text point: those of a README, into
// its repository at the revision shown.
type Links struct {
	// Blob and Raw are the URL paths of the repository's files at the revision, ending in
	// "/": "/acme/site/-/blob/main/" and "/acme/site/-/raw/main/".
	Blob, Raw string
	// Dir is the directory of the text in the repository ("docs/"; "" at the top).
	Dir string
}

func (r *Renderer) init() {
	r.once.Do(func() {
		if r.Highlighter == nil {
			r.Highlighter = &Highlighter{}
		}
		r.md = goldmark.New(
			goldmark.WithExtensions(extension.GFM),
			goldmark.WithParserOptions(parser.WithAutoHeadingID(),
				parser.WithASTTransformers(util.Prioritized(headingShift{}, 100))),
			// Raw HTML is let through to the sanitiser, which decides what of it stays.
			goldmark.WithRendererOptions(gmhtml.WithUnsafe(),
				renderer.WithNodeRenderers(util.Prioritized(&codeRenderer{hl: r.Highlighter}, 100))),
		)
		r.policy = newPolicy()
	})
}

// newPolicy is bluemonday's policy for user content (no scripts, handlers, styles, forms or
// frames; links and images over http, https and mailto, or relative) and what rendered
// Markdown needs besides: task list check boxes, heading anchors and highlighted code.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	p.AllowAttrs("aria-label").Matching(regexp.MustCompile(`^(done|to do)$`)).OnElements("input")
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[\pL\pN_-]{1,100}$`)).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^[a-z0-9]{1,3}$`)).OnElements("span")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[\w+#.-]{1,40}$`)).OnElements("code")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^code$`)).OnElements("pre")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("p", "div", "td", "th", "img", "h1", "h2", "h3")
	p.AllowAttrs("width", "height").Matching(bluemonday.Integer).OnElements("img")
	p.RequireNoFollowOnLinks(true)
	return p
}

// Render renders Markdown src as safe HTML; links, when not nil, resolves relative links
// and images into the repository.
func (r *Renderer) Render(src string, links *Links) template.HTML {
	r.init()
	if len(src) > maxMarkdown {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	safe := r.policy.SanitizeBytes(buf.Bytes())
	if links != nil {
		safe = rewriteRelative(safe, links)
	}
	return template.HTML(safe)
}

// rewriteRelative points the relative href and src attributes of sanitised HTML into the
// repository: links to the file view, images to the raw file. A path starting with "/" is
// taken from the repository's top, as on GitHub and GitLab.
func rewriteRelative(doc []byte, links *Links) []byte {
	if !bytes.Contains(doc, []byte(`href="`)) && !bytes.Contains(doc, []byte(`src="`)) {
		return doc
	}
	var out bytes.Buffer
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				return doc
			}
			return out.Bytes()
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			out.Write(z.Raw())
			continue
		}
		t := z.Token()
		changed := false
		for i, a := range t.Attr {
			var base string
			switch {
			case a.Key == "href" && t.Data == "a":
				base = links.Blob
			case a.Key == "src" && t.Data == "img":
				base = links.Raw
			default:
				continue
			}
			if v, ok := resolveRelative(a.Val, base, links.Dir); ok {
				t.Attr[i].Val, changed = v, true
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

// headingShift moves every heading one level down (# is h2), so that what users write sits
// under the page's own h1: a page has one.
type headingShift struct{}

func (headingShift) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+1, 6)
		}
		return ast.WalkContinue, nil
	})
}

// codeRenderer renders fenced code blocks highlighted by the language of their info string.
type codeRenderer struct{ hl *Highlighter }

func (c *codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, c.render)
	reg.Register(extast.KindTaskCheckBox, renderCheckBox)
}

// renderCheckBox renders a task list's check box with a name, for screen readers.
func renderCheckBox(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	if node.(*extast.TaskCheckBox).IsChecked {
		_, _ = w.WriteString(`<input type="checkbox" checked disabled aria-label="done"> `)
	} else {
		_, _ = w.WriteString(`<input type="checkbox" disabled aria-label="to do"> `)
	}
	return ast.WalkContinue, nil
}

func (c *codeRenderer) render(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var text strings.Builder
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		text.Write(seg.Value(src))
	}
	lang := ""
	if n.Info != nil {
		lang, _, _ = strings.Cut(string(n.Info.Segment.Value(src)), " ")
	}
	_, _ = w.WriteString(`<pre class="code"><code`)
	if lang != "" {
		_, _ = w.WriteString(` class="language-` + template.HTMLEscapeString(lang) + `"`)
	}
	_, _ = w.WriteString(">")
	for i, line := range c.hl.Lines(c.hl.Lexer("", lang), text.String()) {
		if i > 0 {
			_ = w.WriteByte('\n')
		}
		_, _ = w.WriteString(string(line))
	}
	_, _ = w.WriteString("</code></pre>\n")
	return ast.WalkSkipChildren, nil
}
