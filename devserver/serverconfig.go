package main

import (
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/primitives"
)

const (
	clusterName = "active"
	storeName   = "sqlite"
)

// servicePorts are the gRPC ports of the four in-process services, plus the
// frontend HTTP API port (0 = disabled).
type servicePorts struct {
	frontend, frontendHTTP, history, matching, worker int
}

// serverConfig builds the static server configuration: one history shard,
// SQLite for both stores, a single local cluster, no archival. The cluster ID
// is left empty: the server generates one on first start and keeps the one
// stored in the database afterwards.
//
// No membership ports are configured: with static hosts (see newTemporalServer)
// the services find each other by these gRPC addresses and no gossip
// listener is started.
func serverConfig(ip string, ports servicePorts, sqlConf *config.SQL) *config.Config {
	frontendAddr := hostPort(ip, ports.frontend)
	httpAddr := ""
	if ports.frontendHTTP > 0 {
		httpAddr = hostPort(ip, ports.frontendHTTP)
	}

	var c config.Config
	c.Global.Membership.MaxJoinDuration = 30 * time.Second
	c.Global.Membership.BroadcastAddress = ip

	c.Persistence.DefaultStore = storeName
	c.Persistence.VisibilityStore = storeName
	c.Persistence.NumHistoryShards = 1
	c.Persistence.DataStores = map[string]config.DataStore{storeName: {SQL: sqlConf}}

	c.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontendAddr,
				HTTPAddress:            httpAddr,
			},
		},
	}
	c.DCRedirectionPolicy.Policy = "noop"

	c.Services = map[string]config.Service{
		string(primitives.FrontendService): serviceConfig(ip, ports.frontend, ports.frontendHTTP),
		string(primitives.HistoryService):  serviceConfig(ip, ports.history, 0),
		string(primitives.MatchingService): serviceConfig(ip, ports.matching, 0),
		string(primitives.WorkerService):   serviceConfig(ip, ports.worker, 0),
	}

	c.Archival.History.State = "disabled"
	c.Archival.Visibility.State = "disabled"
	c.NamespaceDefaults.Archival.History.State = "disabled"
	c.NamespaceDefaults.Archival.Visibility.State = "disabled"

	c.PublicClient.HostPort = frontendAddr
	return &c
}

func serviceConfig(ip string, grpcPort, httpPort int) config.Service {
	var s config.Service
	s.RPC.BindOnIP = ip
	s.RPC.GRPCPort = grpcPort
	s.RPC.HTTPPort = httpPort
	return s
}
