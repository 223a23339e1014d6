package journal

import (
	"regexp"

	"github.com/riverqueue/river/riverdriver"
)

var numbered = regexp.MustCompile(`\$(\d+)`)

// dialect writes the journal's SQL for the driver's database: queries are
// written with PostgreSQL's $N and become SQLite's ?N.
type dialect struct{ sqlite bool }

func dialectOf(name string) dialect { return dialect{sqlite: name == riverdriver.DatabaseNameSQLite} }

func (d dialect) q(sql string) string {
	if d.sqlite {
		return numbered.ReplaceAllString(sql, "?$1")
	}
	return sql
}
