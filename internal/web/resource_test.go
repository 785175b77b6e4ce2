package web

import (
	"fmt"
	"testing"
	"time"
)

// TestResourcesRenderOutsideTheLock: a rendering that is slow (or never
// ends) holds up no other key, and what is kept stays bounded by Max.
func TestResourcesRenderOutsideTheLock(t *testing.T) {
	rs := &Resources{Max: 2}
	release := make(chan struct{})
	started := make(chan struct{})
	slow := make(chan *Resource)
	go func() {
		slow <- rs.Get("slow", func() *Resource {
			close(started)
			<-release
			return NewResource([]byte("slow"))
		})
	}()
	<-started
	other := make(chan *Resource)
	go func() { other <- rs.Get("other", func() *Resource { return NewResource([]byte("other")) }) }()
	select {
	case r := <-other:
		if string(r.body) != "other" {
			t.Errorf("other: got %q", r.body)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("a second key waited for the first one's rendering")
	}
	close(release)
	if r := <-slow; string(r.body) != "slow" {
		t.Errorf("slow: got %q", r.body)
	}
	// Both are kept; a third is rendered each time and not kept.
	renders := 0
	for i := range 3 {
		r := rs.Get("third", func() *Resource { renders++; return NewResource(fmt.Appendf(nil, "third %d", i)) })
		if string(r.body) != fmt.Sprintf("third %d", i) {
			t.Errorf("third, request %d: got %q", i, r.body)
		}
	}
	if renders != 3 || rs.Len() != 2 {
		t.Errorf("%d renders of a key past Max, %d kept; want 3 and 2", renders, rs.Len())
	}
}
