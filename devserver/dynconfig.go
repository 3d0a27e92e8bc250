package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/server/common/dynamicconfig"
)

// devDynamicConfig are the dynamic config overrides that make the server
// pleasant for local development and tests. --dynamic-config-value wins.
func devDynamicConfig() map[dynamicconfig.Key]any {
	return map[dynamicconfig.Key]any{
		// New search attributes (and Nexus endpoints) are visible at once
		// instead of after the cache refresh interval.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		dynamicconfig.ForceNexusEndpointRefreshOnRead.Key():         true,
		// Bypassing those caches costs persistence reads: raise the limits.
		dynamicconfig.FrontendPersistenceMaxQPS.Key(): 10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():  45000,
		// Tests poll visibility a lot; the default of 10 RPS throttles them.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Keep memory modest: 8k cached executions instead of 128k.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8096,
		// On by default in v1.32, pinned so Rigger can rely on them.
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		dynamicconfig.FrontendEnableSchedules.Key():                            true,
	}
}

// buildDynamicConfig merges dev defaults and user overrides into a static
// dynamic config client.
func buildDynamicConfig(overrides map[string]any) dynamicconfig.StaticClient {
	dc := dynamicconfig.StaticClient{}
	for k, v := range devDynamicConfig() {
		dc[k] = v
	}
	for k, v := range overrides {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	return dc
}

// parseDynamicConfigValues parses repeated KEY=JSON flags. Whole JSON numbers
// become int, because the server's int settings reject float64.
func parseDynamicConfigValues(flags []string) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range flags {
		key, raw, ok := strings.Cut(f, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, fmt.Errorf("--dynamic-config-value %q: want KEY=JSON_VALUE", f)
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("--dynamic-config-value %q: value is not JSON: %w", f, err)
		}
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				v = int(i)
			} else if fl, err := n.Float64(); err == nil {
				v = fl
			}
		}
		out[key] = v
	}
	return out, nil
}
