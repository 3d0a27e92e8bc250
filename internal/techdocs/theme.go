package techdocs

import (
	"fmt"
	"strings"
	"sync"
)

// themeCSS is the one stylesheet the site ships. Inside Backstage the
// TechDocs reader drops the header and footer and applies its own theme to
// the md-* classes, so this only has to make the site readable when opened
// directly, plus the Pygments token colours for code (pygmentsCSS).
var themeCSS = sync.OnceValue(func() string {
	var b strings.Builder
	b.WriteString(baseCSS)
	// pymdownx.tabbed is CSS-only: the checked radio shows its block.
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, ".tabbed-set>input:nth-child(%d):checked~.tabbed-content>.tabbed-block:nth-child(%d){display:block}\n", i, i)
		fmt.Fprintf(&b, ".tabbed-set>input:nth-child(%d):checked~.tabbed-labels>label:nth-child(%d){border-color:currentColor}\n", i, i)
	}
	b.WriteString(pygmentsCSS)
	return b.String()
})

const baseCSS = `/* Rigger TechDocs: minimal styles for the mkdocs-material class names. */
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.6;color:#1f2328}
a{color:#0969da}
.md-grid{max-width:1220px;margin:0 auto;padding:0 1rem}
.md-header{background:#3f51b5;color:#fff}
.md-header__inner{display:flex;gap:1rem;align-items:center;min-height:3rem}
.md-header a{color:#fff;text-decoration:none;font-weight:bold}
.md-main__inner{display:flex;gap:2rem;align-items:flex-start}
.md-sidebar{flex:0 0 12rem;position:sticky;top:0;font-size:.9rem}
.md-sidebar--secondary{order:3}
.md-content{flex:1;min-width:0;order:2}
.md-nav__list{list-style:none;margin:0;padding-left:.6rem}
.md-nav__title{display:block;font-weight:bold;margin:.5rem 0}
.md-nav__link--active{font-weight:bold}
.md-toggle{display:none}
.md-content__button{float:right;font-size:.8rem}
.md-footer{margin-top:2rem;border-top:1px solid #d0d7de;font-size:.9rem}
.md-footer__inner{display:flex;justify-content:space-between;padding:1rem}
.md-typeset table{border-collapse:collapse}
.md-typeset th,.md-typeset td{border:1px solid #d0d7de;padding:.3rem .6rem}
.headerlink{margin-left:.4rem;opacity:.3;text-decoration:none}
.admonition,details{border-left:4px solid #448aff;background:#f5f8ff;padding:.2rem 1rem;margin:1rem 0}
.admonition.warning,details.warning,.admonition.danger,details.danger{border-color:#ff9100}
.admonition-title,summary{font-weight:bold}
.highlight pre{background:#f6f8fa;padding:.8rem;overflow:auto}
.highlight .filename{display:block;font-weight:bold;font-size:.85rem}
.tabbed-set{display:flex;flex-wrap:wrap;margin:1rem 0}
.tabbed-set>input{display:none}
.tabbed-labels{display:flex;gap:1rem;width:100%}
.tabbed-labels>label{cursor:pointer;border-bottom:2px solid transparent}
.tabbed-content{width:100%}
.tabbed-block{display:none}
.task-list{list-style:none;padding-left:1rem}
.footnote{font-size:.85rem}
`
