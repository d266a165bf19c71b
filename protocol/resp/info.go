package resp

import (
	"strconv"
	"strings"
)

// ParseInfo reads the text of INFO (or CLUSTER INFO): its "field:value"
// lines, skipping "# Section" lines and blank ones. A value keeps any
// colons after the first.
func ParseInfo(text string) map[string]string {
	fields := map[string]string{}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if name, value, ok := strings.Cut(line, ":"); ok {
			fields[name] = value
		}
	}
	return fields
}

// InfoInt is an integer field of ParseInfo's result, -1 if it is absent
// or not a number.
func InfoInt(fields map[string]string, name string) int64 {
	n, err := strconv.ParseInt(fields[name], 10, 64)
	if err != nil {
		return -1
	}
	return n
}
