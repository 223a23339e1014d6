package main

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"text/tabwriter"
)

// commandFlags is the flag set a command parses: the global flags and the
// command's own, declared on an app with a fresh run's defaults, so that
// help does not depend on the environment.
func commandFlags(c *command) *flag.FlagSet {
	a := &app{timeout: defaultTimeout}
	fs := a.flags(c.name)
	c.bind(a, fs)
	return fs
}

// globalFlagSet is the flag set of the flags every command accepts.
func globalFlagSet() *flag.FlagSet {
	a := &app{timeout: defaultTimeout}
	return a.flags("guapocado")
}

// flagLines renders the flags of fs that keep accepts, one a line:
// "--name PLACEHOLDER  usage (default D)", the placeholder and the usage as
// flag.UnquoteUsage reads them.
func flagLines(fs *flag.FlagSet, keep func(name string) bool) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		if !keep(f.Name) {
			return
		}
		placeholder, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if placeholder != "" {
			name += " " + placeholder
		}
		if !zeroDefault(f) {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
	})
	tw.Flush()
	return b.String()
}

// zeroDefault reports whether a flag's default is its type's zero value
// (not worth printing).
func zeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "0s":
		return true
	}
	return false
}

func isGlobal(name string) bool { return globalFlagNames[name] }
func isOwn(name string) bool    { return !globalFlagNames[name] }

// globalFlagsHelp lists the flags every command accepts.
func globalFlagsHelp() string {
	return "global flags (anywhere on the line):\n" + flagLines(globalFlagSet(), isGlobal)
}

// ownFlagsHelp lists a command's own flags ("" when it has none).
func (c *command) ownFlagsHelp() string {
	return flagLines(commandFlags(c), isOwn)
}

// usage is the command's help: synopsis, what it does, its own flags (from
// its flag set) and the global ones.
func (c *command) usage() string {
	var b strings.Builder
	for i, s := range c.synopsis {
		if i == 0 {
			b.WriteString("usage: guapocado " + s + "\n")
		} else {
			b.WriteString("       guapocado " + s + "\n")
		}
	}
	b.WriteString("\n" + c.help + "\n")
	if own := c.ownFlagsHelp(); own != "" {
		b.WriteString("\nflags:\n" + own)
	}
	b.WriteString("\n" + globalFlagsHelp())
	return b.String()
}

// fullUsage lists every command.
func fullUsage() string {
	var b strings.Builder
	b.WriteString("usage: guapocado [global flags] <command> [arguments]\n\ncommands:\n")
	for _, c := range commands {
		for _, s := range c.synopsis {
			b.WriteString("  " + s + "\n")
		}
	}
	b.WriteString("\nRun guapocado help <command> for one command's flags.\n\n")
	b.WriteString(globalFlagsHelp())
	b.WriteString("\nenvironment: GUAPOCADO_BASE_URL, GUAPOCADO_EMAIL, GUAPOCADO_PASSWORD, GUAPOCADO_API_KEY, GUAPOCADO_API_URL\n\n")
	b.WriteString(exitCodes)
	return b.String()
}

// flagNameInError matches a flag name as the flag package prints it in its
// errors ("-timeout").
var flagNameInError = regexp.MustCompile(`(^|: |for flag |for )-([A-Za-z0-9][A-Za-z0-9-]*)`)

// flagError rewrites a flag package error to name flags as help does
// (--timeout, not -timeout).
func flagError(err error) string {
	msg := err.Error()
	msg = strings.Replace(msg, "flag provided but not defined: ", "unknown flag: ", 1)
	return flagNameInError.ReplaceAllString(msg, "${1}--${2}")
}
