package main

import (
	"flag"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// flagMentions returns the flags (without dashes) that text names as
// --name, sorted.
func flagMentions(text string) []string {
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:^|[^\w-])--([a-z][a-z0-9-]*)`).FindAllStringSubmatch(text, -1) {
		seen[m[1]] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// helpProblems lists what is wrong with a command's help: a flag without
// help text, a flag whose placeholder is not named in its help, a flag
// listed other than once, or a flag named in the synopsis or the text that
// the command does not parse.
func helpProblems(c *command) []string {
	var problems []string
	fs := commandFlags(c)
	usage := c.usage()
	fs.VisitAll(func(f *flag.Flag) {
		if strings.TrimSpace(f.Usage) == "" {
			problems = append(problems, "--"+f.Name+" has no help")
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !(ok && b.IsBoolFlag()) && !strings.Contains(f.Usage, "`") {
			problems = append(problems, "--"+f.Name+" takes a value but its help names no `PLACEHOLDER`")
		}
		if n := len(regexp.MustCompile(`(?m)^  --`+regexp.QuoteMeta(f.Name)+`( |$)`).FindAllString(usage, -1)); n != 1 {
			problems = append(problems, "--"+f.Name+" is listed "+string(rune('0'+n))+" times")
		}
	})
	for _, name := range flagMentions(strings.Join(c.synopsis, "\n") + "\n" + c.help) {
		if fs.Lookup(name) == nil && name != "version" {
			problems = append(problems, "the help names --"+name+", which "+c.name+" does not have")
		}
	}
	return problems
}

// TestHelpIsGeneratedFromFlagSets: every command's help lists exactly the
// flags its flag set parses, each once and with help, and names no flag
// that does not exist.
func TestHelpIsGeneratedFromFlagSets(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		for _, p := range helpProblems(c) {
			t.Errorf("%s: %s", c.name, p)
		}
	}
	top := globalFlagSet()
	top.Bool("version", false, "")
	for _, name := range flagMentions(fullUsage()) {
		exists := top.Lookup(name) != nil
		for _, c := range commands {
			exists = exists || commandFlags(c).Lookup(name) != nil
		}
		if !exists {
			t.Errorf("guapocado help names --%s, which does not exist", name)
		}
	}
	// The drifts of the hand-written help are gone.
	for cmd, want := range map[string]string{"fake": "--cors ORIGINS", "usage": "--retry-wait D", "login": "--client-id ID"} {
		if !strings.Contains(findCommand(cmd).usage(), "\n  "+want) {
			t.Errorf("help %s lacks %s", cmd, want)
		}
	}
}

// TestHelpCheckFails: the check above fails on help that names a flag the
// command lacks, on a flag without help and on a flag without placeholder.
func TestHelpCheckFails(t *testing.T) {
	t.Parallel()
	bad := &command{name: "bad", synopsis: []string{"bad [--nope]"}, help: "Uses --gone.",
		bind: func(a *app, fs *flag.FlagSet) func([]string) error {
			fs.String("quiet", "", "")
			fs.Int("count", 1, "how many")
			return nil
		}}
	got := strings.Join(helpProblems(bad), "\n")
	for _, want := range []string{"--quiet has no help", "--count takes a value but its help names no `PLACEHOLDER`",
		"names --nope, which bad does not have", "names --gone, which bad does not have"} {
		if !strings.Contains(got, want) {
			t.Errorf("the check missed %q:\n%s", want, got)
		}
	}
}

// TestFlagErrorsNameFlagsAsHelpDoes: flag errors say --flag, as help does.
func TestFlagErrorsNameFlagsAsHelpDoes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plans", "--no-such-flag"}, "guapocado: plans: unknown flag: --no-such-flag\n"},
		{[]string{"-no-such-flag", "plans"}, "guapocado: unknown flag: --no-such-flag\n"},
		{[]string{"has", "x", "--timeout", "soon"}, `guapocado: has: invalid value "soon" for flag --timeout: parse error` + "\n"},
		{[]string{"orgs", "create", "x", "--slug"}, "guapocado: orgs: flag needs an argument: --slug\n"},
		{[]string{"usage", "balance", "api-calls", "--batch", "x"}, "guapocado: usage balance: --batch is a flag of usage import\n"},
	} {
		r := h.run(tc.args...)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want it to start with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
