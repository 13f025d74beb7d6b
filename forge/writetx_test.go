package forge_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// gitInWriteAllowed lists the git calls a write transaction may make, with why.
var gitInWriteAllowed = map[string]string{
	// A new project's repository, built before the transaction, is renamed into place inside
	// the one that inserts its row: a crash leaves neither without the other (Reconcile
	// removes a repository no row claims).
	"Repos.Publish": "one rename",
}

// No write transaction of forge does git work: every write on the instance waits for the one
// writer, so git is read before it (compute, then write with a compare of what was read). The
// test follows each function given a *sql.Tx, and every function of forge it calls in turn,
// to any method of gitstore's types or of Repos. It does not follow calls of function values
// (insertProject's makeRepo): those are read by eye.
func TestNoWriteTransactionDoesGitWork(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the package")
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range goList(t, "{{join .GoFiles \"\\n\"}}", ".") {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	exports := map[string]string{}
	for _, line := range goList(t, "{{.ImportPath}} {{.Export}}", "-export", "-deps", ".") {
		if path, file, ok := strings.Cut(line, " "); ok && file != "" {
			exports[path] = file
		}
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{}, Types: map[ast.Expr]types.TypeAndValue{}}
	pkg, err := conf.Check("github.com/cairn-forge/cairn/forge", fset, files, info)
	if err != nil {
		t.Fatal(err)
	}

	bodies := map[types.Object]*ast.BlockStmt{}
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				bodies[info.Defs[fd.Name]] = fd.Body
			}
		}
	}
	// gitCalls reports the git calls body makes, itself or through forge's functions.
	var gitCalls func(body ast.Node, seen map[types.Object]bool) []string
	gitCalls = func(body ast.Node, seen map[types.Object]bool) []string {
		var out []string
		ast.Inspect(body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var callee types.Object
			switch fun := ast.Unparen(call.Fun).(type) {
			case *ast.Ident:
				callee = info.Uses[fun]
			case *ast.SelectorExpr:
				callee = info.Uses[fun.Sel]
			}
			fn, ok := callee.(*types.Func)
			if !ok {
				return true
			}
			if name, ok := gitMethod(fn, pkg); ok {
				if _, allowed := gitInWriteAllowed[name]; !allowed {
					out = append(out, fmt.Sprintf("%s: %s", fset.Position(call.Pos()), name))
				}
				return true
			}
			if fn.Pkg() == pkg && !seen[fn] {
				seen[fn] = true
				if b := bodies[fn]; b != nil {
					for _, c := range gitCalls(b, seen) {
						out = append(out, fmt.Sprintf("%s: %s → %s", fset.Position(call.Pos()), fn.Name(), c))
					}
				}
			}
			return true
		})
		return out
	}
	writes := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			var ft *ast.FuncType
			var body *ast.BlockStmt
			switch fn := n.(type) {
			case *ast.FuncLit:
				ft, body = fn.Type, fn.Body
			case *ast.FuncDecl:
				ft, body = fn.Type, fn.Body
			}
			if body == nil || !takesTx(ft, info) {
				return true
			}
			writes++
			for _, c := range gitCalls(body, map[types.Object]bool{}) {
				t.Errorf("git work inside a write transaction: %s", c)
			}
			return true
		})
	}
	if writes < 50 {
		t.Fatalf("found %d functions given a transaction; the search is broken", writes)
	}
}

// gitstoreIO holds gitstore's types whose methods read or write repositories (the others, as
// RefUpdate, are values).
var gitstoreIO = map[string]bool{"Store": true, "Repo": true, "BlobReader": true}

// gitMethod names fn when it is a method of forge's Repos or of a gitstore type in gitstoreIO.
func gitMethod(fn *types.Func, forge *types.Package) (string, bool) {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return "", false
	}
	recv := sig.Recv().Type()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	named, ok := recv.(*types.Named)
	if !ok {
		return "", false
	}
	obj := named.Obj()
	switch {
	case obj.Pkg() == forge && obj.Name() == "Repos",
		obj.Pkg() != nil && strings.HasSuffix(obj.Pkg().Path(), "/gitstore") && gitstoreIO[obj.Name()]:
		return obj.Name() + "." + fn.Name(), true
	}
	return "", false
}

// takesTx reports whether a function has a *database/sql.Tx parameter.
func takesTx(ft *ast.FuncType, info *types.Info) bool {
	for _, p := range ft.Params.List {
		if ptr, ok := info.Types[p.Type].Type.(*types.Pointer); ok {
			if n, ok := ptr.Elem().(*types.Named); ok && n.Obj().Pkg() != nil &&
				n.Obj().Pkg().Path() == "database/sql" && n.Obj().Name() == "Tx" {
				return true
			}
		}
	}
	return false
}

// goList runs go list on the package with the format and flags given, and returns its lines.
func goList(t *testing.T, format string, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-f", format}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
