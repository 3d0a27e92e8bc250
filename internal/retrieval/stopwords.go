package retrieval

import "strings"

// stopWords are dropped from documents and queries: they carry no topic and
// only dilute scores ("how do I ..." questions are mostly stop words). The
// list is the usual English one plus the first halves of contractions
// ("don't" splits into "don" and "t"); it is part of the index format, so changing
// it means bumping formatVersion.
var stopWords = toSet(`a about above after again against all am an and any are as at
be because been before being below between both but by can could did do does doing
down during each few for from further had has have having he her here hers herself
him himself his how i if in into is it its itself just me more most my myself no nor
not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this
those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves
aren couldn didn doesn don hadn hasn haven isn shouldn wasn weren won wouldn`)

func toSet(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}
