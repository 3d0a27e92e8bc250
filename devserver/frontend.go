package main

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// workflowServiceName is the gRPC health-check name of the frontend.
const workflowServiceName = "temporal.api.workflowservice.v1.WorkflowService"

// frontendClient is a gRPC connection to our own frontend, used to check
// readiness and register search attributes.
type frontendClient struct {
	conn     *grpc.ClientConn
	health   healthpb.HealthClient
	workflow workflowservice.WorkflowServiceClient
	operator operatorservice.OperatorServiceClient
}

func dialFrontend(addr string) (*frontendClient, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connecting to frontend %s: %w", addr, err)
	}
	return &frontendClient{
		conn:     conn,
		health:   healthpb.NewHealthClient(conn),
		workflow: workflowservice.NewWorkflowServiceClient(conn),
		operator: operatorservice.NewOperatorServiceClient(conn),
	}, nil
}

func (c *frontendClient) close() { _ = c.conn.Close() }

// waitServing polls until the frontend reports SERVING and every namespace
// can be described (i.e. the namespace registry has loaded them).
func (c *frontendClient) waitServing(ctx context.Context, namespaces []string) error {
	var lastErr error
	for {
		if lastErr = c.checkServing(ctx, namespaces); lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("frontend not ready: %w (last error: %v)", context.Cause(ctx), lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *frontendClient) checkServing(ctx context.Context, namespaces []string) error {
	callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.health.Check(callCtx, &healthpb.HealthCheckRequest{Service: workflowServiceName})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health status %s", resp.GetStatus())
	}
	for _, ns := range namespaces {
		if _, err := c.workflow.DescribeNamespace(callCtx, &workflowservice.DescribeNamespaceRequest{Namespace: ns}); err != nil {
			return fmt.Errorf("describe namespace %q: %w", ns, err)
		}
	}
	return nil
}

// ensureSearchAttributes registers the attributes a namespace lacks. This
// matters for existing database files, whose namespaces were created with an
// earlier set. An attribute that exists with another type is an error.
func (c *frontendClient) ensureSearchAttributes(ctx context.Context, namespace string, attrs []searchAttribute) error {
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := c.operator.ListSearchAttributes(callCtx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("listing search attributes of %q: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, sa := range attrs {
		existing, ok := list.GetCustomAttributes()[sa.Name]
		if !ok {
			missing[sa.Name] = sa.Type
			continue
		}
		if existing != sa.Type {
			return fmt.Errorf("search attribute %s in namespace %q is already registered as %s, not %s",
				sa.Name, namespace, typeName(existing), typeName(sa.Type))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.operator.AddSearchAttributes(callCtx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("adding search attributes to %q: %w", namespace, err)
	}
	return nil
}
