// Package retrieval is the "ask the docs" search: a BM25F index (title and
// body fields) over the sections MkDocs writes to search_index.json, built
// per tenant from that tenant's published TechDocs only.
//
// No external vector database: sections are short, questions share words
// with the answers often enough, and a lexical index is exact about tenant
// boundaries (an index contains what it was built from and nothing else),
// cheap to rebuild, and serialisable so it can be cached next to the docs.
//
// Storage layout assumed by LoadTenantIndex (the TechDocs publisher must
// agree): every published site keeps MkDocs' index at
//
//	tenants/<slug>/techdocs/<namespace>/<kind>/<name>/search/search_index.json
//
// and the site's base location, prefixed to each document location, is
// "<namespace>/<kind>/<name>" — the same triplet Backstage uses in TechDocs
// URLs (/docs/<namespace>/<kind>/<name>/<page>).
package retrieval
