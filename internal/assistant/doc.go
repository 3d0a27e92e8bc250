// Package assistant holds the pure parts of the AI-assistant tasks: the
// prompts for "ask the docs", "draft a template" and "explain a run", the
// citations an answer makes, and pulling a template out of a model's reply.
//
// It has no Temporal, network or clock in it, so the AssistantTask workflow
// calls it directly (the prompts it builds are recorded in history as the
// LLM activity's input) and tests read it as plain functions.
package assistant
