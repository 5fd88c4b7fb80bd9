// Package layers holds the test of the project's import rules: the
// hexagon's layers, each allowed only the imports written here.
package layers

import (
	"go/build"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/flashpromo/flashpromo/"

// rules: for each layer (a package path prefix), the module's packages it
// may import. The standard library and third-party modules are free, but
// for domain, which imports the standard library only.
var rules = []struct {
	layer string
	may   []string
}{
	{"domain", nil},
	{"app", []string{"domain"}},
	{"eventstore", []string{"eventstore"}}, // generic: never the domain
	{"internal/topology", nil},
	{"adapters", []string{"domain", "app", "eventstore", "internal/topology", "adapters"}},
	{"ports", []string{"domain", "app", "eventstore", "internal/topology", "ports", "docs"}},
	// The wiring: it builds every part and connects them.
	{"internal/service", []string{"domain", "app", "eventstore", "internal/topology", "adapters", "ports"}},
}

// importedOnlyBy: a package of the module, and the only ones that may
// import it (its own tests aside). The wiring is run by commands; a layer
// that imported it would import every other layer.
var importedOnlyBy = map[string][]string{
	"internal/service": {"cmd"},
}

func TestLayersImportOnlyWhatTheyMay(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	for _, r := range rules {
		err := filepath.WalkDir(filepath.Join(root, r.layer), func(dir string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() || strings.Contains(dir, "testdata") {
				return err
			}
			pkg, err := build.ImportDir(dir, 0)
			if err != nil {
				return nil // no Go files here
			}
			rel, _ := filepath.Rel(root, dir)
			for _, imp := range pkg.Imports { // non-test files only: tests may reach further
				check(t, r.layer, filepath.ToSlash(rel), imp, r.may)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func check(t *testing.T, layer, pkg, imp string, may []string) {
	t.Helper()
	own, ok := strings.CutPrefix(imp, module)
	switch {
	case layer == "domain" && strings.Contains(imp, "."):
		t.Errorf("%s imports %s: domain imports the standard library only", pkg, imp)
	case !ok:
		return
	case !allowed(own, may):
		t.Errorf("%s imports %s: %s may import only %v of the module", pkg, imp, layer, may)
	}
}

func allowed(own string, may []string) bool {
	for _, m := range may {
		if own == m || strings.HasPrefix(own, m+"/") {
			return true
		}
	}
	return false
}

func TestOnlyCommandsImportTheWiring(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	err := filepath.WalkDir(root, func(dir string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || strings.Contains(dir, "testdata") || strings.HasPrefix(d.Name(), ".") && dir != root {
			return err
		}
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, dir)
		rel = filepath.ToSlash(rel)
		for _, imp := range slices.Concat(pkg.Imports, pkg.TestImports, pkg.XTestImports) {
			own, ok := strings.CutPrefix(imp, module)
			importers, guarded := importedOnlyBy[own]
			if ok && guarded && rel != own && !allowed(rel, importers) {
				t.Errorf("%s imports %s: only %v may", rel, imp, importers)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
