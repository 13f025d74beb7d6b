package markup

import (
	"embed"
	"html"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/chroma/v2"
)

// The lexers are chroma's definitions of the most common languages (see lexers/COPYING),
// loaded when first needed: chroma's own lexers package parses every one of its 280 lexers
// at program start, which would double cairn's start-up time whether a page is shown or not.
//
//go:embed lexers/*.xml
var lexerFiles embed.FS

// maxHighlightTime bounds the tokenising of one text; the rest is shown plain. Lexers are
// regular expressions with backtracking, and the text is anyone's.
const maxHighlightTime = 2 * time.Second

// Highlighter turns source text into lines of HTML whose tokens are spans with CSS classes.
// It is safe for concurrent use; its lexers are loaded on first use.
type Highlighter struct {
	once sync.Once
	reg  *chroma.LexerRegistry
	// primary and alias index the lexers by their file name patterns, as chroma's Match
	// reads them (a primary pattern first, then an alias; of several lexers, the highest
	// priority): Match itself tries every pattern of every lexer, a millisecond a file.
	primary, alias patternIndex
}

// patternIndex finds the lexers whose file name patterns match a name.
type patternIndex struct {
	byName map[string][]chroma.Lexer // patterns without wildcards ("Makefile")
	byExt  map[string][]chroma.Lexer // "*.ext" patterns, by ".ext"
	globs  []glob                    // the rest, tried in turn
}

type glob struct {
	pattern string
	lexer   chroma.Lexer
}

func (ix *patternIndex) add(pattern string, l chroma.Lexer) {
	if ix.byName == nil {
		ix.byName, ix.byExt = map[string][]chroma.Lexer{}, map[string][]chroma.Lexer{}
	}
	ext, starred := strings.CutPrefix(pattern, "*")
	switch {
	case !strings.ContainsAny(pattern, "*?[\\"):
		ix.byName[pattern] = append(ix.byName[pattern], l)
	case starred && strings.HasPrefix(ext, ".") && !strings.ContainsAny(ext, "*?[\\") && strings.Count(ext, ".") == 1:
		ix.byExt[ext] = append(ix.byExt[ext], l)
	default:
		ix.globs = append(ix.globs, glob{pattern: pattern, lexer: l})
	}
}

// match returns the matching lexer of the highest priority, nil when none matches.
func (ix *patternIndex) match(name string) chroma.Lexer {
	var best chroma.Lexer
	consider := func(l chroma.Lexer) {
		if best == nil || priority(l) > priority(best) {
			best = l
		}
	}
	for _, l := range ix.byName[name] {
		consider(l)
	}
	for _, l := range ix.byExt[path.Ext(name)] {
		consider(l)
	}
	for _, g := range ix.globs {
		if ok, _ := path.Match(g.pattern, name); ok {
			consider(g.lexer)
		}
	}
	return best
}

// priority is a lexer's rank among those matching a name, as chroma reads it (0 is 1).
func priority(l chroma.Lexer) float32 {
	if p := l.Config().Priority; p != 0 {
		return p
	}
	return 1
}

// ignoredSuffixes are the backup suffixes chroma looks through ("main.go.orig" is Go).
var ignoredSuffixes = []string{"~", ".bak", ".old", ".orig", ".dpkg-dist", ".dpkg-old", ".ucf-dist",
	".ucf-new", ".ucf-old",
	".rpmnew", ".rpmorig", ".rpmsave", ".in"}

func (h *Highlighter) registry() *chroma.LexerRegistry {
	h.once.Do(func() {
		reg := chroma.NewLexerRegistry()
		paths, _ := fs.Glob(lexerFiles, "lexers/*.xml")
		for _, p := range paths {
			reg.Register(chroma.MustNewXMLLexer(lexerFiles, p))
		}
		reg.Register(goLexer())
		h.reg = reg
		for _, l := range reg.Lexers {
			for _, p := range l.Config().Filenames {
				h.primary.add(p, l)
			}
			for _, p := range l.Config().AliasFilenames {
				h.alias.add(p, l)
			}
		}
	})
	return h.reg
}

// match finds the lexer of a file name by the lexers' patterns.
func (h *Highlighter) match(name string) chroma.Lexer {
	for _, ix := range []*patternIndex{&h.primary, &h.alias} {
		if l := ix.match(name); l != nil {
			return l
		}
		for _, suf := range ignoredSuffixes {
			if base, ok := strings.CutSuffix(name, suf); ok && base != "" {
				if l := ix.match(base); l != nil {
					return l
				}
			}
		}
	}
	return nil
}

