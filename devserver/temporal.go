package main

import (
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// newTemporalServer assembles frontend, history, matching and worker in this
// process. Static hosts replace gossip membership: each service is a single
// host at its configured gRPC address.
func newTemporalServer(conf *config.Config, ip string, ports servicePorts, logger log.Logger, dc dynamicconfig.Client) (temporal.Server, error) {
	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(hostPort(ip, ports.frontend)),
		primitives.HistoryService:  static.SingleLocalHost(hostPort(ip, ports.history)),
		primitives.MatchingService: static.SingleLocalHost(hostPort(ip, ports.matching)),
		primitives.WorkerService:   static.SingleLocalHost(hostPort(ip, ports.worker)),
	}
	claimMapper := authorization.NewNoopClaimMapper()
	return temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dc),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
	)
}
