// Command techdocs-build is the TechDocs builder as a bare process:
// `techdocs-build [--strict] <source-dir> <out-dir>`. It exists so the
// benchmark can time a whole process (cold start included) against
// `mkdocs build` without the rest of the rigger binary; users run
// `rigger techdocs build`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/rigger-platform/rigger/internal/techdocs"
)

func main() {
	strict := flag.Bool("strict", false, "fail on warnings")
	quiet := flag.Bool("q", false, "do not print warnings")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: techdocs-build [--strict] [-q] <source-dir> <out-dir>")
		os.Exit(2)
	}
	res, err := techdocs.Build(context.Background(), techdocs.Options{SourceDir: flag.Arg(0), OutDir: flag.Arg(1), Strict: *strict})
	if res != nil && !*quiet {
		for _, w := range res.Warnings {
			fmt.Fprintln(os.Stderr, "WARNING:", w)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
