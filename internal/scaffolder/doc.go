// Package scaffolder is Rigger's Backstage software-template engine: it
// parses scaffolder.backstage.io/v1beta3 templates, validates submitted
// values against their parameter pages, renders ${{ }} expressions in step
// inputs the way Backstage's NunjucksWorkflowRunner does (a lone expression
// keeps its type), and renders skeleton directories for fetch:template,
// fetch:template:file and fetch:plain into memory or a workspace directory.
//
// It has no Temporal in it: the workflow and the actions call it. Everything
// here is deterministic for the same inputs, so workflow code may call the
// pure parts (Parse, Engine.RenderValue) directly; anything touching a
// workspace belongs in an activity.
//
// The template language itself lives in the nunjucks sub-package; see its
// doc for why it is a focused reimplementation rather than a Jinja engine.
package scaffolder
