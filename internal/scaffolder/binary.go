package scaffolder

import "unicode/utf8"

// isBinary approximates the isbinaryfile package Backstage uses: files that
// look binary are copied byte for byte instead of being rendered. A NUL byte
// in the first 8 KB, or mostly non-text bytes, means binary.
func isBinary(data []byte) bool {
	head := data
	if len(head) > 8000 {
		head = head[:8000]
	}
	if len(head) == 0 {
		return false
	}
	// UTF-8 BOM: text.
	if len(head) >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf {
		return false
	}
	suspicious := 0
	for i := 0; i < len(head); {
		c := head[i]
		if c == 0 {
			return true
		}
		if c < 0x80 {
			if c < 7 || (c > 14 && c < 32 && c != 27) {
				suspicious++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 {
			// A multi-byte sequence cut at the 8 KB boundary is still text.
			if len(head)-i >= utf8.UTFMax {
				suspicious++
			}
		}
		i += size
	}
	return suspicious*10 > len(head)
}
