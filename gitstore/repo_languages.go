package gitstore

import (
	"bytes"
	"context"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// languageSniff is how much of a file language detection reads when its name is not enough.
const languageSniff = 8 << 10

// Languages sums the sizes of the files of commit h per language, as GitHub's linguist
// counts them: vendored, documentation, generated, binary and dot files are left out, and
// only programming and markup languages count (languages.go holds the table).
func (r *Repo) Languages(ctx context.Context, h plumbing.Hash) (map[string]int64, error) {
	sizes := map[string]int64{}
	n := 0
	err := r.WalkFiles(h, "", func(e Entry) error {
		if n++; n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if e.Mode == filemode.Symlink || isVendored(e.Path) || isDocumentation(e.Path) || isDotFile(e.Path) {
			return nil
		}
		lang := LanguageOf(e.Path)
		if lang == "" || IsGenerated(e.Path, nil) {
			return nil
		}
		br, err := r.OpenBlob(e.Hash)
		if err != nil {
			return err
		}
		size := br.Size
		br.Close()
		if size == 0 {
			return nil
		}
		content, err := r.ReadBlob(e.Hash, languageSniff)
		if err != nil {
			return err
		}
		if bytes.IndexByte(content, 0) >= 0 || IsGenerated(e.Path, content) {
			return nil
		}
		sizes[lang] += size
		return nil
	})
	return sizes, err
}

// LanguageOf names the programming or markup language of a file by its name, as linguist
// names it; "" for data, prose and unknown files.
func LanguageOf(p string) string {
	base := path.Base(p)
	if lang, ok := languageByName[base]; ok {
		return lang
	}
	ext := strings.ToLower(path.Ext(base))
	if ext == "" {
		return ""
	}
	return languageByExt[ext]
}

// IsGenerated reports whether a file looks generated, by its path or, when given, its first
// bytes (Go's "Code generated ... DO NOT EDIT." convention and its relatives).
func IsGenerated(p string, content []byte) bool {
	base := path.Base(p)
	lower := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lower, ".min.js"), strings.HasSuffix(lower, ".min.css"),
		strings.HasSuffix(lower, ".pb.go"), strings.HasSuffix(lower, "_pb2.py"),
		strings.HasSuffix(lower, ".pb.cc"), strings.HasSuffix(lower, ".pb.h"),
		strings.HasSuffix(lower, "_generated.go"), strings.HasSuffix(lower, ".designer.cs"),
		lower == "package-lock.json", lower == "yarn.lock", lower == "pnpm-lock.yaml",
		lower == "go.sum", lower == "cargo.lock", lower == "composer.lock", lower == "poetry.lock",
		lower == "gemfile.lock":
		return true
	}
	if len(content) == 0 {
		return false
	}
	head := content[:min(len(content), 1024)]
	return bytes.Contains(head, []byte("DO NOT EDIT")) && bytes.Contains(head, []byte("generated")) ||
		bytes.Contains(head, []byte("@generated"))
}

func isVendored(p string) bool {
	for _, dir := range []string{"vendor/", "node_modules/", "third_party/", "bower_components/", "Godeps/"} {
		if strings.HasPrefix(p, dir) || strings.Contains(p, "/"+dir) {
			return true
		}
	}
	return false
}

func isDocumentation(p string) bool {
	for _, dir := range []string{"docs/", "doc/", "Documentation/", "examples/"} {
		if strings.HasPrefix(p, dir) || strings.Contains(p, "/"+dir) {
			return true
		}
	}
	upper := strings.ToUpper(path.Base(p))
	for _, name := range []string{"README", "LICENSE", "LICENCE", "CHANGELOG", "CHANGES", "CONTRIBUTING",
		"AUTHORS", "COPYING", "NOTICE"} {
		if upper == name || strings.HasPrefix(upper, name+".") {
			return true
		}
	}
	return false
}

