package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/cli.md's generated help blocks")

const cliDoc = "../../docs/cli.md"

// docBlock is what docs/cli.md shows of a command, generated as its help
// is: the synopsis and its own flags ("global" is the global flags).
func docBlock(name string) string {
	if name == "global" {
		return globalFlagsHelp()
	}
	c := findCommand(name)
	if c == nil {
		return ""
	}
	usage := c.usage()
	text := usage[:strings.Index(usage, "\n\n")+1] // the synopsis
	if own := c.ownFlagsHelp(); own != "" {
		text += "\nflags:\n" + own
	}
	return text
}

// helpBlock matches a generated block: a marker naming the command, then
// a text block.
var helpBlock = regexp.MustCompile("(?s)<!-- help: ([a-z]+) -->\n```text\n(.*?)```\n")

// TestDocsCLIMatchesHelp: docs/cli.md shows every command's synopsis and
// flags exactly as the command's help generates them from its flag set,
// so the reference cannot drift from the command. Regenerate with
// go test ./cmd/guapocado -run TestDocsCLIMatchesHelp -update-docs.
func TestDocsCLIMatchesHelp(t *testing.T) {
	raw, err := os.ReadFile(cliDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	if *updateDocs {
		doc = helpBlock.ReplaceAllStringFunc(doc, func(m string) string {
			name := helpBlock.FindStringSubmatch(m)[1]
			return "<!-- help: " + name + " -->\n```text\n" + docBlock(name) + "```\n"
		})
		if err := os.WriteFile(cliDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shown := map[string]bool{}
	for _, m := range helpBlock.FindAllStringSubmatch(doc, -1) {
		name, got := m[1], m[2]
		shown[name] = true
		want := docBlock(name)
		if want == "" {
			t.Errorf("docs/cli.md shows help for %q, which is no command", name)
		} else if got != want {
			t.Errorf("docs/cli.md's help for %s differs from the generated help:\n--- docs/cli.md\n%s--- generated\n%s", name, got, want)
		}
	}
	for _, name := range append([]string{"global"}, commandNames()...) {
		if !shown[name] {
			t.Errorf("docs/cli.md shows no generated help for %s", name)
		}
	}
}

func commandNames() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}
