package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/activedefense/activedefense/schema/chembed"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func cmdVersion(_ context.Context, a *app, args []string) error {
	fs := a.flagSet("version")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments"); err != nil {
		return err
	}
	fmt.Fprintf(a.io.out, "activedefense %s (%s, %s/%s; embedded engine libchdb %s)\n",
		version, runtime.Version(), runtime.GOOS, runtime.GOARCH, chembed.LibVersion)
	return nil
}
