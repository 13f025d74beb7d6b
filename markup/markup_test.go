package markup

import (
	"html/template"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
	"golang.org/x/net/html"
)

// hostile are the payloads a README or an issue may carry to run script in a reader's browser.
var hostile = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror="alert(1)">`,
	`[click](javascript:alert(1))`,
	`[click](JaVaScRiPt:alert(1))`,
	`<a href="javascript:alert(1)">x</a>`,
	`<svg onload="alert(1)"><script>alert(1)</script></svg>`,
	`<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<form action="https://evil.example"><input name="x"></form>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`![x](javascript:alert(1))`,
	`<a href="data:text/html,<script>alert(1)</script>">x</a>`,
	`<object data="x.svg"></object><embed src="x.swf">`,
	"```html\n<script>alert(1)</script>\n```",
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`,
	`<svg><p><style><img src=x onerror=alert(1)></style></p></svg>`,
	`<a href="  javascript:alert(1)">x</a>`,
	`<a href="java&#x09;script:alert(1)">x</a>`,
	`<a href="jav&#x0A;ascript:alert(1)">x</a>`,
	`<a href="\\evil.example">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<button formaction="javascript:alert(1)">x</button>`,
	`<isindex action="javascript:alert(1)" type=image>`,
	`<base href="javascript:alert(1)//">`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<input type="image" src="x" onerror="alert(1)"><input autofocus onfocus="alert(1)">`,
	`<table><td><form><input name="a"></form></td></table>`,
	`<div><style>*{display:none}</style></div><link rel="stylesheet" href="https://evil.example/x.css">`,
	`<template><img src=x onerror=alert(1)></template>`,
	`<a href="https://ok.example" target="_blank" ping="https://evil.example" download>x</a>`,
}

// inert fails the test if an output could run script or load foreign content.
func inert(t *testing.T, out string) {
	t.Helper()
	if bad := activeParts(out); len(bad) > 0 {
		t.Errorf("output has %v: %s", bad, out)
	}
}

func TestHostileMarkdownRendersInert(t *testing.T) {
	var r Renderer
	for _, src := range hostile {
		out := string(r.Render(src, &Links{Blob: "/g/p/-/blob/main/", Raw: "/g/p/-/raw/main/"}))
		inert(t, out)
	}
	// The fenced block shows its text, escaped.
	if out := r.Render("```html\n<script>alert(1)</script>\n```", nil); !strings.Contains(string(out), "&lt;") {
		t.Errorf("fenced script not shown escaped: %s", out)
	}
}

func TestGitHubFlavoredMarkdown(t *testing.T) {
	var r Renderer
	tests := []struct{ name, src, want string }{
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |\n", "<table>"},
		{"task list", "- [x] done\n- [ ] todo\n",
			`<input type="checkbox" checked="" disabled="" aria-label="done"> done`},
		{"autolink", "see https://example.com/x\n", `<a href="https://example.com/x" rel="nofollow noreferrer">`},
		{"strikethrough", "~~old~~\n", "<del>old</del>"},
		{"heading anchor, one level down", "## Getting started\n", `<h3 id="getting-started">`},
		{"no h1: the page has its own", "# Title\n", `<h2 id="title">Title</h2>`},
		{"fenced code", "```go\nfunc main() {}\n```\n", `<span class="k">func</span>`},
	}
	for _, tt := range tests {
		if out := string(r.Render(tt.src, nil)); !strings.Contains(out, tt.want) {
			t.Errorf("%s: %s lacks %s", tt.name, out, tt.want)
		}
	}
}

func TestRelativeLinksAndImagesPointIntoTheRepository(t *testing.T) {
	var r Renderer
	links := &Links{Blob: "/acme/site/-/blob/v1.0/", Raw: "/acme/site/-/raw/v1.0/", Dir: "docs/"}
	tests := []struct{ src, want string }{
		{"[guide](guide.md)", `href="/acme/site/-/blob/v1.0/docs/guide.md"`},
		{"[up](../README.md#usage)", `href="/acme/site/-/blob/v1.0/README.md#usage"`},
		{"[top](/LICENSE)", `href="/acme/site/-/blob/v1.0/LICENSE"`},
		{"![logo](img/logo.png)", `src="/acme/site/-/raw/v1.0/docs/img/logo.png"`},
		{`<p align="center"><img src="img/my%20logo.png" width="100"></p>`,
			`src="/acme/site/-/raw/v1.0/docs/img/my%20logo.png"`},
		{"[out](https://example.com/a)", `href="https://example.com/a"`},
		{"[here](#usage)", `href="#usage"`},
		{"[escape](../../../../etc/passwd)", `href="/acme/site/-/blob/v1.0/etc/passwd"`},
	}
	for _, tt := range tests {
		if out := string(r.Render(tt.src, links)); !strings.Contains(out, tt.want) {
			t.Errorf("%s: %s lacks %s", tt.src, out, tt.want)
		}
	}
}

