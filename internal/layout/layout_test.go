package layout

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/beacon-status/beacon"

// The layers of DESIGN.md §1, by import path below the module.
var (
	surfaces = []string{"public", "internal/api", "internal/console"}
	domain   = []string{"components", "incidents", "subscribers", "notifier", "integrations", "metrics"}
)

// Limits the issue that split cmd/beacon set (issue 11).
const (
	maxPackageLines   = 2500
	maxCmdBeaconLines = 1500
	maxHandlers       = 40
)

// pkg is one of the module's packages, read from source.
type pkg struct {
	path    string // below the module: "internal/web"
	dir     string
	imports []string // the module's packages it imports, below the module
	files   []string // non-test Go files
}

// root is the repository's top directory.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", dir, err)
	}
	return dir
}

// packages lists every package of the module with its non-test imports.
func packages(t *testing.T) map[string]*pkg {
	t.Helper()
	top := root(t)
	out := map[string]*pkg{}
	err := filepath.WalkDir(top, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata") && path != top {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			return nil
		}
		bp, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(top, path)
		p := &pkg{path: filepath.ToSlash(rel), dir: path}
		for _, imp := range bp.Imports {
			if below, ok := strings.CutPrefix(imp, module+"/"); ok {
				p.imports = append(p.imports, below)
			}
		}
		p.files = append(p.files, bp.GoFiles...)
		p.files = append(p.files, bp.CgoFiles...)
		out[p.path] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages under %s", len(out), top)
	}
	return out
}

// deps is every module package p imports, directly or not.
func deps(all map[string]*pkg, p string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, imp := range all[p].imports {
			if !seen[imp] && all[imp] != nil {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(p)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// within reports whether p is pkg or one of its subpackages.
func within(p, pkg string) bool { return p == pkg || strings.HasPrefix(p, pkg+"/") }

func TestImportsGoDownwardOnly(t *testing.T) {
	all := packages(t)
	for _, s := range surfaces {
		if all[s] == nil {
			t.Errorf("surface %s is missing", s)
		}
	}
	above := []string{"public", "internal/api", "internal/console", "internal/web", "internal/statuspage", "internal/messages", "internal/palette", "cmd"}
	for path := range all {
		isDomain := slices.ContainsFunc(domain, func(x string) bool { return within(path, x) })
		for _, d := range deps(all, path) {
			for _, s := range surfaces {
				if within(d, s) && !within(path, s) && !within(path, "cmd") {
					t.Errorf("%s imports the surface %s (only cmd/ may)", path, d)
				}
			}
			if isDomain && slices.ContainsFunc(above, func(x string) bool { return within(d, x) }) {
				t.Errorf("domain package %s imports %s, which sits above it", path, d)
			}
		}
	}
}

func TestNoFiberBelowTheSurfaces(t *testing.T) {
	top := root(t)
	for path, p := range packages(t) {
		if !slices.ContainsFunc(domain, func(x string) bool { return within(path, x) }) {
			continue
		}
		bp, err := build.ImportDir(filepath.Join(top, path), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range bp.Imports {
			if strings.HasPrefix(imp, "github.com/gofiber/") {
				t.Errorf("domain package %s imports %s", p.path, imp)
			}
		}
	}
}

// lines counts the lines of a package's non-test Go files.
func lines(t *testing.T, p *pkg) int {
	t.Helper()
	n := 0
	for _, f := range p.files {
		b, err := os.ReadFile(filepath.Join(p.dir, f))
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(b), "\n")
	}
	return n
}

func TestPackageSizes(t *testing.T) {
	for path, p := range packages(t) {
		limit := maxPackageLines
		if path == "cmd/beacon" {
			limit = maxCmdBeaconLines
		}
		if n := lines(t, p); n > limit {
			t.Errorf("%s has %d non-test lines, more than %d: split it by audience or resource", path, n, limit)
		}
	}
}

// TestHandlersPerStruct counts, per receiver type, the methods shaped as
// Fiber handlers (one *fiber.Ctx parameter, an error result).
func TestHandlersPerStruct(t *testing.T) {
	counted := 0
	for path, p := range packages(t) {
		fset := token.NewFileSet()
		per := map[string]int{}
		for _, f := range p.files {
			file, err := parser.ParseFile(fset, filepath.Join(p.dir, f), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range file.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Recv == nil || !isHandler(fn.Type) {
					continue
				}
				per[receiver(fn.Recv.List[0].Type)]++
				counted++
			}
		}
		for typ, n := range per {
			if n > maxHandlers {
				t.Errorf("%s.%s carries %d handler methods, more than %d", path, typ, n, maxHandlers)
			}
		}
	}
	if counted < 50 {
		t.Errorf("found only %d handler methods in all: the check is not seeing them", counted)
	}
}

// isHandler reports whether ft is func(*fiber.Ctx) error.
func isHandler(ft *ast.FuncType) bool {
	if ft.Params == nil || len(ft.Params.List) != 1 || len(ft.Params.List[0].Names) > 1 || ft.Results == nil || len(ft.Results.List) != 1 {
		return false
	}
	star, ok := ft.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Ctx" {
		return false
	}
	id, ok := ft.Results.List[0].Type.(*ast.Ident)
	return ok && id.Name == "error"
}

// receiver names a method's receiver type.
func receiver(e ast.Expr) string {
	if star, ok := e.(*ast.StarExpr); ok {
		e = star.X
	}
	if idx, ok := e.(*ast.IndexExpr); ok {
		e = idx.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "?"
}
