// Package glob matches Redis's glob-style patterns, as KEYS, SCAN MATCH,
// CONFIG GET and COMMAND LIST FILTERBY PATTERN use them.
package glob

// Match reports whether s matches the Redis glob pattern p: '*' any
// run, '?' any byte, '[...]' a set or range ('^' negates), '\' escapes.
// It is Redis's stringmatchlen, iterative with one backtrack point for
// '*', so a hostile pattern costs O(len(p)*len(s)), never exponential.
func Match(p, s []byte) bool {
	if len(s) == 0 {
		// Redis's loop never starts on an empty string: only the empty
		// pattern matches it ("*" does not; KEYS * and SCAN MATCH * skip
		// matching altogether).
		return len(p) == 0
	}
	var starP, starS = -1, 0
	pi, si := 0, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				for pi < len(p) && p[pi] == '*' {
					pi++
				}
				if pi == len(p) {
					return true
				}
				starP, starS = pi, si
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if end, ok := matchClass(p, pi, s[si]); ok {
					pi = end
					si++
					continue
				}
			case '\\':
				if pi+1 < len(p) {
					if p[pi+1] == s[si] {
						pi += 2
						si++
						continue
					}
					break
				}
				fallthrough
			default:
				if p[pi] == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchClass matches ch against the class starting at p[i] == '['. It
// returns the index after the class and whether ch is in it. An
// unterminated class runs to the end of the pattern, as in Redis.
func matchClass(p []byte, i int, ch byte) (int, bool) {
	i++
	not := i < len(p) && p[i] == '^'
	if not {
		i++
	}
	match := false
	for i < len(p) && p[i] != ']' {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			i++
			if p[i] == ch {
				match = true
			}
			i++
		case i+2 < len(p) && p[i+1] == '-': // as in Redis, even "[a-]" is a range, to ']'
			lo, hi := p[i], p[i+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if ch >= lo && ch <= hi {
				match = true
			}
			i += 3
		default:
			if p[i] == ch {
				match = true
			}
			i++
		}
	}
	if i < len(p) {
		i++ // the ']'
	}
	return i, match != not
}
