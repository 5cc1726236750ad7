// Command allnet-cli is the command-line front end of allnet: training,
// evaluation, prediction and the tools around them. The commands live in
// package cli; this file only runs them and exits with their status.
package main

import (
	"os"

	"allnet/cli"
)

func main() {
	os.Exit(cli.Main(os.Args))
}
