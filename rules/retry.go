package rules

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

var retryKeys = []string{"attempts", "backoff", "max_backoff"}

// retry reads `{attempts, backoff, max_backoff}`; absent fields keep base.
func (s scope) retry(n *yaml.Node, base Retry) Retry {
	if n.Kind != yaml.MappingNode {
		s.errorf(n, "retry: expected a mapping with %s, got %s", "attempts, backoff, max_backoff", kindName(n))
		return base
	}
	r := base
	for _, p := range s.keys(n, retryKeys) {
		switch p.key.Value {
		case "attempts":
			r.Attempts = s.attempts(p.value, r.Attempts)
		case "backoff":
			r.Backoff = s.duration(p.value, r.Backoff)
		case "max_backoff":
			r.MaxBackoff = s.duration(p.value, r.MaxBackoff)
		}
	}
	if r.MaxBackoff < r.Backoff {
		s.errorf(n, "retry: max_backoff %s is shorter than backoff %s", r.MaxBackoff, r.Backoff)
	}
	return r
}

func (s scope) attempts(n *yaml.Node, old int) int {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < 1 {
		s.errorf(n, "retry: attempts must be a whole number of at least 1")
		return old
	}
	return v
}

func (s scope) duration(n *yaml.Node, old time.Duration) time.Duration {
	d, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || d <= 0 {
		s.errorf(n, "retry: %q is not a positive duration like 10s or 1h", n.Value)
		return old
	}
	return d
}
