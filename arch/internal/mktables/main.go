// Command mktables writes arch/zsyscalls.go. Run it from the arch directory
// with go generate; it needs golang.org/x/sys (the version go.mod requires)
// in the module cache and nothing from the network.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/seccompile/seccompile/arch/internal/gen"
)

func main() {
	out := flag.String("o", "zsyscalls.go", "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mktables:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil {
		return fmt.Errorf("locating golang.org/x/sys: %w", err)
	}
	src, err := gen.Generate(strings.TrimSpace(string(dir)))
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}