// Lexer finds the lexer of a file name or, when lang is given (a fenced code block's info
// string), of a language name; nil when none is known.
func (h *Highlighter) Lexer(filename, lang string) chroma.Lexer {
	reg := h.registry()
	if lang != "" {
		if l := reg.Get(strings.ToLower(lang)); l != nil && l != reg.Get("plaintext") {
			return l
		}
		return nil
	}
	if filename == "" {
		return nil
	}
	return h.match(path.Base(filename))
}

// LexerForContent is Lexer by file name, then by the interpreter a "#!" line names.
func (h *Highlighter) LexerForContent(filename, text string) chroma.Lexer {
	if l := h.Lexer(filename, ""); l != nil {
		return l
	}
	first, _, _ := strings.Cut(text, "\n")
	if !strings.HasPrefix(first, "#!") {
		return nil
	}
	for _, c := range []struct{ word, lang string }{
		{"python", "python"}, {"ruby", "ruby"}, {"perl", "perl"}, {"node", "javascript"},
		{"bash", "bash"}, {"sh", "bash"},
	} {
		if strings.Contains(first, c.word) {
			return h.Lexer("", c.lang)
		}
	}
	return nil
}

// Lines returns text split into lines (without their newlines), each as HTML: escaped, with
// its tokens in spans when lexer is not nil. A text that ends with a newline has no empty
// last line.
func (h *Highlighter) Lines(lexer chroma.Lexer, text string) []template.HTML {
	text = strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if lexer == nil {
		return plainLines(text)
	}
	it, err := chroma.Coalesce(lexer).Tokenise(&chroma.TokeniseOptions{State: "root"}, text+"\n")
	if err != nil {
		return plainLines(text)
	}
	deadline := time.Now().Add(maxHighlightTime)
	var out []template.HTML
	var line strings.Builder
	consumed := 0 // bytes of text the tokens so far covered
	for n := 0; ; n++ {
		if n%256 == 0 && time.Now().After(deadline) {
			// Show the rest as it is, from where the tokens stopped.
			rest := plainLines(text[min(consumed, len(text)):])
			if len(rest) > 0 {
				line.WriteString(string(rest[0]))
				rest = rest[1:]
			}
			out = append(out, template.HTML(line.String()))
			return append(out, rest...)
		}
		tok := it()
		if tok == chroma.EOF {
			break
		}
		consumed += len(tok.Value)
		class := tokenClass(tok.Type)
		for v := tok.Value; v != ""; {
			part, rest, newline := strings.Cut(v, "\n")
			if part != "" {
				writeToken(&line, class, part)
			}
			if newline {
				out = append(out, template.HTML(line.String()))
				line.Reset()
			}
			v = rest
		}
	}
	if line.Len() > 0 {
		out = append(out, template.HTML(line.String()))
	}
	return out
}

func writeToken(b *strings.Builder, class, text string) {
	if class == "" {
		b.WriteString(html.EscapeString(text))
		return
	}
	b.WriteString(`<span class="`)
	b.WriteString(class)
	b.WriteString(`">`)
	b.WriteString(html.EscapeString(text))
	b.WriteString(`</span>`)
}

func plainLines(text string) []template.HTML {
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	out := make([]template.HTML, len(lines))
	for i, l := range lines {
		out[i] = template.HTML(html.EscapeString(l))
	}
	return out
}

// styled are the token types the stylesheet colours; others take their parent's class.
var styled = map[chroma.TokenType]bool{
	chroma.Keyword:           true,
	chroma.KeywordConstant:   true,
	chroma.KeywordType:       true,
	chroma.NameBuiltin:       true,
	chroma.NameFunction:      true,
	chroma.NameClass:         true,
	chroma.NameTag:           true,
	chroma.NameAttribute:     true,
	chroma.NameDecorator:     true,
	chroma.NameVariable:      true,
	chroma.NameConstant:      true,
	chroma.String:            true,
	chroma.StringEscape:      true,
	chroma.Number:            true,
	chroma.Operator:          true,
	chroma.Comment:           true,
	chroma.CommentPreproc:    true,
	chroma.GenericInserted:   true,
	chroma.GenericDeleted:    true,
	chroma.GenericHeading:    true,
	chroma.GenericSubheading: true,
	chroma.GenericEmph:       true,
	chroma.GenericStrong:     true,
	chroma.Error:             true,
}

// tokenClass is the CSS class of a token type: chroma's short name of the type or of the
// nearest styled parent, "" for plain text.
func tokenClass(t chroma.TokenType) string {
	for _, c := range []chroma.TokenType{t, t.SubCategory(), t.Category()} {
		if styled[c] {
			return chroma.StandardTypes[c]
		}
	}
	return ""
}
