package model

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// secretName matches the names of fields that would hold a secret.
var secretName = regexp.MustCompile(`(?i)hash|digest|password|secret|salt`)

// TestModelHoldsNoSecrets reads the package's source: no field of any type in it, at any
// depth, is named like a secret (a password hash, a token digest), and it imports nothing but
// the standard library, so that what forge hands to dialects and pages cannot carry one.
func TestModelHoldsNoSecrets(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	types := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: the model imports only the standard library", fset.Position(imp.Pos()), path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				types++
			case *ast.StructType:
				for _, field := range n.Fields.List {
					names := field.Names
					if len(names) == 0 { // embedded: named by its type
						if id, ok := ast.Unparen(field.Type).(*ast.Ident); ok {
							names = []*ast.Ident{id}
						}
					}
					for _, name := range names {
						if secretName.MatchString(name.Name) {
							t.Errorf("%s: field %s would hold a secret", fset.Position(name.Pos()), name.Name)
						}
					}
				}
			}
			return true
		})
	}
	if types < 16 {
		t.Errorf("read %d types, want the model's 16 or more", types)
	}
}
