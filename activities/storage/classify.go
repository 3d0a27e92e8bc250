package storage

// Classify turns a Store error into what an activity should return: a
// non-retryable application error for what no retry can fix (invalid key,
// access denied, missing bucket), a retryable one otherwise, and context
// errors unchanged. Activities of other packages that write through a Store
// (TechDocs publishing, invoices) use it so storage failures are typed alike.
func Classify(err error) error { return classify(err) }