func TestHighlightedLinesKeepTheText(t *testing.T) {
	var h Highlighter
	src := "package main\n\n// a <comment> & more\nfunc main() {\n\tprintln(\"hi\")\n}\n"
	lines := h.Lines(h.Lexer("main.go", ""), src)
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6: %q", len(lines), lines)
	}
	if !strings.Contains(string(lines[2]), `&lt;comment&gt; &amp; more`) ||
		!strings.Contains(string(lines[2]), `class="c`) {
		t.Errorf("comment line: %s", lines[2])
	}
	if got := stripTags(lines); got != strings.TrimSuffix(src, "\n") {
		t.Errorf("text changed by highlighting:\n%s", got)
	}
	for _, name := range []string{"a.py", "Makefile", "Dockerfile", "x.rs", "y.ts", "z.json", "c.yaml", "index.html"} {
		if h.Lexer(name, "") == nil {
			t.Errorf("no lexer for %s", name)
		}
	}
	if h.Lexer("notes.unknownext", "") != nil {
		t.Error("a lexer for an unknown extension")
	}
	if h.LexerForContent("run", "#!/usr/bin/env python3\nprint(1)\n") == nil {
		t.Error("no lexer from a #! line")
	}
}

func stripTags(lines []template.HTML) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		s := string(l)
		for {
			i := strings.IndexByte(s, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(s[i:], '>')
			s = s[:i] + s[i+j+1:]
		}
		b.WriteString(s)
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(b.String())
}

// activeParts lists what of an HTML document could run script or load foreign content:
// elements other than the allowed ones' kinds, event handler and style attributes, and URLs
// with a scheme other than http, https and mailto.
func activeParts(doc string) []string {
	var bad []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return bad
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		t := z.Token()
		switch t.Data {
		case "script", "style", "iframe", "svg", "math", "object", "embed", "form", "base", "link", "meta":
			bad = append(bad, "<"+t.Data+">")
		}
		for _, a := range t.Attr {
			k := strings.ToLower(a.Key)
			if strings.HasPrefix(k, "on") || k == "style" || k == "formaction" {
				bad = append(bad, k+"=")
			}
			if k == "href" || k == "src" {
				if u, err := url.Parse(strings.TrimSpace(a.Val)); err != nil ||
					u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto" {
					bad = append(bad, k+"="+a.Val)
				}
			}
		}
	}
}

func FuzzRenderIsInert(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("# title\n\n[a](b.md) ![c](d.png)\n")
	var r Renderer
	links := &Links{Blob: "/g/p/-/blob/main/", Raw: "/g/p/-/raw/main/", Dir: "x/"}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(r.Render(src, links))
		if bad := activeParts(out); len(bad) > 0 {
			t.Fatalf("render of %q has %v: %s", src, bad, out)
		}
	})
}

