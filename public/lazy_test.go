package public

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/web"
)

// TestLazyRendersApart: a slow render holds up its own key only. The first
// render waits until another key's page is rendered and served; were the
// renders serialised, it would wait in vain (the deadline only turns that
// deadlock into a failure).
func TestLazyRendersApart(t *testing.T) {
	var s snapshot
	other := make(chan struct{})
	slow := make(chan error, 1)
	go func() {
		_, err := s.lazy("slow", func() (*web.Resource, error) {
			select {
			case <-other:
				return web.NewResource([]byte("slow")), nil
			case <-time.After(10 * time.Second):
				return nil, errors.New("the other key's page waited for this render")
			}
		})
		slow <- err
	}()
	// Let the slow render start before the other key is asked for.
	for {
		s.lazyPages.mu.Lock()
		started := s.lazyPages.rendering["slow"] != nil
		s.lazyPages.mu.Unlock()
		if started {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := s.lazy("fast", func() (*web.Resource, error) { return web.NewResource([]byte("fast")), nil }); err != nil {
		t.Fatal(err)
	}
	close(other)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

// TestLazyOneRenderPerKey: requests for a page being rendered wait for
// that render and share it; a render cancelled with its request is
// rendered again by the next waiting request, not handed to it as an error.
func TestLazyOneRenderPerKey(t *testing.T) {
	var s snapshot
	var renders atomic.Int32
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := s.lazy("page", func() (*web.Resource, error) {
			renders.Add(1)
			<-release
			return nil, context.Canceled // the first request went away
		})
		first <- err
	}()
	for renders.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	waiter := make(chan error, 1)
	go func() {
		r, err := s.lazy("page", func() (*web.Resource, error) {
			renders.Add(1)
			return web.NewResource([]byte("page")), nil
		})
		if err == nil && r == nil {
			err = errors.New("no page")
		}
		waiter <- err
	}()
	// Give the waiter time to queue behind the render (scheduled late, it
	// finds the render done and renders itself: the test still holds).
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("first render: %v, want its cancellation", err)
	}
	if err := <-waiter; err != nil {
		t.Fatalf("the waiting request got %v", err)
	}
	if n := renders.Load(); n != 2 {
		t.Errorf("%d renders, want 2: the cancelled one and the waiter's own", n)
	}
	if _, err := s.lazy("page", func() (*web.Resource, error) { return nil, errors.New("rendered a third time") }); err != nil {
		t.Errorf("the page was not kept: %v", err)
	}
}

// TestLazyBoundedByBytes: the pages rendered on demand are dropped when
// their bodies would pass maxLazyBytes, so that every page of history in
// every language cannot hold the memory of a snapshot without bound.
func TestLazyBoundedByBytes(t *testing.T) {
	var s snapshot
	page := make([]byte, 1<<20)
	n := maxLazyBytes/len(page) + 5
	for i := range n {
		if _, err := s.lazy(fmt.Sprint("history:", i), func() (*web.Resource, error) { return web.NewResource(page), nil }); err != nil {
			t.Fatal(err)
		}
	}
	s.lazyPages.mu.Lock()
	defer s.lazyPages.mu.Unlock()
	if s.lazyPages.size > maxLazyBytes || len(s.lazyPages.pages)*len(page) != s.lazyPages.size {
		t.Errorf("after %d pages of 1 MiB: %d kept, %d bytes counted; want at most %d bytes", n, len(s.lazyPages.pages), s.lazyPages.size, maxLazyBytes)
	}
	if _, ok := s.lazyPages.pages[fmt.Sprint("history:", n-1)]; !ok {
		t.Error("the newest page is not kept")
	}
}
