package chembed_test

import (
	"errors"
	"os/exec"
)

func execCommand(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
