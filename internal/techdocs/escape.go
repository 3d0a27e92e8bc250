package techdocs

import "strings"

// Python-Markdown escapes text as &, < and > only (quotes stay literal) and
// attribute values additionally escape the double quote. Matching that keeps
// our output byte-comparable with theirs.
var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
)

func escText(s string) string { return textEscaper.Replace(s) }
func escAttr(s string) string { return attrEscaper.Replace(s) }
