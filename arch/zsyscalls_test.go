package arch

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch/internal/gen"
)

// TestGeneratedUpToDate regenerates zsyscalls.go in memory and compares it
// with the committed file, so a changed data file or x/sys version cannot go
// unnoticed.
func TestGeneratedUpToDate(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("cannot locate golang.org/x/sys (go list: %v); skipping the regeneration check", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("golang.org/x/sys module directory %s absent (%v); skipping the regeneration check", dir, err)
	}
	want, err := gen.Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zsyscalls.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zsyscalls.go is stale: run go generate ./arch")
	}
	again, err := gen.Generate(dir)
	if err != nil || !bytes.Equal(again, want) {
		t.Fatal("the generator is not deterministic")
	}
}
