# How testdata/golden/*.html were produced (not run by the tests):
#   for f in *.md; do /usr/bin/python3 oracle.py < $f > ${f%.md}.html; done
# with Debian 12's python3-markdown 3.4.1 and python3-pymdownx 9.5, configured
# as mkdocs-techdocs-core configures them. mermaid.html was produced with
# pymdownx.superfences alone and custom_fences=[{name: mermaid, class:
# mermaid, format: pymdownx.superfences.fence_code_format}].
import sys, markdown, pymdownx.emoji
exts = ['toc', 'admonition', 'pymdownx.details', 'pymdownx.tabbed', 'pymdownx.superfences',
        'pymdownx.highlight', 'pymdownx.extra', 'pymdownx.tasklist', 'pymdownx.emoji',
        'pymdownx.tilde', 'pymdownx.magiclink']
cfg = {'toc': {'permalink': True}, 'pymdownx.tabbed': {'alternate_style': True},
       'pymdownx.highlight': {'pygments_lang_class': True},
       'pymdownx.tasklist': {'custom_checkbox': True},
       'pymdownx.emoji': {'emoji_generator': pymdownx.emoji.to_alt}}
sys.stdout.write(markdown.markdown(sys.stdin.read(), extensions=exts, extension_configs=cfg) + "\n")