func FuzzHighlightKeepsTheText(f *testing.F) {
	f.Add("main.go", "package main\n\nfunc main() { println(`x`) }\n")
	f.Add("index.html", "<p style='a'>x</p><script>if (a < b) {}</script>\n")
	f.Add("a.py", "def f():\n    return '''\n'''\r\n")
	f.Add("Makefile", "all:\n\t@echo $(X) \\\n\n")
	var h Highlighter
	f.Fuzz(func(t *testing.T, name, src string) {
		if !utf8.ValidString(src) {
			return
		}
		want := strings.TrimSuffix(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
		if got := stripTags(h.Lines(h.Lexer(name, ""), src)); got != want {
			t.Fatalf("highlighting %s changed the text:\n%q\nwant\n%q", name, got, want)
		}
	})
}

// TestTheLexerIndexAgreesWithChroma checks that finding a lexer by the index of file names
// and extensions gives the lexer chroma's own (slow) Match gives.
func TestTheLexerIndexAgreesWithChroma(t *testing.T) {
	var h Highlighter
	reg := h.registry()
	for _, name := range []string{"main.go", "a.py", "x.pyw", "Makefile", "GNUmakefile", "build.mk",
		"Dockerfile", "x.dockerfile",
		"a.c", "a.h", "a.cpp", "a.hpp", "a.cs", "a.java", "a.kt", "a.rs", "a.rb", "Gemfile", "Rakefile",
		"a.js", "a.mjs",
		"a.ts", "a.tsx", "a.json", "a.yaml", "a.yml", "a.toml", "a.ini", "a.cfg", "a.sh", "a.bash", ".bashrc",
		"a.zsh", "a.sql",
		"a.css", "a.scss", "a.html", "a.htm", "a.xml", "a.svg", "a.php", "a.pl", "a.lua", "a.swift", "a.scala", "a.hs",
		"a.ex", "a.exs", "a.erl", "a.proto", "a.tf", "a.hcl", "a.nix", "a.zig", "a.dart", "a.ml", "a.r", "a.R", "a.jl",
		"a.ps1", "a.bat", "CMakeLists.txt", "a.cmake", "a.diff", "a.patch", "a.tex", "a.clj", "a.groovy", "Jenkinsfile",
		"a.graphql", "a.m", "a.fish", "a.properties", "a.service", "nginx.conf", "a.txt", "README", "a.unknown",
		"main.go.orig", "config.h.in", "Makefile.in", "x.py~"} {
		want := reg.Match(name)
		got := h.Lexer(name, "")
		if (want == nil) != (got == nil) || want != nil && want.Config().Name != got.Config().Name {
			t.Errorf("%s: the index gives %v, chroma %v", name, lexerName(got), lexerName(want))
		}
	}
}

func lexerName(l interface{ Config() *chroma.Config }) string {
	if l == nil {
		return "none"
	}
	return l.Config().Name
}

// TestSanitizedHTMLIsStable checks that what the sanitiser writes reads back as itself: the
// browser's parser builds the same tree from it, so nothing mutates into markup on the way.
func TestSanitizedHTMLIsStable(t *testing.T) {
	for _, src := range hostile {
		once := sanitize([]byte(src), nil)
		if twice := sanitize(once, nil); string(twice) != string(once) {
			t.Errorf("%s: sanitised %s, then %s", src, once, twice)
		}
	}
}

func TestTheSanitizerKeepsWhatMarkdownNeeds(t *testing.T) {
	in := `<p align="center"><img src="https://img.example/logo.png" alt="logo" width="80"></p>` +
		`<h2 id="usage">Usage</h2><table><thead><tr><th align="left">a</th></tr></thead><tbody><tr><td colspan="2">1</td></tr></tbody></table>` +
		`<details open><summary>More</summary><p>text <kbd>Ctrl</kbd> <sub>2</sub></p></details>` +
		`<pre class="code"><code class="language-go"><span class="k">func</span></code></pre><a href="mailto:a@b.example">mail</a>`
	out := string(sanitize([]byte(in), nil))
	for _, want := range []string{`<p align="center"><img src="https://img.example/logo.png" alt="logo" width="80"></p>`,
		`<h2 id="usage">Usage</h2>`, `<th align="left">a</th>`, `<td colspan="2">1</td>`,
		`<details open=""><summary>More</summary>`,
		`<kbd>Ctrl</kbd>`, `<pre class="code"><code class="language-go"><span class="k">func</span></code></pre>`,
		`<a href="mailto:a@b.example" rel="nofollow noreferrer">mail</a>`} {
		if !strings.Contains(out, want) {
			t.Errorf("lost %s:\n%s", want, out)
		}
	}
	for _, in := range []string{`<span class="flash alert">x</span>`, `<input type="text">`,
		`<div class="flash">x</div>`,
		`<input type="checkbox" name="x" onclick="alert(1)">`} {
		out := string(sanitize([]byte(in), nil))
		for _, bad := range []string{"flash", `type="text"`, "name=", "onclick"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s kept %s: %s", in, bad, out)
			}
		}
	}
}

func FuzzSanitizeIsStableAndInert(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add(`<p align="center"><img src="a.png"></p><table><tr><td>x</td></tr></table>`)
	f.Fuzz(func(t *testing.T, src string) {
		once := sanitize([]byte(src), nil)
		if bad := activeParts(string(once)); len(bad) > 0 {
			t.Fatalf("sanitised %q has %v: %s", src, bad, once)
		}
		if twice := sanitize(once, nil); string(twice) != string(once) {
			t.Fatalf("sanitised %q is not stable:\n%s\n%s", src, once, twice)
		}
	})
}
