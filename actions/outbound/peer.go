package outbound

import (
	"net/http"
	"time"
)

// Peer is what an action kind that talks HTTP needs: the client that
// sends (nil: NewClient with its defaults) and a clock for Retry-After
// dates (nil: time.Now). The http and slack kinds take it as Options.
type Peer struct {
	Client *http.Client
	Now    func() time.Time
}

// WithDefaults fills in what p leaves nil.
func (p Peer) WithDefaults() Peer {
	if p.Client == nil {
		p.Client = NewClient(Options{})
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}