func isDotFile(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

// languageByName maps whole file names to their language.
var languageByName = map[string]string{
	"Makefile":       "Makefile",
	"GNUmakefile":    "Makefile",
	"makefile":       "Makefile",
	"Dockerfile":     "Dockerfile",
	"Containerfile":  "Dockerfile",
	"CMakeLists.txt": "CMake",
	"Rakefile":       "Ruby",
	"Gemfile":        "Ruby",
	"Vagrantfile":    "Ruby",
	"Jenkinsfile":    "Groovy",
	"BUILD":          "Starlark",
	"BUILD.bazel":    "Starlark",
	"WORKSPACE":      "Starlark",
	"meson.build":    "Meson",
	"PKGBUILD":       "Shell",
	"justfile":       "Just",
}

// languageByExt maps lower-case extensions to programming and markup languages, with
// linguist's names. Data formats (JSON, YAML, TOML, CSV) and prose (Markdown, text) are
// left out, as linguist leaves them out of language statistics.
var languageByExt = map[string]string{
	".go":       "Go",
	".c":        "C",
	".h":        "C",
	".cc":       "C++",
	".cpp":      "C++",
	".cxx":      "C++",
	".hpp":      "C++",
	".hh":       "C++",
	".hxx":      "C++",
	".m":        "Objective-C",
	".mm":       "Objective-C++",
	".cs":       "C#",
	".java":     "Java",
	".kt":       "Kotlin",
	".kts":      "Kotlin",
	".scala":    "Scala",
	".groovy":   "Groovy",
	".gradle":   "Groovy",
	".clj":      "Clojure",
	".cljs":     "Clojure",
	".py":       "Python",
	".pyi":      "Python",
	".rb":       "Ruby",
	".erb":      "HTML+ERB",
	".php":      "PHP",
	".pl":       "Perl",
	".pm":       "Perl",
	".lua":      "Lua",
	".js":       "JavaScript",
	".mjs":      "JavaScript",
	".cjs":      "JavaScript",
	".jsx":      "JavaScript",
	".ts":       "TypeScript",
	".tsx":      "TSX",
	".vue":      "Vue",
	".svelte":   "Svelte",
	".coffee":   "CoffeeScript",
	".html":     "HTML",
	".htm":      "HTML",
	".css":      "CSS",
	".scss":     "SCSS",
	".sass":     "Sass",
	".less":     "Less",
	".sh":       "Shell",
	".bash":     "Shell",
	".zsh":      "Shell",
	".fish":     "fish",
	".ps1":      "PowerShell",
	".psm1":     "PowerShell",
	".bat":      "Batchfile",
	".cmd":      "Batchfile",
	".rs":       "Rust",
	".swift":    "Swift",
	".dart":     "Dart",
	".ex":       "Elixir",
	".exs":      "Elixir",
	".erl":      "Erlang",
	".hrl":      "Erlang",
	".hs":       "Haskell",
	".lhs":      "Haskell",
	".ml":       "OCaml",
	".mli":      "OCaml",
	".fs":       "F#",
	".fsx":      "F#",
	".elm":      "Elm",
	".r":        "R",
	".jl":       "Julia",
	".nim":      "Nim",
	".zig":      "Zig",
	".v":        "V",
	".d":        "D",
	".cr":       "Crystal",
	".f90":      "Fortran",
	".f":        "Fortran",
	".for":      "Fortran",
	".pas":      "Pascal",
	".asm":      "Assembly",
	".s":        "Assembly",
	".sql":      "SQL",
	".pls":      "PLSQL",
	".tf":       "HCL",
	".hcl":      "HCL",
	".proto":    "Protocol Buffer",
	".graphql":  "GraphQL",
	".gql":      "GraphQL",
	".vim":      "Vim Script",
	".el":       "Emacs Lisp",
	".lisp":     "Common Lisp",
	".scm":      "Scheme",
	".rkt":      "Racket",
	".tcl":      "Tcl",
	".awk":      "Awk",
	".cmake":    "CMake",
	".mk":       "Makefile",
	".nix":      "Nix",
	".sol":      "Solidity",
	".vhd":      "VHDL",
	".vhdl":     "VHDL",
	".sv":       "SystemVerilog",
	".cu":       "Cuda",
	".glsl":     "GLSL",
	".hlsl":     "HLSL",
	".wat":      "WebAssembly",
	".tex":      "TeX",
	".rst":      "reStructuredText",
	".adoc":     "AsciiDoc",
	".org":      "Org",
	".xsl":      "XSLT",
	".haml":     "Haml",
	".slim":     "Slim",
	".pug":      "Pug",
	".hbs":      "Handlebars",
	".mustache": "Mustache",
	".twig":     "Twig",
	".jinja":    "Jinja",
	".j2":       "Jinja",
	".tmpl":     "Go Template",
	".gotmpl":   "Go Template",
	".purs":     "PureScript",
	".re":       "Reason",
	".res":      "ReScript",
	".gleam":    "Gleam",
	".odin":     "Odin",
	".ipynb":    "Jupyter Notebook",
}
