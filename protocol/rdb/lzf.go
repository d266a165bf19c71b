package rdb

// lzfDecompress expands LZF data (liblzf's format, which Redis uses for
// strings over 20 bytes) into exactly n bytes.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 { // a literal run of ctrl+1 bytes
			l := ctrl + 1
			if i+l > len(in) || len(out)+l > n {
				return nil, ErrBadFormat
			}
			out = append(out, in[i:i+l]...)
			i += l
			continue
		}
		l := ctrl >> 5 // a back reference
		if l == 7 {
			if i >= len(in) {
				return nil, ErrBadFormat
			}
			l += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, ErrBadFormat
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(in[i]) - 1
		i++
		l += 2
		if ref < 0 || len(out)+l > n {
			return nil, ErrBadFormat
		}
		for j := range l { // may overlap what it copies
			out = append(out, out[ref+j])
		}
	}
	if len(out) != n {
		return nil, ErrBadFormat
	}
	return out, nil
}
