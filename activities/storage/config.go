package storage

import "fmt"

// Config selects and configures a backend; the worker fills it from its
// environment.
type Config struct {
	Backend string // "local" or "s3"

	// local
	Dir string

	// s3
	Endpoint  string // host[:port] or http(s)://host[:port]; empty means AWS
	Region    string
	Bucket    string
	AccessKey string // empty: AWS/MinIO environment variables, then the instance/pod role
	SecretKey string
	PathStyle bool // bucket in the path (MinIO, Ceph) instead of the host name
	Insecure  bool // plain HTTP for a host[:port] endpoint
}

// FromConfig opens the configured backend.
func FromConfig(cfg Config) (Store, error) {
	switch cfg.Backend {
	case "local":
		return NewLocal(cfg.Dir)
	case "s3":
		return NewS3(cfg)
	default:
		return nil, fmt.Errorf("storage: unknown backend %q (want \"local\" or \"s3\")", cfg.Backend)
	}
}

// String leaves the secret key out, so a Config can be logged.
func (c Config) String() string {
	secret := ""
	if c.SecretKey != "" {
		secret = "<redacted>"
	}
	return fmt.Sprintf("{Backend:%s Dir:%s Endpoint:%s Region:%s Bucket:%s AccessKey:%s SecretKey:%s PathStyle:%t Insecure:%t}",
		c.Backend, c.Dir, c.Endpoint, c.Region, c.Bucket, c.AccessKey, secret, c.PathStyle, c.Insecure)
}
