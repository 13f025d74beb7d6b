// Package markup renders what users write, for the pages and for the API's /markdown (one
// renderer, so that both show the same): Markdown (GitHub Flavored, by
// goldmark), sanitised by bluemonday so that no script, handler or foreign style survives,
// and source code highlighted with CSS classes (by chroma's lexers).
package markup

import (
	"bytes"
	"html/template"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// maxMarkdown bounds the text rendered as Markdown; longer texts are shown as they are.
const maxMarkdown = 2 << 20

// Renderer renders Markdown to safe HTML. It is safe for concurrent use and builds its parser
// on first use, so that a server that shows no page pays nothing for it.
type Renderer struct {
	Highlighter *Highlighter
	// KeepHeadings renders headings at the level written; by default each goes one level down
	// (# is h2), so that a text sits under its page's own h1.
	KeepHeadings bool

	once sync.Once
	md   goldmark.Markdown
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
		parserOptions := []parser.Option{parser.WithAutoHeadingID()}
		if !r.KeepHeadings {
			parserOptions = append(parserOptions, parser.WithASTTransformers(util.Prioritized(headingShift{}, 100)))
		}
		r.md = goldmark.New(
			goldmark.WithExtensions(extension.GFM),
			goldmark.WithParserOptions(parserOptions...),
			// Raw HTML is let through to the sanitiser, which decides what of it stays.
			goldmark.WithRendererOptions(gmhtml.WithUnsafe(),
				renderer.WithNodeRenderers(util.Prioritized(&codeRenderer{hl: r.Highlighter}, 100))),
		)
	})
}

// Render renders Markdown src as safe HTML; links, when not nil, resolves relative links
// and images into the repository.
func (r *Renderer) Render(src string, links *Links) template.HTML {
	return r.render(src, links, nil)
}

func (r *Renderer) render(src string, links *Links, resolve Resolver) template.HTML {
	r.init()
	if len(src) > maxMarkdown {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	doc := buf.Bytes()
	if links != nil {
		doc = pointIntoRepository(doc, links)
	}
	if resolve != nil {
		// After the relative links are pointed into the repository: references link to pages.
		doc = linkReferences(doc, resolve)
	}
	return template.HTML(sanitize(doc, nil))
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
